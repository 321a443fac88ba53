/**
 * Minimal charts as standalone SVG text (no dependencies, viewable in any browser): a line chart for
 * the stability and loss curves, and an interval chart (a mean with its 95 % CI per category and
 * series) for gains over seeds. Platform-neutral.
 */

export interface Series {
  name: string; x: readonly number[]; y: readonly number[]; band?: readonly number[];
  /** Palette entry (default: the series' index), so related series can share a colour. */
  colorIndex?: number;
  /** Drawn dashed, to tell apart two series of one colour. */
  dashed?: boolean;
}

export interface ChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** Fixed y range; default from the data with a little margin. */
  yRange?: [number, number];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The opening of a chart: the svg element, a white background and the title. */
function svgStart(W: number, H: number, title?: string): string[] {
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  if (title) parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`);
  return parts;
}

/** "Nice" tick values covering [lo, hi] (steps of 1, 2 or 5 × 10^k). */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export function lineChartSvg(series: readonly Series[], opts: ChartOptions = {}): string {
  const W = opts.width ?? 640, H = opts.height ?? 400;
  const m = { l: 64, r: 16, t: opts.title ? 36 : 16, b: 48 };
  const xs = series.flatMap((s) => s.x), ys = series.flatMap((s) => s.y.map((v, i) => [v - (s.band?.[i] ?? 0), v + (s.band?.[i] ?? 0)]).flat());
  const xlo = Math.min(...xs), xhi = Math.max(...xs);
  let [ylo, yhi] = opts.yRange ?? [Math.min(...ys), Math.max(...ys)];
  if (!opts.yRange) { const pad = (yhi - ylo || Math.abs(yhi) || 1) * 0.08; ylo -= pad; yhi += pad; }
  const px = (x: number) => m.l + ((x - xlo) / (xhi - xlo || 1)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - ((y - ylo) / (yhi - ylo || 1)) * (H - m.t - m.b);
  const parts = svgStart(W, H, opts.title);
  for (const t of niceTicks(ylo, yhi)) {
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.l - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${t}</text>`);
  }
  for (const t of niceTicks(xlo, xhi, 8)) parts.push(`<text x="${px(t).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle">${t}</text>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`);
  if (opts.xLabel) parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  if (opts.yLabel) parts.push(`<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`);
  series.forEach((s, k) => {
    const c = COLORS[(s.colorIndex ?? k) % COLORS.length], dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    if (s.band) {
      const up = s.x.map((x, i) => `${px(x).toFixed(1)},${py(s.y[i] + s.band![i]).toFixed(1)}`);
      const down = s.x.map((x, i) => `${px(x).toFixed(1)},${py(s.y[i] - s.band![i]).toFixed(1)}`).reverse();
      parts.push(`<polygon points="${[...up, ...down].join(' ')}" fill="${c}" fill-opacity="0.15" stroke="none"/>`);
    }
    parts.push(`<polyline points="${s.x.map((x, i) => `${px(x).toFixed(1)},${py(s.y[i]).toFixed(1)}`).join(' ')}" fill="none" stroke="${c}" stroke-width="2"${dash}/>`);
    for (let i = 0; i < s.x.length; i++) parts.push(`<circle cx="${px(s.x[i]).toFixed(1)}" cy="${py(s.y[i]).toFixed(1)}" r="2.5" fill="${c}"/>`);
    parts.push(`<line x1="${m.l + 12}" x2="${m.l + 26}" y1="${m.t + 11 + k * 18}" y2="${m.t + 11 + k * 18}" stroke="${c}" stroke-width="3"${dash}/>`);
    parts.push(`<text x="${m.l + 32}" y="${m.t + 15 + k * 18}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** One series of an interval chart: per category a mean and the half-width of its interval (NaN: none). */
export interface IntervalSeries { name: string; mean: readonly number[]; half: readonly number[] }

/**
 * Per category (one row each, top to bottom) a dot at each series' mean with a whisker over its
 * interval (none where the half-width is NaN; no dot where the mean is), and a dashed line at 0, so
 * "the interval excludes 0" reads at a glance.
 */
export function intervalChartSvg(categories: readonly string[], series: readonly IntervalSeries[], opts: Omit<ChartOptions, 'height' | 'yRange'> = {}): string {
  const W = opts.width ?? 640, rowH = 14 + 12 * series.length;
  const m = { l: 16 + 7 * Math.max(...categories.map((c) => c.length)), r: 16, t: (opts.title ? 36 : 16) + 18 * series.length, b: 48 };
  const H = m.t + m.b + rowH * categories.length;
  const ends = series.flatMap((s) => s.mean.flatMap((v, i) => (!Number.isFinite(v) ? [] : Number.isFinite(s.half[i]) ? [v - s.half[i], v + s.half[i]] : [v])));
  let lo = Math.min(0, ...ends), hi = Math.max(0, ...ends);
  const pad = (hi - lo || 1) * 0.05;
  lo -= pad; hi += pad;
  const px = (x: number) => m.l + ((x - lo) / (hi - lo)) * (W - m.l - m.r);
  const py = (row: number, k: number) => m.t + row * rowH + 7 + 12 * k + 6;
  const parts = svgStart(W, H, opts.title);
  for (const t of niceTicks(lo, hi, 8)) {
    parts.push(`<line x1="${px(t).toFixed(1)}" x2="${px(t).toFixed(1)}" y1="${m.t}" y2="${H - m.b}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${px(t).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle">${t}</text>`);
  }
  parts.push(`<line x1="${px(0).toFixed(1)}" x2="${px(0).toFixed(1)}" y1="${m.t}" y2="${H - m.b}" stroke="#333" stroke-dasharray="4 3"/>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`);
  categories.forEach((c, row) => parts.push(`<text x="${m.l - 6}" y="${(m.t + row * rowH + rowH / 2 + 4).toFixed(1)}" text-anchor="end">${esc(c)}</text>`));
  if (opts.xLabel) parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  series.forEach((s, k) => {
    const c = COLORS[k % COLORS.length];
    s.mean.forEach((v, row) => {
      if (!Number.isFinite(v)) return; // a pair without this category
      const y = py(row, k).toFixed(1), h = s.half[row];
      if (Number.isFinite(h)) parts.push(`<line class="ci" x1="${px(v - h).toFixed(1)}" x2="${px(v + h).toFixed(1)}" y1="${y}" y2="${y}" stroke="${c}" stroke-width="2"/>`);
      parts.push(`<circle cx="${px(v).toFixed(1)}" cy="${y}" r="3.5" fill="${c}"/>`);
    });
    const ly = (opts.title ? 36 : 16) + 18 * k;
    parts.push(`<circle cx="${m.l + 8}" cy="${ly + 5}" r="3.5" fill="${c}"/>`);
    parts.push(`<text x="${m.l + 18}" y="${ly + 9}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
