/**
 * The proxy benchmark over pre-training seeds. One proxy-bench run gives, per model and task, a mean
 * and an interval over *evaluation* seeds (probe initialisation, validation hold-out, folds); it says
 * nothing about how much a second pre-training run would differ. Here several runs, each pre-trained
 * and randomly initialised with its own seed, are combined: per model, task and probe the run's mean
 * is one sample, and the table gives the mean and 95 % Student-t interval over the seeds. Because a
 * pre-training run with seed s starts from the random init drawn with seed s, the gain of pre-training
 * is also given paired by seed (pre-trained(s) − random init(s)), which removes the init's own spread.
 * Platform-neutral.
 */
import { mean, meanCI, type MeanCI } from './stats';
import { benchTable, markdown, pretrainedPairs, verdictTable, type BenchRow, type BenchTask } from './proxy-table';

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

/** Pre-trained(s) − random init(s) per task and probe, for every pre-trained model with a random-init partner. */
export function pairedGains(tasks: readonly BenchTask[], runs: readonly SeedRun[]): { model: string; base: string; gains: PairedGain[] }[] {
  return pretrainedPairs(sharedModels(runs).map((model) => ({ model }))).map(([{ model }, { model: base }]) => ({
    model, base,
    gains: tasks.flatMap((t) => PROBES.flatMap((probe) => {
      const p = perSeed(runs, model, t.name, probe), b = perSeed(runs, base, t.name, probe);
      if (!p || !b) return [];
      const diffs = p.map((v, i) => v - b[i]);
      const ci = meanCI(diffs);
      const verdict = !Number.isFinite(ci.half) ? 'no interval' : ci.lo > 0 ? 'gain' : ci.hi < 0 ? 'loss' : 'CI contains 0';
      return [{ task: t.name, probe, diffs, ci, verdict } as PairedGain];
    })),
  }));
}

const pts = (x: number, d = 1) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(d)}`;

/** The paired gains as a table: mean ± CI in points, the per-seed differences, the verdict. */
export function pairedGainTable(tasks: readonly BenchTask[], runs: readonly SeedRun[]): string {
  const all = pairedGains(tasks, runs);
  if (!all.length) return '';
  const seeds = runs.map((r) => r.seed).join(', ');
  const words = { gain: 'gain, CI excludes 0', loss: 'loss, CI excludes 0', 'no interval': 'one seed, no interval', 'CI contains 0': 'CI contains 0' };
  const body = all.flatMap(({ model, base, gains }) => gains.map((g) => [
    `${model} − ${base}`, g.task, g.probe,
    Number.isFinite(g.ci.half) ? `${pts(g.ci.mean)} ± ${(100 * g.ci.half).toFixed(1)}` : pts(g.ci.mean),
    g.diffs.map((d) => pts(d)).join(', '), words[g.verdict],
  ]));
  return markdown(['paired by seed', 'task', 'probe', 'difference (points)', `per seed (${seeds})`, 'verdict'], body);
}

/** Everything the combined report shows: the table over seeds, the CI verdicts and the paired gains. */
export function seedsReport(tasks: readonly BenchTask[], runs: readonly SeedRun[]): { rows: BenchRow[]; table: string; verdict: string; paired: string } {
  const rows = rowsOverSeeds(tasks, runs);
  return { rows, table: benchTable(tasks, rows), verdict: verdictTable(tasks, rows), paired: pairedGainTable(tasks, runs) };
}
