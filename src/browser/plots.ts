/**
 * Canvas drawing for the demo page: heatmaps (log-mel, SBLU features, α/ω tables) and line plots
 * (loss, ω per band, stability). Plain 2-D canvas, no library, so the demo bundle stays small and
 * needs nothing but the browser.
 */

export interface Series { name: string; y: readonly number[]; x?: readonly number[]; color?: string; dashed?: boolean }

export interface LineOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Fixed y range; default: the data's range with a margin. */
  yRange?: [number, number];
  xRange?: [number, number];
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** A perceptual dark-blue → yellow colour map (viridis-like, 5 anchors interpolated). */
const ANCHORS: [number, number, number][] = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
function colour(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (ANCHORS.length - 1);
  const i = Math.min(ANCHORS.length - 2, Math.floor(x)), f = x - i;
  const a = ANCHORS[i], b = ANCHORS[i + 1];
  return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
}

function setup(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2-D canvas context');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.font = '11px sans-serif';
  return ctx;
}

function range(values: ArrayLike<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) { const v = values[i]; if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } }
  if (!(lo <= hi)) return [0, 1];
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

/**
 * Row-major [rows, cols] data as an image; row 0 at the bottom (low mel bins down, as spectrograms
 * are read). The colour range defaults to the data's range.
 */
export function heatmap(canvas: HTMLCanvasElement, data: ArrayLike<number>, rows: number, cols: number,
  opts: { title?: string; range?: [number, number]; yLabel?: string; xLabel?: string } = {}): void {
  const ctx = setup(canvas);
  const [lo, hi] = opts.range ?? range(data);
  const padL = opts.yLabel ? 18 : 4, padT = opts.title ? 16 : 4, padB = opts.xLabel ? 14 : 4, padR = 4;
  const w = canvas.width - padL - padR, h = canvas.height - padT - padB;
  if (rows <= 0 || cols <= 0 || w <= 0 || h <= 0) return;
  const img = new ImageData(cols, rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const [R, G, B] = colour((data[r * cols + c] - lo) / (hi - lo));
      const o = ((rows - 1 - r) * cols + c) * 4;
      img.data[o] = R; img.data[o + 1] = G; img.data[o + 2] = B; img.data[o + 3] = 255;
    }
  }
  // Draw at native size on an offscreen canvas, then scale without smoothing (crisp cells).
  const off = document.createElement('canvas');
  off.width = cols; off.height = rows;
  off.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, padL, padT, w, h);
  ctx.fillStyle = '#222';
  if (opts.title) ctx.fillText(`${opts.title}   [${lo.toFixed(2)}, ${hi.toFixed(2)}]`, padL, 11);
  if (opts.xLabel) ctx.fillText(opts.xLabel, padL, canvas.height - 3);
  if (opts.yLabel) {
    ctx.save();
    ctx.translate(12, padT + h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText(opts.yLabel, 0, 0);
    ctx.restore();
  }
}

function ticks(lo: number, hi: number, n = 5): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const step0 = span / n, mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= n) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step) out.push(Math.abs(v) < 1e-12 * span ? 0 : v);
  return out;
}

const fmt = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : String(+v.toPrecision(3)));

/** Line plot with axes, ticks and a legend. */
export function linePlot(canvas: HTMLCanvasElement, series: readonly Series[], opts: LineOptions = {}): void {
  const ctx = setup(canvas);
  const padL = 46, padR = 10, padT = opts.title ? 20 : 8, padB = opts.xLabel ? 32 : 20;
  const w = canvas.width - padL - padR, h = canvas.height - padT - padB;
  const xsOf = (s: Series) => s.x ?? s.y.map((_, i) => i);
  const allX = series.flatMap((s) => [...xsOf(s)]), allY = series.flatMap((s) => [...s.y]);
  const [x0, x1] = opts.xRange ?? range(allX);
  let [y0, y1] = opts.yRange ?? range(allY);
  if (!opts.yRange) { const m = 0.05 * (y1 - y0); y0 -= m; y1 += m; }
  const px = (x: number) => padL + ((x - x0) / (x1 - x0 || 1)) * w;
  const py = (y: number) => padT + h - ((y - y0) / (y1 - y0 || 1)) * h;
  ctx.strokeStyle = '#ddd';
  ctx.fillStyle = '#444';
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  for (const t of ticks(y0, y1)) {
    ctx.beginPath(); ctx.moveTo(padL, py(t)); ctx.lineTo(padL + w, py(t)); ctx.stroke();
    ctx.fillText(fmt(t), padL - 4, py(t) + 4);
  }
  ctx.textAlign = 'center';
  for (const t of ticks(x0, x1, 6)) ctx.fillText(fmt(t), px(t), padT + h + 13);
  ctx.strokeStyle = '#888';
  ctx.strokeRect(padL, padT, w, h);
  if (opts.title) { ctx.textAlign = 'left'; ctx.fillStyle = '#222'; ctx.font = 'bold 12px sans-serif'; ctx.fillText(opts.title, padL, 14); ctx.font = '11px sans-serif'; }
  if (opts.xLabel) { ctx.textAlign = 'center'; ctx.fillText(opts.xLabel, padL + w / 2, canvas.height - 4); }
  if (opts.yLabel) {
    ctx.save(); ctx.translate(11, padT + h / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = 'center'; ctx.fillText(opts.yLabel, 0, 0); ctx.restore();
  }
  series.forEach((s, k) => {
    const xs = xsOf(s);
    ctx.strokeStyle = s.color ?? PALETTE[k % PALETTE.length];
    ctx.lineWidth = 1.6;
    ctx.setLineDash(s.dashed ? [5, 3] : []);
    ctx.beginPath();
    let started = false;
    for (let i = 0; i < s.y.length; i++) {
      if (!Number.isFinite(s.y[i])) { started = false; continue; }
      if (!started) { ctx.moveTo(px(xs[i]), py(s.y[i])); started = true; } else ctx.lineTo(px(xs[i]), py(s.y[i]));
    }
    ctx.stroke();
    if (s.y.length === 1 && Number.isFinite(s.y[0])) { ctx.beginPath(); ctx.arc(px(xs[0]), py(s.y[0]), 2.5, 0, 2 * Math.PI); ctx.fill(); }
    ctx.setLineDash([]);
    // Legend, top right, one line per series.
    ctx.textAlign = 'right';
    ctx.fillStyle = ctx.strokeStyle;
    ctx.fillText(s.name, padL + w - 6, padT + 13 + 13 * k);
  });
}
