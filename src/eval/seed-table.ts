/**
 * The proxy benchmark over pre-training seeds. One proxy-bench run gives, per model and task, a mean
 * and an interval over *evaluation* seeds (probe initialisation, validation hold-out, folds); it says
 * nothing about how much a second pre-training run would differ. Here several runs, each pre-trained
 * and randomly initialised with its own seed, are combined: per model, task and probe the run's mean
 * is one sample, and the table gives the mean and 95 % Student-t interval over the seeds. Because a
 * pre-training run with seed s starts from the random init drawn with seed s, the gain of pre-training
 * is also given paired by seed (pre-trained(s) − random init(s)), which removes the init's own spread.
 * Where the runs hold both AaPE settings, AaPE on(s) − AaPE off(s) is paired by seed the same way
 * (the two share the seed's data, masks and encoder init; only the front end differs). Two recipes
 * run over the same seeds of the same benchmark pair by seed as well (versusGains): their random-init
 * rows must be equal, which shows they share the data, the evaluation and each seed's init.
 * Platform-neutral.
 */
import { mean, meanCI, type MeanCI } from './stats';
import { intervalChartSvg } from './svg-plot';
import { aapeOf, aapePairs, benchTable, markdown, pretrainedPairs, verdictTable, type BenchRow, type BenchTask } from './proxy-table';

/** One proxy-bench run (its results.json rows) and the seed it pre-trained and initialised with. */
export interface SeedRun { seed: number; rows: BenchRow[] }

const PROBES = ['EVAR', 'ridge'] as const;
type Probe = (typeof PROBES)[number];

/** A run's mean for one model, task and probe (undefined when the run has no such cell). */
function cellMean(row: BenchRow | undefined, task: string, probe: Probe): number | undefined {
  const c = row?.cells[task];
  return (probe === 'EVAR' ? c?.ci : c?.ridge)?.mean;
}

/** The models every run has, in the first run's order; throws naming the run that lacks one. */
function sharedModels(runs: readonly SeedRun[]): string[] {
  if (!runs.length) throw new Error('no runs to combine');
  const seen = new Set<number>();
  for (const r of runs) {
    if (seen.has(r.seed)) throw new Error(`seed ${r.seed} appears twice`);
    seen.add(r.seed);
  }
  const models = runs[0].rows.map((r) => r.model);
  for (const run of runs.slice(1)) {
    const have = run.rows.map((r) => r.model);
    const missing = models.filter((m) => !have.includes(m));
    const extra = have.filter((m) => !models.includes(m));
    if (missing.length || extra.length) {
      throw new Error(`seed ${run.seed} has other models than seed ${runs[0].seed}${missing.length ? ` (missing: ${missing.join('; ')})` : ''}${extra.length ? ` (extra: ${extra.join('; ')})` : ''}`);
    }
  }
  return models;
}

/** Per-seed values of one model's cell, in run order (undefined when any run lacks it). */
function perSeed(runs: readonly SeedRun[], model: string, task: string, probe: Probe): number[] | undefined {
  const xs = runs.map((r) => cellMean(r.rows.find((x) => x.model === model), task, probe));
  return xs.every((x): x is number => x !== undefined) ? xs : undefined;
}

/**
 * One row per model whose cells are the mean ± 95 % CI over the runs' seeds, in the BenchRow shape,
 * so benchTable and verdictTable (CIs disjoint or not) read them as they read a single run. A row's
 * stability is one value per seed (each run's mean over its clips), so its interval is over seeds too.
 */
export function rowsOverSeeds(tasks: readonly BenchTask[], runs: readonly SeedRun[]): BenchRow[] {
  return sharedModels(runs).map((model) => {
    const cells: BenchRow['cells'] = {};
    for (const t of tasks) {
      const e = perSeed(runs, model, t.name, 'EVAR'), r = perSeed(runs, model, t.name, 'ridge');
      cells[t.name] = e ? { ci: meanCI(e), ...(r ? { ridge: meanCI(r) } : {}) } : undefined;
    }
    const sets = runs[0].rows.find((x) => x.model === model)!.stability?.map((s) => s.set) ?? [];
    const stability = sets.flatMap((set) => {
      const vals = runs.map((run) => run.rows.find((x) => x.model === model)?.stability?.find((s) => s.set === set)?.clips);
      return vals.every((v) => v?.length) ? [{ set, clips: vals.map((v) => mean(v!)) }] : [];
    });
    return { model, cells, ...(stability.length ? { stability } : {}) };
  });
}

/** A paired comparison: the per-seed differences and their mean ± CI. */
export interface PairedGain { task: string; probe: Probe; diffs: number[]; ci: MeanCI; verdict: 'gain' | 'loss' | 'no interval' | 'CI contains 0' }

/** One pair's paired gains over every task and probe both have, under the pair's labels. */
export interface PairGains { model: string; base: string; gains: PairedGain[] }

/** One side of a comparison by seed: a model's rows in runs, and what the tables call it. */
interface Side { runs: readonly SeedRun[]; model: string; label: string }

/** The pairs compared by seed within one set of runs: each pre-trained model with its random init, then each AaPE-on model with its AaPE-off twin. */
function seedPairs(runs: readonly SeedRun[]): [Side, Side][] {
  const models = sharedModels(runs).map((model) => ({ model }));
  const side = (model: string): Side => ({ runs, model, label: model });
  return [...pretrainedPairs(models), ...aapePairs(models)].map(([a, b]) => [side(a.model), side(b.model)]);
}

/** Per pair, a(s) − b(s) for every task and probe both sides have. */
function gainsOf(tasks: readonly BenchTask[], pairs: readonly [Side, Side][]): PairGains[] {
  return pairs.map(([a, b]) => ({
    model: a.label, base: b.label,
    gains: tasks.flatMap((t) => PROBES.flatMap((probe) => {
      const p = perSeed(a.runs, a.model, t.name, probe), q = perSeed(b.runs, b.model, t.name, probe);
      return p && q ? [{ task: t.name, probe, ...paired(p, q) }] : [];
    })),
  }));
}

/** model(s) − base(s) per task and probe for every pair of seedPairs: pre-trained − random init, AaPE on − off. */
export function pairedGains(tasks: readonly BenchTask[], runs: readonly SeedRun[]): PairGains[] {
  return gainsOf(tasks, seedPairs(runs));
}

/** The per-seed differences a − b, their mean ± CI and what the CI says. */
function paired(a: readonly number[], b: readonly number[]): Pick<PairedGain, 'diffs' | 'ci' | 'verdict'> {
  const diffs = a.map((v, i) => v - b[i]);
  const ci = meanCI(diffs);
  return { diffs, ci, verdict: !Number.isFinite(ci.half) ? 'no interval' : ci.lo > 0 ? 'gain' : ci.hi < 0 ? 'loss' : 'CI contains 0' };
}

/** A paired stability comparison for one clip set. */
export interface PairedStability { model: string; base: string; set: string; diffs: number[]; ci: MeanCI; verdict: PairedGain['verdict'] }

/** Per pair and clip set both sides have, the stability (each seed's mean over its clips) a(s) − b(s). */
function stabilityOf(pairs: readonly [Side, Side][]): PairedStability[] {
  // rowsOverSeeds gives each row's stability as one value per seed, in run order.
  const sets = (s: Side) => rowsOverSeeds([], s.runs).find((r) => r.model === s.model)?.stability ?? [];
  return pairs.flatMap(([a, b]) => {
    const base = sets(b);
    return sets(a).flatMap(({ set, clips }) => {
      const q = base.find((x) => x.set === set)?.clips;
      return q ? [{ model: a.label, base: b.label, set, ...paired(clips, q) }] : [];
    });
  });
}

/** Per clip set and pair of seedPairs, the stability (each seed's mean over its clips) model(s) − base(s). */
export function pairedStability(runs: readonly SeedRun[]): PairedStability[] {
  return stabilityOf(seedPairs(runs));
}

/** A pre-training recipe's runs over seeds, under the name its report and files use. */
export interface Recipe { name: string; runs: readonly SeedRun[] }

/**
 * The pairs that compare recipe a with recipe b by seed: each pre-trained model of a with b's
 * pre-trained model of the same AaPE setting. Two recipes pair by seed only when they share the
 * benchmark (data, evaluation options) and each seed's init, so b must hold every seed of a and the
 * random-init rows of the two must be equal cell for cell; otherwise this throws, naming the first
 * difference.
 */
function versusPairs(tasks: readonly BenchTask[], a: Recipe, b: Recipe): [Side, Side][] {
  const missing = a.runs.filter((r) => !b.runs.some((x) => x.seed === r.seed)).map((r) => r.seed);
  if (missing.length) throw new Error(`${b.name} has no run with seed ${missing.join(', ')}`);
  const bRuns = a.runs.map((r) => b.runs.find((x) => x.seed === r.seed)!);
  const models = sharedModels(a.runs), theirs = sharedModels(bRuns);
  const inits = models.filter((m) => m.startsWith('random init'));
  if (!inits.length) throw new Error(`${a.name} has no random-init row, so nothing shows that ${b.name} shares its data and init`);
  const lacking = inits.find((m) => !theirs.includes(m));
  if (lacking) throw new Error(`${b.name} has no "${lacking}" row, so nothing shows that it shares ${a.name}'s data and init`);
  for (const [i, run] of a.runs.entries()) {
    for (const model of inits) {
      for (const t of tasks) for (const probe of PROBES) {
        const x = cellMean(run.rows.find((r) => r.model === model), t.name, probe), y = cellMean(bRuns[i].rows.find((r) => r.model === model), t.name, probe);
        if (x !== y) {
          const pct = (v: number | undefined) => (v === undefined ? 'nothing' : (100 * v).toFixed(2));
          throw new Error(`${a.name} and ${b.name} are not the same benchmark: seed ${run.seed}'s ${model} reads ${t.name} (${probe}) ${pct(x)} against ${pct(y)} (other data, evaluation options or init)`);
        }
      }
    }
  }
  const pairs = models.filter((m) => m.startsWith('pre-trained')).flatMap((m): [Side, Side][] => {
    const other = theirs.find((o) => o.startsWith('pre-trained') && aapeOf(o) === aapeOf(m));
    return other ? [[{ runs: a.runs, model: m, label: `${a.name}: ${m}` }, { runs: bRuns, model: other, label: `${b.name}: ${other}` }]] : [];
  });
  if (!pairs.length) throw new Error(`${a.name} and ${b.name} have no pre-trained models with the same AaPE setting to compare`);
  return pairs;
}

/** Recipe a against recipe b, paired by seed: gains per task and probe, and stability, for each pre-trained model of a (see versusPairs). */
export function versusGains(tasks: readonly BenchTask[], a: Recipe, b: Recipe): { gains: PairGains[]; stability: PairedStability[] } {
  const pairs = versusPairs(tasks, a, b);
  return { gains: gainsOf(tasks, pairs), stability: stabilityOf(pairs) };
}

const pts = (x: number, d = 1) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(d)}`;
const cos = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(5)}`;
const WORDS = { gain: 'gain, CI excludes 0', loss: 'loss, CI excludes 0', 'no interval': 'one seed, no interval', 'CI contains 0': 'CI contains 0' };
const STABLE_WORDS = { ...WORDS, gain: 'steadier, CI excludes 0', loss: 'less steady, CI excludes 0' };

/** Paired gains as a table: mean ± CI in points, the per-seed differences, the verdict. */
export function gainTable(all: readonly PairGains[], seeds: readonly number[]): string {
  if (!all.length) return '';
  const body = all.flatMap(({ model, base, gains }) => gains.map((g) => [
    `${model} − ${base}`, g.task, g.probe,
    Number.isFinite(g.ci.half) ? `${pts(g.ci.mean)} ± ${(100 * g.ci.half).toFixed(1)}` : pts(g.ci.mean),
    g.diffs.map((d) => pts(d)).join(', '), WORDS[g.verdict],
  ]));
  return markdown(['paired by seed', 'task', 'probe', 'difference (points)', `per seed (${seeds.join(', ')})`, 'verdict'], body);
}

/** The paired gains of one set of runs as a table (see gainTable). */
export function pairedGainTable(tasks: readonly BenchTask[], runs: readonly SeedRun[]): string {
  return gainTable(pairedGains(tasks, runs), runs.map((r) => r.seed));
}

/** Per probe, a chart of paired gains: per task each pair's mean difference with its 95 % CI, in points. */
export function gainCharts(tasks: readonly BenchTask[], all: readonly PairGains[], seeds: readonly number[]): { probe: Probe; svg: string }[] {
  if (!all.length) return [];
  return PROBES.map((probe) => {
    const series = all.map(({ model, base, gains }) => {
      const g = tasks.map((t) => gains.find((x) => x.task === t.name && x.probe === probe));
      return { name: `${model} − ${base}`, mean: g.map((x) => 100 * (x?.ci.mean ?? NaN)), half: g.map((x) => 100 * (x?.ci.half ?? NaN)) };
    });
    const title = `${probe} probe: difference paired by seed, mean ± 95 % CI over seeds ${seeds.join(', ')}`;
    return { probe, svg: intervalChartSvg(tasks.map((t) => t.name), series, { title, xLabel: 'difference in test accuracy (points)', width: 720 }) };
  });
}

/** Per probe, a chart of the paired gains of one set of runs (see gainCharts). */
export function pairedGainCharts(tasks: readonly BenchTask[], runs: readonly SeedRun[]): { probe: Probe; svg: string }[] {
  return gainCharts(tasks, pairedGains(tasks, runs), runs.map((r) => r.seed));
}

/** Paired stability differences as a table (mean cosine over s = 1..15). */
export function stabilityTable(all: readonly PairedStability[], seeds: readonly number[]): string {
  if (!all.length) return '';
  const body = all.map((g) => [`${g.model} − ${g.base}`, g.set, Number.isFinite(g.ci.half) ? `${cos(g.ci.mean)} ± ${g.ci.half.toFixed(5)}` : cos(g.ci.mean), g.diffs.map(cos).join(', '), STABLE_WORDS[g.verdict]]);
  return markdown(['stability, paired by seed', 'clip set', 'difference (mean cos)', `per seed (${seeds.join(', ')})`, 'verdict'], body);
}

/** The stability differences paired by seed within one set of runs as a table. */
export function pairedStabilityTable(runs: readonly SeedRun[]): string {
  return stabilityTable(pairedStability(runs), runs.map((r) => r.seed));
}

/** Everything the combined report shows: the table over seeds, the CI verdicts and the paired gains and stability. */
export function seedsReport(tasks: readonly BenchTask[], runs: readonly SeedRun[]): { rows: BenchRow[]; table: string; verdict: string; paired: string; stability: string } {
  const rows = rowsOverSeeds(tasks, runs);
  return { rows, table: benchTable(tasks, rows), verdict: verdictTable(tasks, rows), paired: pairedGainTable(tasks, runs), stability: pairedStabilityTable(runs) };
}
