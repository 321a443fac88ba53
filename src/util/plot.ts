/**
 * A self-contained SVG line chart of training curves (no dependencies, opens in any browser).
 * Each series is drawn raw (faint) and smoothed by an exponential moving average (solid), because
 * per-step losses are noisy and the trend is what a reader looks for.
 */
export interface Series { name: string; color: string; points: [number, number][] }

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function ticks(lo: number, hi: number, n = 5): number[] {
  const span = hi - lo || 1;
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => span / s <= n) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Bias-corrected EMA (as TensorBoard's smoothing): early points are not pinned to the first value. */
function ema(points: [number, number][], alpha: number): [number, number][] {
  let m = 0, w = 0;
  return points.map(([x, y]) => {
    if (Number.isFinite(y)) { m = alpha * m + (1 - alpha) * y; w = alpha * w + (1 - alpha); }
    return [x, w > 0 ? m / w : NaN];
  });
}

/** Keep at most `max` points (evenly spaced), always keeping the last. */
function thin(points: [number, number][], max: number): [number, number][] {
  if (points.length <= max) return points;
  const k = points.length / max;
  const out: [number, number][] = [];
  for (let i = 0; i < max; i++) out.push(points[Math.floor(i * k)]);
  out.push(points[points.length - 1]);
  return out;
}

export function lineChartSvg(series: Series[], opts: { title?: string; xLabel?: string; width?: number; height?: number; smoothing?: number } = {}): string {
  const W = opts.width ?? 900, H = opts.height ?? 420;
  const L = 60, R = 150, T = 36, B = 44;
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const x0 = xs.length ? Math.min(...xs) : 0, x1 = xs.length ? Math.max(...xs) : 1;
  let y0 = ys.length ? Math.min(...ys) : 0, y1 = ys.length ? Math.max(...ys) : 1;
  if (y1 - y0 < 1e-12) { y0 -= 0.5; y1 += 0.5; }
  const px = (x: number) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
  const py = (y: number) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const path = (pts: [number, number][]) => pts.filter(([, y]) => Number.isFinite(y)).map(([x, y], i) => `${i ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join('');
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  if (opts.title) parts.push(`<text x="${L}" y="22" font-size="15">${esc(opts.title)}</text>`);
  for (const t of ticks(y0, y1)) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/><text x="${L - 6}" y="${py(t) + 4}" text-anchor="end">${t}</text>`);
  }
  for (const t of ticks(x0, x1)) {
    parts.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${T}" y2="${H - B}" stroke="#f4f4f4"/><text x="${px(t)}" y="${H - B + 16}" text-anchor="middle">${t}</text>`);
  }
  parts.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#888"/>`);
  if (opts.xLabel) parts.push(`<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  const alpha = opts.smoothing ?? 0.9;
  series.forEach((s, i) => {
    const pts = thin(s.points, 2000);
    parts.push(`<path d="${path(pts)}" fill="none" stroke="${s.color}" stroke-opacity="0.25" stroke-width="1"/>`);
    parts.push(`<path d="${path(ema(pts, alpha))}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    const last = s.points.length ? s.points[s.points.length - 1][1] : NaN;
    parts.push(`<rect x="${W - R + 12}" y="${T + 8 + i * 20}" width="14" height="4" fill="${s.color}"/><text x="${W - R + 32}" y="${T + 13 + i * 20}">${esc(s.name)} ${Number.isFinite(last) ? last.toFixed(4) : ''}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
