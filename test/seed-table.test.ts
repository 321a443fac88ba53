/**
 * The proxy benchmark over pre-training seeds (src/eval/seed-table.ts): intervals over the runs'
 * means, the CI verdicts read from them, the gains paired by seed, and the errors when runs differ.
 */
import { describe, expect, it } from 'vitest';
import { meanCI, tQuantile } from '../src/eval/stats';
import { pairedGainCharts, pairedGains, pairedGainTable, pairedStability, pairedStabilityTable, rowsOverSeeds, seedsReport, type SeedRun } from '../src/eval/seed-table';
import type { BenchRow } from '../src/eval/proxy-table';

const TASKS = [{ name: 'pitch', classes: 12 }, { name: 'timbre', classes: 6 }];
/** A run's row: per task [EVAR mean, ridge mean] (the eval-seed intervals are not used here). */
function row(model: string, cells: Record<string, [number, number]>, stab?: number[]): BenchRow {
  return {
    model,
    cells: Object.fromEntries(Object.entries(cells).map(([t, [e, r]]) => [t, { ci: meanCI([e - 0.01, e + 0.01]), ridge: meanCI([r, r]) }])),
    ...(stab ? { stability: [{ set: 'procedural clips', clips: stab }] } : {}),
  };
}
const R = 'random init, AaPE on', P = 'pre-trained 1000 steps, AaPE on';
// Timbre gains 0.20, 0.22, 0.18 under ridge (every seed, far above the spread); pitch moves by
// -0.02, +0.03, -0.01 (no consistent sign).
const runs: SeedRun[] = [
  { seed: 0, rows: [row(R, { pitch: [0.60, 0.70], timbre: [0.68, 0.69] }, [0.99, 0.97]), row(P, { pitch: [0.58, 0.68], timbre: [0.70, 0.89] }, [0.96, 0.96])] },
  { seed: 1, rows: [row(R, { pitch: [0.62, 0.66], timbre: [0.66, 0.66] }, [0.99, 0.99]), row(P, { pitch: [0.63, 0.69], timbre: [0.69, 0.88] }, [0.97, 0.95])] },
  { seed: 2, rows: [row(R, { pitch: [0.58, 0.72], timbre: [0.70, 0.71] }, [0.98, 0.98]), row(P, { pitch: [0.56, 0.71], timbre: [0.73, 0.89] }, [0.95, 0.95])] },
];

describe('proxy benchmark over pre-training seeds', () => {
  it('gives per model, task and probe the mean ± Student-t CI of the runs\' means', () => {
    const rows = rowsOverSeeds(TASKS, runs);
    expect(rows.map((r) => r.model)).toEqual([R, P]);
    const ridge = rows[1].cells.timbre!.ridge!;
    expect(ridge.n).toBe(3);
    expect(ridge.mean).toBeCloseTo((0.89 + 0.88 + 0.89) / 3, 12);
    const sd = Math.sqrt(((0.89 - ridge.mean) ** 2 * 2 + (0.88 - ridge.mean) ** 2) / 2);
    expect(ridge.half).toBeCloseTo(tQuantile(0.975, 2) * sd / Math.sqrt(3), 12);
    expect(rows[0].cells.pitch!.ci.mean).toBeCloseTo(0.60, 12); // EVAR: the runs' own means
    // Stability: one value per seed (that run's mean over its clips).
    expect(rows[0].stability![0].clips.map((v) => +v.toFixed(6))).toEqual([0.98, 0.99, 0.98]);
    expect(rows[1].stability![0].clips.map((v) => +v.toFixed(6))).toEqual([0.96, 0.96, 0.95]);
  });

  it('pairs each pre-trained row with the random init of the same seed and says when the CI excludes 0', () => {
    const [g] = pairedGains(TASKS, runs);
    expect([g.model, g.base]).toEqual([P, R]);
    const timbre = g.gains.find((x) => x.task === 'timbre' && x.probe === 'ridge')!;
    expect(timbre.diffs.map((d) => +d.toFixed(6))).toEqual([0.2, 0.22, 0.18]);
    expect(timbre.verdict).toBe('gain');
    const pitch = g.gains.find((x) => x.task === 'pitch' && x.probe === 'ridge')!;
    expect(pitch.diffs.map((d) => +d.toFixed(6))).toEqual([-0.02, 0.03, -0.01]);
    expect(pitch.verdict).toBe('CI contains 0');
    // A consistent loss is called one.
    const worse: SeedRun[] = runs.map((r) => ({ seed: r.seed, rows: [r.rows[0], { ...r.rows[1], cells: { ...r.rows[1].cells, pitch: { ci: meanCI([0.4, 0.4]), ridge: meanCI([r.rows[0].cells.pitch!.ridge!.mean - 0.1 - 0.01 * r.seed]) } } }] }));
    expect(pairedGains(TASKS, worse)[0].gains.find((x) => x.task === 'pitch' && x.probe === 'ridge')!.verdict).toBe('loss');
    const table = pairedGainTable(TASKS, runs);
    expect(table).toMatch(/^\| pre-trained 1000 steps, AaPE on − random init, AaPE on \| timbre +\| ridge +\| \+20\.0 ± 5\.0 +\| \+20\.0, \+22\.0, \+18\.0 \| gain, CI excludes 0 +\|$/m);
    expect(table).toContain('per seed (0, 1, 2)');
  });

  it('reads the combined rows with the CI verdicts of a single run', () => {
    const { verdict, table } = seedsReport(TASKS, runs);
    expect(verdict).toMatch(/^\| timbre +\| ridge +\| \+20\.0 \(better, CIs disjoint\) +\|$/m);
    expect(verdict).toMatch(/^\| pitch +\| ridge +\| \+0\.0 \(CIs overlap\) +\|$/m);
    expect(table).toMatch(/^\| stability, procedural clips \(mean cos, s=1\.\.15\) \|/m);
  });

  it('pairs AaPE on with AaPE off by seed, for gains and stability, besides pre-trained vs random init', () => {
    const RO = 'random init, AaPE off', PO = 'pre-trained 1000 steps, AaPE off';
    // Off: timbre ridge 0.87, 0.85, 0.865 (on − off +0.02, +0.03, +0.025); stability 0.95, 0.97, 0.96
    // against on's 0.96, 0.96, 0.95 per seed.
    const both: SeedRun[] = runs.map((r, i) => ({ seed: r.seed, rows: [r.rows[0], row(RO, { pitch: [0.6, 0.7], timbre: [0.6, 0.6] }, [0.99, 0.99]), r.rows[1],
      row(PO, { pitch: [0.6, 0.7], timbre: [0.7, [0.87, 0.85, 0.865][i]] }, [[0.95, 0.95], [0.97, 0.97], [0.96, 0.96]][i])] }));
    const pairs = pairedGains(TASKS, both).map((g) => `${g.model} − ${g.base}`);
    expect(pairs).toEqual([`${P} − ${R}`, `${PO} − ${RO}`, `${R} − ${RO}`, `${P} − ${PO}`]);
    const onOff = pairedGains(TASKS, both)[3].gains.find((g) => g.task === 'timbre' && g.probe === 'ridge')!;
    expect(onOff.diffs.map((d) => +d.toFixed(6))).toEqual([0.02, 0.03, 0.025]);
    expect(onOff.verdict).toBe('gain');
    const stab = pairedStability(both).find((g) => g.model === P && g.base === PO)!;
    expect(stab.set).toBe('procedural clips');
    expect(stab.diffs.map((d) => +d.toFixed(6))).toEqual([0.01, -0.01, -0.01]);
    expect(stab.ci.mean).toBeCloseTo(-0.01 / 3, 12);
    expect(stab.verdict).toBe('CI contains 0');
    const rand = pairedStability(both).find((g) => g.model === P && g.base === R)!;
    expect(rand.diffs.map((d) => +d.toFixed(6))).toEqual([-0.02, -0.03, -0.03]);
    expect(rand.verdict).toBe('loss');
    expect(pairedStabilityTable(both)).toMatch(new RegExp(`^\\| ${P} − ${R} +\\| procedural clips \\| -0\\.02667 ± 0\\.01434 +\\| -0\\.02000, -0\\.03000, -0\\.03000 \\| less steady, CI excludes 0 \\|$`, 'm'));
    const t = pairedStabilityTable(both);
    expect(t).toMatch(new RegExp(`^\\| ${P} − ${PO} +\\| procedural clips \\| -0\\.00333 ± 0\\.0\\d{4} +\\| \\+0\\.01000, -0\\.01000, -0\\.01000 \\| CI contains 0 +\\|$`, 'm'));
    expect(seedsReport(TASKS, both).stability).toBe(t);
    const charts = pairedGainCharts(TASKS, both);
    expect(charts.map((c) => c.probe)).toEqual(['EVAR', 'ridge']);
    // 4 pairs × 2 tasks, each with an interval over the 3 seeds.
    expect(charts[1].svg.match(/<line class="ci"/g)).toHaveLength(8);
    expect(charts[1].svg).toContain(`${P} − ${PO}`);
    expect(pairedStabilityTable(runs.map((r) => ({ seed: r.seed, rows: r.rows.map((x) => ({ ...x, stability: undefined })) })))).toBe('');
  });

  it('with one seed there is no interval, and says so', () => {
    const one = pairedGains(TASKS, runs.slice(0, 1))[0].gains[0];
    expect(one.verdict).toBe('no interval');
    expect(pairedGainTable(TASKS, runs.slice(0, 1))).toContain('one seed, no interval');
  });

  it('refuses runs that do not match: a seed twice, or other models', () => {
    expect(() => rowsOverSeeds(TASKS, [runs[0], runs[0]])).toThrow('seed 0 appears twice');
    const other: SeedRun = { seed: 5, rows: [runs[1].rows[0]] };
    expect(() => rowsOverSeeds(TASKS, [runs[0], other])).toThrow(`seed 5 has other models than seed 0 (missing: ${P})`);
    expect(() => rowsOverSeeds(TASKS, [])).toThrow('no runs to combine');
  });
});
