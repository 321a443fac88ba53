/**
 * The proxy benchmark over pre-training seeds (src/eval/seed-table.ts): intervals over the runs'
 * means, the CI verdicts read from them, the gains paired by seed, and the errors when runs differ.
 */
import { describe, expect, it } from 'vitest';
import { meanCI, tQuantile } from '../src/eval/stats';
import { gainTable, pairedGainCharts, pairedGains, pairedGainTable, pairedStability, pairedStabilityTable, rowsOverSeeds, seedsReport, stabilityTable, versusGains, type SeedRun } from '../src/eval/seed-table';
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

  describe('one recipe against another, paired by seed', () => {
    const P2 = 'pre-trained 2000 steps, AaPE on';
    // Recipe b: the same random inits, its pre-trained timbre ridge 0.05, 0.06, 0.04 below a's and
    // its stability 0.01 above a's on every seed; its runs listed in another seed order.
    const b: SeedRun[] = [2, 0, 1].map((seed) => {
      const r = runs.find((x) => x.seed === seed)!;
      const p = r.rows[1], timbre = p.cells.timbre!;
      const stab = p.stability![0].clips.map((c) => c + 0.01);
      return { seed, rows: [r.rows[0], { model: P2, cells: { ...p.cells, timbre: { ...timbre, ridge: meanCI([timbre.ridge!.mean - [0.05, 0.06, 0.04][seed]]) } }, stability: [{ set: 'procedural clips', clips: stab }] }] };
    });
    const A = { name: 'decor', runs }, B = { name: 'preset', runs: b };

    it('pairs each pre-trained model with the other recipe\'s of the same AaPE setting, seed by seed', () => {
      const { gains, stability } = versusGains(TASKS, A, B);
      expect(gains.map((g) => `${g.model} − ${g.base}`)).toEqual([`decor: ${P} − preset: ${P2}`]);
      const timbre = gains[0].gains.find((g) => g.task === 'timbre' && g.probe === 'ridge')!;
      expect(timbre.diffs.map((d) => +d.toFixed(6))).toEqual([0.05, 0.06, 0.04]);
      expect(timbre.verdict).toBe('gain');
      // Everything else is the same model's numbers: no difference.
      expect(gains[0].gains.find((g) => g.task === 'pitch' && g.probe === 'EVAR')!.diffs.map((d) => +d.toFixed(9))).toEqual([0, 0, 0]);
      expect(stability).toHaveLength(1);
      expect(stability[0].diffs.map((d) => +d.toFixed(6))).toEqual([-0.01, -0.01, -0.01]);
      expect(stabilityTable(stability, [0, 1, 2])).toMatch(/\| decor: pre-trained 1000 steps, AaPE on − preset: pre-trained 2000 steps, AaPE on \| procedural clips \| -0\.01000 ± 0\.00000 +\| -0\.01000, -0\.01000, -0\.01000 \| less steady, CI excludes 0 \|/);
      expect(gainTable(gains, [0, 1, 2])).toMatch(/^\| decor: pre-trained 1000 steps, AaPE on − preset: pre-trained 2000 steps, AaPE on \| timbre +\| ridge +\| \+5\.0 ± 2\.5 +\| \+5\.0, \+6\.0, \+4\.0 +\| gain, CI excludes 0 +\|$/m);
    });

    it('refuses recipes that do not share the benchmark and the inits, naming the first difference', () => {
      expect(() => versusGains(TASKS, A, { name: 'preset', runs: b.slice(0, 2) })).toThrow('preset has no run with seed 1');
      // One random-init cell of seed 0 differs: other data, options or init.
      const moved = b.map((r) => (r.seed !== 0 ? r : { ...r, rows: [row(R, { pitch: [0.60, 0.71], timbre: [0.68, 0.69] }, [0.99, 0.97]), r.rows[1]] }));
      expect(() => versusGains(TASKS, A, { name: 'preset', runs: moved })).toThrow("decor and preset are not the same benchmark: seed 0's random init, AaPE on reads pitch (ridge) 70.00 against 71.00 (other data, evaluation options or init)");
      const noInit = b.map((r) => ({ ...r, rows: [r.rows[1]] }));
      expect(() => versusGains(TASKS, A, { name: 'preset', runs: noInit })).toThrow('preset has no "random init, AaPE on" row, so nothing shows that it shares decor\'s data and init');
      expect(() => versusGains(TASKS, { name: 'x', runs: runs.map((r) => ({ ...r, rows: [r.rows[1]] })) }, B)).toThrow('x has no random-init row');
      const offOnly = b.map((r) => ({ ...r, rows: [r.rows[0], { ...r.rows[1], model: 'pre-trained 2000 steps, AaPE off' }] }));
      expect(() => versusGains(TASKS, A, { name: 'preset', runs: offOnly })).toThrow('decor and preset have no pre-trained models with the same AaPE setting to compare');
    });
  });
});
