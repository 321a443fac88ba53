/**
 * The AaPE visualisation (an SVG a person opens in a browser): the input log-mel, the Lambda
 * Encoder's ω (as modulation frequency in Hz) and α (decay per frame) per mel band and mode, and the
 * SBLU feature map S of every mode. Heat maps are embedded as PNG images so the file stays small.
 */
import { encodePng } from '../util/png';

export interface AapeVizData {
  title: string;
  /** Extra description lines under the title. */
  notes: string[];
  /** Normalised log-mel [F, T] (mel band major). */
  logmel: Float32Array;
  F: number;
  T: number;
  /** α, ω [F, M] of the one clip shown. */
  alpha: Float32Array;
  omega: Float32Array;
  M: number;
  K: number;
  /** SBLU output S [F, M, T]. */
  S: Float32Array;
  /** Frames per second of the log-mel (100 for hop 160 at 16 kHz). */
  frameRate: number;
}

/**
 * Modulations AaPE is for (spec 1): a 500 Hz tone with 7 Hz tremolo, a 2 kHz tone with 23 Hz
 * roughness, a 40 Hz click train, and a little noise (deterministic).
 */
export function syntheticSignal(seconds: number, rate = 16000): Float32Array {
  const n = Math.round(seconds * rate);
  const x = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const noise = (s / 2 ** 32 - 0.5) * 0.01;
    x[i] = 0.3 * (1 + 0.9 * Math.sin(2 * Math.PI * 7 * t)) * Math.sin(2 * Math.PI * 500 * t)
      + 0.2 * (1 + 0.8 * Math.sin(2 * Math.PI * 23 * t)) * Math.sin(2 * Math.PI * 2000 * t)
      + (i % (rate / 40) === 0 ? 0.8 : 0) + noise;
  }
  return x;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const MODE_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
// Viridis at nine stops (enough for a smooth linear interpolation).
const VIRIDIS = [[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142], [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37]];

function colour(v: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x)), f = x - i;
  const a = VIRIDIS[i], b = VIRIDIS[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + f * (b[k] - a[k]))) as [number, number, number];
}

/** The 1st and 99th percentiles (a robust colour range; equal values give a unit range). */
export function robustRange(v: ArrayLike<number>): [number, number] {
  const s = Float64Array.from(v).filter(Number.isFinite).sort();
  if (s.length === 0) return [0, 1];
  const lo = s[Math.floor(0.01 * (s.length - 1))], hi = s[Math.ceil(0.99 * (s.length - 1))];
  return hi > lo ? [lo, hi] : [lo - 0.5, lo + 0.5];
}

/** rows × cols values (row 0 drawn at the bottom, like a spectrogram) → PNG data URI. */
function heatPng(get: (row: number, col: number) => number, rows: number, cols: number, range: [number, number]): string {
  const rgb = new Uint8Array(rows * cols * 3);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
    const [R, G, B] = colour((get(r, c) - range[0]) / (range[1] - range[0]));
    const o = ((rows - 1 - r) * cols + c) * 3;
    rgb[o] = R; rgb[o + 1] = G; rgb[o + 2] = B;
  }
  return `data:image/png;base64,${Buffer.from(encodePng(cols, rows, rgb)).toString('base64')}`;
}

function heatPanel(x: number, y: number, w: number, h: number, title: string, png: string, range: [number, number], xMax: number, yLabel: string): string {
  const parts = [
    `<text x="${x}" y="${y - 6}" class="t">${esc(title)}</text>`,
    `<image x="${x}" y="${y}" width="${w}" height="${h}" preserveAspectRatio="none" style="image-rendering:pixelated" href="${png}"/>`,
    `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="#444"/>`,
    `<text x="${x - 6}" y="${y + h}" class="s" text-anchor="end">0</text>`,
    `<text x="${x - 6}" y="${y + 10}" class="s" text-anchor="end">${esc(yLabel)}</text>`,
    `<text x="${x + w}" y="${y + h + 13}" class="s" text-anchor="end">${xMax.toFixed(2)} s</text>`,
    `<text x="${x}" y="${y + h + 13}" class="s">0 s</text>`,
  ];
  // Colour bar with the range it maps.
  const bx = x + w + 12;
  for (let i = 0; i < 20; i++) {
    const [R, G, B] = colour(1 - i / 19);
    parts.push(`<rect x="${bx}" y="${(y + (i * h) / 20).toFixed(1)}" width="10" height="${(h / 20 + 0.5).toFixed(1)}" fill="rgb(${R},${G},${B})"/>`);
  }
  parts.push(`<text x="${bx + 14}" y="${y + 9}" class="s">${range[1].toPrecision(3)}</text>`, `<text x="${bx + 14}" y="${y + h}" class="s">${range[0].toPrecision(3)}</text>`);
  return parts.join('\n');
}

interface Line { name: string; color: string; values: ArrayLike<number>; dash?: boolean }

function ticks(lo: number, hi: number, n = 5): number[] {
  const raw = (hi - lo) / n, mag = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => (hi - lo) / s <= n) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(10)));
  return out;
}

/** Lines over x = 0..n−1 (mel bands) in a w × h box. */
function linePanel(x: number, y: number, w: number, h: number, title: string, lines: Line[], yRange: [number, number], yLabel: string): string {
  const [y0, y1] = yRange;
  const n = Math.max(...lines.map((l) => l.values.length));
  const px = (i: number) => x + (n > 1 ? (i / (n - 1)) * w : 0);
  const py = (v: number) => y + h - ((Math.min(y1, Math.max(y0, v)) - y0) / (y1 - y0)) * h;
  const parts = [`<text x="${x}" y="${y - 6}" class="t">${esc(title)}</text>`, `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="#fff" stroke="#444"/>`];
  for (const t of ticks(y0, y1)) {
    parts.push(`<line x1="${x}" x2="${x + w}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#eee"/>`, `<text x="${x - 5}" y="${(py(t) + 4).toFixed(1)}" class="s" text-anchor="end">${t}</text>`);
  }
  for (const t of ticks(0, n - 1, 8)) parts.push(`<text x="${px(t).toFixed(1)}" y="${y + h + 13}" class="s" text-anchor="middle">${t}</text>`);
  parts.push(`<text x="${x + w / 2}" y="${y + h + 27}" class="s" text-anchor="middle">mel band</text>`);
  parts.push(`<text x="${x - 38}" y="${y + h / 2}" class="s" text-anchor="middle" transform="rotate(-90 ${x - 38} ${y + h / 2})">${esc(yLabel)}</text>`);
  lines.forEach((l, k) => {
    const pts = Array.from(l.values, (v, i) => `${px(i).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${pts}" fill="none" stroke="${l.color}" stroke-width="${l.dash ? 1 : 1.6}"${l.dash ? ' stroke-dasharray="5 4"' : ''}/>`);
    parts.push(`<text x="${x + w + 8}" y="${y + 12 + 14 * k}" class="s" fill="${l.color}">${esc(l.name)}</text>`);
  });
  return parts.join('\n');
}

/** The whole report as one SVG document. */
export function aapeVizSvg(d: AapeVizData): string {
  const { F, T, M } = d;
  const W = 1180, L = 70, PW = 960, seconds = T / d.frameRate;
  const out: string[] = [];
  let y = 30;
  out.push(`<text x="${L}" y="${y}" class="h">${esc(d.title)}</text>`);
  for (const n of d.notes) { y += 18; out.push(`<text x="${L}" y="${y}" class="s">${esc(n)}</text>`); }
  y += 34;
  const melRange = robustRange(d.logmel);
  out.push(heatPanel(L, y, PW, 160, `input: normalised log-mel [${F} × ${T}]`, heatPng((r, c) => d.logmel[r * T + c], F, T, melRange), melRange, seconds, `${F - 1}`));
  y += 160 + 50;
  // ω in rad/frame → modulation frequency ω/(2π)·frameRate Hz; the token-rate and frame-rate Nyquists bound it.
  const hz = (w: number) => (w / (2 * Math.PI)) * d.frameRate;
  const col = (a: Float32Array, m: number) => Float64Array.from({ length: F }, (_, f) => a[f * M + m]);
  const modes = Array.from({ length: M }, (_, m) => m);
  const halfW = (PW - 230) / 2;
  const tokenNyq = hz(Math.PI / 16), frameNyq = hz(Math.PI);
  out.push(linePanel(L, y, halfW, 200, 'ω: SBLU centre modulation frequency (Hz)', [
    ...modes.map((m) => ({ name: `mode ${m}`, color: MODE_COLORS[m % 8], values: col(d.omega, m).map(hz) })),
    { name: `${tokenNyq.toFixed(3)} Hz token Nyquist`, color: '#888', values: new Array(F).fill(tokenNyq), dash: true },
  ], [0, frameNyq], 'Hz'));
  const aMax = Math.max(...Array.from(d.alpha).filter(Number.isFinite), 2 / d.K) * 1.1;
  out.push(linePanel(L + halfW + 230, y, halfW, 200, 'α: SBLU decay per frame (bandwidth)', [
    ...modes.map((m) => ({ name: `mode ${m}`, color: MODE_COLORS[m % 8], values: col(d.alpha, m) })),
    { name: `1/K = ${(1 / d.K).toFixed(4)} floor`, color: '#888', values: new Array(F).fill(1 / d.K), dash: true },
  ], [0, aMax], 'α (1/frame)'));
  y += 200 + 60;
  for (let m = 0; m < M; m++) {
    const get = (r: number, c: number) => d.S[(r * M + m) * T + c];
    const vals = Float32Array.from({ length: F * T }, (_, i) => get(Math.floor(i / T), i % T));
    const range = robustRange(vals);
    let wMean = 0, aMean = 0;
    for (let f = 0; f < F; f++) { wMean += d.omega[f * M + m] / F; aMean += d.alpha[f * M + m] / F; }
    out.push(heatPanel(L, y, PW, 130, `SBLU feature S, mode ${m} (mean ω ${hz(wMean).toFixed(1)} Hz, mean α ${aMean.toFixed(3)})`, heatPng(get, F, T, range), range, seconds, `${F - 1}`));
    y += 130 + 45;
  }
  const H = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    '<style>.h{font-size:17px;font-weight:bold}.t{font-size:13px;font-weight:bold}.s{font-size:11px}</style>',
    `<rect width="${W}" height="${H}" fill="#fafafa"/>`,
    ...out,
    '</svg>',
  ].join('\n');
}
