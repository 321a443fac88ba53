/**
 * The proxy benchmark's report: one column per model (random init / pre-trained × AaPE on / off),
 * two rows per task (the EVAR protocol and the closed-form ridge probe, mean ± 95 % CI over seeds)
 * with the task's chance level, and a row per stability clip set (procedural clips, recorded notes)
 * with its summary, as a Markdown table that reads well in a terminal too. Platform-neutral.
 */
import { formatPercentCI, meanCI, type MeanCI } from './stats';
import { pairedSign } from './stability';

export interface BenchCell {
  ci: MeanCI;
  ridge?: MeanCI;
  /** Participation ratio of the standardised clip features (src/eval/dimensionality.ts). */
  participation?: number;
}
/** Stability of one model on one set of clips (the same clips for every row). */
export interface StabilitySet {
  /** What the clips are, e.g. 'procedural clips', 'recorded notes'. */
  set: string;
  /** Per clip, the mean cosine over s = 1..15; their mean is the set's summary. */
  clips: number[];
}
export interface BenchRow {
  model: string;
  cells: Record<string, BenchCell | undefined>;
  /** Aliasing stability per clip set (absent for rows without an encoder). */
  stability?: StabilitySet[];
}

/** The clip sets any row has stability for, in first-seen order. */
function stabilitySetNames(rows: readonly BenchRow[]): string[] {
  return [...new Set(rows.flatMap((r) => (r.stability ?? []).map((s) => s.set)))];
}

/** A row's per-clip stability on one clip set (undefined when it has none). */
const clipsIn = (r: BenchRow, set: string): number[] | undefined => r.stability?.find((s) => s.set === set)?.clips;
export interface BenchTask { name: string; classes: number }

/** A Markdown table whose columns are padded to line up in a terminal too. */
export function markdown(head: string[], body: string[][]): string {
  const widths = head.map((h, j) => Math.max(h.length, ...body.map((b) => b[j].length)));
  const line = (cells: string[]) => `| ${cells.map((c, j) => c.padEnd(widths[j])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export function benchTable(tasks: readonly BenchTask[], rows: readonly BenchRow[], opts: { digits?: number } = {}): string {
  const d = opts.digits ?? 1;
  const head = ['task', 'probe', 'chance %', ...rows.map((r) => r.model)];
  const body: string[][] = [];
  for (const t of tasks) {
    const chance = (100 / t.classes).toFixed(d);
    body.push([t.name, 'EVAR', chance, ...rows.map((r) => (r.cells[t.name] ? formatPercentCI(r.cells[t.name]!.ci, d) : '—'))]);
    body.push([t.name, 'ridge', chance, ...rows.map((r) => (r.cells[t.name]?.ridge ? formatPercentCI(r.cells[t.name]!.ridge!, d) : '—'))]);
  }
  for (const set of stabilitySetNames(rows)) body.push([`stability, ${set} (mean cos, s=1..15)`, '', '', ...rows.map((r) => stabilityCell(r, set))]);
  return markdown(head, body);
}

function stabilityCell(r: BenchRow, set: string): string {
  const clips = clipsIn(r, set);
  if (!clips?.length) return '—';
  const ci = meanCI(clips);
  return clips.length > 1 ? `${ci.mean.toFixed(5)} ± ${ci.half.toFixed(5)}` : ci.mean.toFixed(5);
}

/**
 * Per task and model, the participation ratio of the clip features: how many directions they use.
 * Where a pre-trained model's is far below the random init's, the two probes tend to disagree.
 */
export function dimensionalityTable(tasks: readonly BenchTask[], rows: readonly BenchRow[]): string {
  const with_ = rows.filter((r) => tasks.some((t) => r.cells[t.name]?.participation !== undefined));
  if (!with_.length) return '';
  const body = tasks.map((t) => [t.name, ...with_.map((r) => {
    const v = r.cells[t.name]?.participation;
    return v === undefined ? '—' : v.toFixed(1);
  })]);
  return markdown(['features: participation ratio', ...with_.map((r) => r.model)], body);
}

/** What a row is apart from its AaPE setting: 'random init', 'pre-trained' (steps dropped). */
function kindOf(model: string): string {
  return model.replace(/,? AaPE (on|off)$/, '').replace(/ \d+ steps/, '');
}

/**
 * Stability of AaPE on against AaPE off, paired over the same clips, for each clip set and each
 * kind of row (random init, pre-trained) that has both: the mean per-clip difference on − off with
 * its 95 % CI. The two summaries differ by far less than either varies over clips, so the unpaired
 * intervals of the table cannot order them; the paired one can.
 */
export function stabilityPairsTable(rows: readonly BenchRow[]): string {
  const body: string[][] = [];
  for (const set of stabilitySetNames(rows)) {
    for (const [on, off] of aapePairs(rows)) {
      const a = clipsIn(on, set), b = clipsIn(off, set);
      if (!a || b?.length !== a.length) continue;
      const d = meanCI(a.map((v, i) => v - b[i]));
      const steadier = pairedSign(d);
      const verdict = steadier === null ? 'one clip, no interval' : ['AaPE off steadier, CI excludes 0', 'CI contains 0', 'AaPE on steadier, CI excludes 0'][steadier + 1];
      const plus = d.mean >= 0 ? '+' : '';
      body.push([`${on.model} − ${off.model}`, set, `${plus}${d.mean.toFixed(5)}${Number.isFinite(d.half) ? ` ± ${d.half.toFixed(5)}` : ''}`, String(d.n), verdict]);
    }
  }
  return body.length ? markdown(['stability, paired over clips', 'clip set', 'on − off (mean cos)', 'clips', 'verdict'], body) : '';
}

/** How interval a compares with interval b: 'above' / 'below' when the 95 % CIs are disjoint. */
export function compareCI(a: MeanCI, b: MeanCI): 'above' | 'below' | 'overlap' {
  const lo = (c: MeanCI) => (Number.isFinite(c.half) ? c.lo : c.mean), hi = (c: MeanCI) => (Number.isFinite(c.half) ? c.hi : c.mean);
  if (lo(a) > hi(b)) return 'above';
  if (hi(a) < lo(b)) return 'below';
  return 'overlap';
}

/** Each AaPE-on row with the AaPE-off row of the same kind (random init, pre-trained), as [on, off]. */
export function aapePairs<T extends { model: string }>(rows: readonly T[]): [T, T][] {
  return rows.flatMap((on) => {
    const off = on.model.endsWith('AaPE on') ? rows.find((r) => r.model.endsWith('AaPE off') && kindOf(r.model) === kindOf(on.model)) : undefined;
    return off ? [[on, off] as [T, T]] : [];
  });
}

/** A row's AaPE setting, from its model name. */
export function aapeOf(model: string): 'AaPE on' | 'AaPE off' {
  return model.endsWith('AaPE off') ? 'AaPE off' : 'AaPE on';
}

/** Each pre-trained row with the random-init row of the same AaPE setting (rows without one are left out). */
export function pretrainedPairs<T extends { model: string }>(rows: readonly T[]): [T, T][] {
  const pairs: [T, T][] = [];
  for (const r of rows) {
    if (!r.model.startsWith('pre-trained')) continue;
    const base = rows.find((b) => b.model.startsWith('random init') && aapeOf(b.model) === aapeOf(r.model));
    if (base) pairs.push([r, base]);
  }
  return pairs;
}

/**
 * Per task and probe, each pre-trained model against the random init with the same AaPE setting:
 * "above" only when the 95 % CIs do not overlap. With one seed there is no interval, so the
 * comparison is of the means alone (and says so).
 */
export function verdictTable(tasks: readonly BenchTask[], rows: readonly BenchRow[]): string {
  const pairs = pretrainedPairs(rows);
  if (!pairs.length) return '';
  const head = ['task', 'probe', ...pairs.map(([p]) => `${p.model} vs random init`)];
  const body: string[][] = [];
  for (const t of tasks) {
    for (const probe of ['EVAR', 'ridge'] as const) {
      body.push([t.name, probe, ...pairs.map(([p, b]) => {
        const pc = p.cells[t.name], bc = b.cells[t.name];
        const x = probe === 'EVAR' ? pc?.ci : pc?.ridge, y = probe === 'EVAR' ? bc?.ci : bc?.ridge;
        if (!x || !y) return '—';
        const diff = `${x.mean >= y.mean ? '+' : ''}${(100 * (x.mean - y.mean)).toFixed(1)}`;
        // A deterministic probe on a fixed split (the instruments set) has no seed spread at all:
        // a zero-width "interval" says nothing about significance, so it is not called one.
        if (x.std < 1e-12 && y.std < 1e-12 && x.n > 1) return `${diff} (fixed split, no seed spread)`;
        // One seed (or one fold) gives no interval at all: a difference of means is not "disjoint".
        if (!Number.isFinite(x.half) || !Number.isFinite(y.half)) return `${diff} (one seed, no interval)`;
        const c = compareCI(x, y);
        return `${diff} (${c === 'above' ? 'better, CIs disjoint' : c === 'below' ? 'worse, CIs disjoint' : 'CIs overlap'})`;
      })]);
    }
  }
  return markdown(head, body);
}
