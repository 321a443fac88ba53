// CPU-only pieces of evaluation: confidence intervals, metrics, windowing, splits, argument parsing.
import { describe, expect, it } from 'vitest';
import { meanCI, sampleStd, tCdf, tQuantile, formatPercentCI } from '../src/eval/stats';
import { accuracy, argmaxRows, averagePrecision, meanAveragePrecision } from '../src/eval/metrics';
import { meanOverTime, meanStdOverTime, planWindows, sliceFrames, tokensToFrames } from '../src/eval/windows';
import { holdOut, makeSplits, stratifiedFolds } from '../src/eval/folds';
import { encodeLabels } from '../src/eval/protocol';
import { get, parseArgs, usage, UsageError } from '../src/eval/cli-args';
import { clipSummaries, pairedSign, pairedStabilityCI, stabilityCI, stabilityCsv, stabilitySummary, viewLength } from '../src/eval/stability';
import { intervalChartSvg, lineChartSvg, niceTicks } from '../src/eval/svg-plot';
import { benchTable, compareCI, dimensionalityTable, stabilityPairsTable, verdictTable } from '../src/eval/proxy-table';
import { participationRatio } from '../src/eval/dimensionality';
import { Rng } from '../src/util/rng';

describe('confidence intervals (Student t)', () => {
  it('matches tabulated t quantiles', () => {
    // scipy.stats.t.ppf(0.975, df)
    const table: [number, number][] = [[1, 12.706204736], [2, 4.302652730], [4, 2.776445105], [9, 2.262157163], [30, 2.042272456]];
    for (const [df, q] of table) expect(tQuantile(0.975, df)).toBeCloseTo(q, 6);
    expect(tQuantile(0.025, 2)).toBeCloseTo(-4.302652730, 6);
    expect(tCdf(0, 5)).toBeCloseTo(0.5, 12);
    expect(tCdf(2.015048373, 5)).toBeCloseTo(0.95, 7);
  });

  it('computes mean ± t·s/√n over 3 seeds', () => {
    const xs = [0.80, 0.82, 0.87];
    const ci = meanCI(xs);
    const m = (0.80 + 0.82 + 0.87) / 3;
    const s = Math.sqrt(((0.80 - m) ** 2 + (0.82 - m) ** 2 + (0.87 - m) ** 2) / 2);
    expect(ci.mean).toBeCloseTo(m, 12);
    expect(ci.std).toBeCloseTo(s, 12);
    expect(sampleStd(xs)).toBeCloseTo(s, 12);
    expect(ci.half).toBeCloseTo(4.302652730 * s / Math.sqrt(3), 8);
    expect(ci.lo).toBeCloseTo(m - ci.half, 12);
    expect(formatPercentCI(ci)).toBe(`${(100 * m).toFixed(1)} ± ${(100 * ci.half).toFixed(1)}`);
    const one = meanCI([0.5]);
    expect(one.half).toBeNaN();
    expect(formatPercentCI(one)).toBe('50.0');
    expect(meanCI([0.7, 0.7, 0.7]).half).toBeCloseTo(0, 12);
  });
});

describe('metrics', () => {
  it('accuracy and argmax', () => {
    expect([...argmaxRows([0, 2, 1, 5, 5, 1], 2, 3)]).toEqual([1, 0]);
    expect(accuracy([1, 2, 3, 4], [1, 2, 0, 4])).toBe(0.75);
  });

  it('average precision and mAP against a hand-computed example', () => {
    // Class 0: ranking 0.9(+) 0.8(−) 0.3(+) 0.1(−) → AP = ½·1 + ½·⅔ = 5/6.
    expect(averagePrecision([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0])).toBeCloseTo(5 / 6, 12);
    // Class 1: ranking 0.7(−) 0.6(−) 0.4(+) 0.2(+) → AP = ½·⅓ + ½·½ = 5/12.
    expect(averagePrecision([0.2, 0.7, 0.6, 0.4], [1, 0, 0, 1])).toBeCloseTo(5 / 12, 12);
    // Ties enter together: {0.5(+), 0.5(−)} then 0.1(+) → ½·½ + ½·⅔ = 7/12.
    expect(averagePrecision([0.5, 0.5, 0.1], [1, 0, 1])).toBeCloseTo(7 / 12, 12);
    expect(averagePrecision([0.3, 0.2], [0, 0])).toBeNaN();
    // [4 clips, 3 classes]; class 2 has no positive and is left out: mAP = (5/6 + 5/12) / 2 = 0.625.
    const scores = [0.9, 0.2, 0.5, 0.8, 0.7, 0.1, 0.3, 0.6, 0.4, 0.1, 0.4, 0.3];
    const labels = [1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0];
    const r = meanAveragePrecision(scores, labels, 4, 3);
    expect(r.map).toBeCloseTo(0.625, 12);
    expect(r.perClass[2]).toBeNaN();
  });
});

describe('feature windows', () => {
  it('a 1000-frame clip → windows of 608 and 392 padded to 400', () => {
    const p = planWindows(1000);
    expect(p.paddedFrames).toBe(1008);
    expect(p.windows).toEqual([{ start: 0, frames: 608 }, { start: 608, frames: 400 }]);
    expect(planWindows(608).windows).toEqual([{ start: 0, frames: 608 }]);
    expect(planWindows(1001).windows.map((w) => w.frames)).toEqual([608, 400]);
    expect(planWindows(1).windows).toEqual([{ start: 0, frames: 16 }]);
    expect(planWindows(1300).windows.map((w) => w.frames)).toEqual([608, 608, 96]);
    expect(() => planWindows(100, 16, 600)).toThrow(/multiple/);
  });

  it('slices with zero padding past the end', () => {
    const mel = { data: Float32Array.from({ length: 2 * 5 }, (_, i) => i + 1), nMels: 2, nFrames: 5 };
    expect([...sliceFrames(mel, 3, 4)]).toEqual([4, 5, 0, 0, 9, 10, 0, 0]);
  });

  it('concatenates F\' rows per time column and windows along time; clip feature is the time mean', () => {
    const Fp = 2, D = 3;
    const w1 = Float32Array.from({ length: Fp * 2 * D }, (_, i) => i); // Tw 2: tokens p·2 + q
    const w2 = Float32Array.from({ length: Fp * 1 * D }, (_, i) => 100 + i); // Tw 1
    const out = new Float32Array(3 * Fp * D);
    tokensToFrames(w1, Fp, 2, D, out, 3, 0);
    tokensToFrames(w2, Fp, 1, D, out, 3, 2);
    // column 0 = token (0,0) ++ token (1,0) = [0,1,2] ++ [6,7,8]; column 1 = [3,4,5] ++ [9,10,11].
    expect([...out]).toEqual([0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11, 100, 101, 102, 103, 104, 105]);
    const clip = meanOverTime(out, 3, Fp * D);
    expect(clip.length).toBe(Fp * D);
    expect(clip[0]).toBeCloseTo((0 + 3 + 100) / 3, 5);
    expect(() => tokensToFrames(w1, Fp, 2, D, out, 3, 2)).toThrow(/exceed/);
  });

  it('mean+std pooling appends the population std over time; a phase-shifted envelope keeps its std, not its mean', () => {
    // Two features over 4 time columns: a ±1 alternation (the mean cancels) and a constant.
    const frames = Float32Array.from([1, 5, -1, 5, 1, 5, -1, 5]);
    expect([...meanStdOverTime(frames, 4, 2)]).toEqual([0, 5, 1, 0]);
    const rng = new Rng(3);
    const x = Float32Array.from({ length: 7 * 3 }, () => rng.normal());
    const ms = meanStdOverTime(x, 7, 3);
    expect([...ms.slice(0, 3)]).toEqual([...meanOverTime(x, 7, 3)]);
    for (let d = 0; d < 3; d++) {
      let v = 0;
      for (let t = 0; t < 7; t++) v += (x[t * 3 + d] - ms[d]) ** 2;
      expect(ms[3 + d]).toBeCloseTo(Math.sqrt(v / 7), 6);
    }
    expect(() => meanStdOverTime(x, 6, 3)).toThrow(/meanOverTime/);
  });

  it('stability view length keeps both views inside the clip and within one window', () => {
    expect(viewLength(501, 15, 16, 608)).toBe(480);
    expect(viewLength(1001, 15, 16, 608)).toBe(608);
    expect(viewLength(20, 15, 16, 608)).toBe(16);
  });
});

describe('evaluation splits', () => {
  const esc = Array.from({ length: 50 }, (_, i) => ({ label: `c${i % 5}`, fold: (i % 5) + 1 }));

  it('fold datasets: each fold is test once, validation is 10 % of the rest', () => {
    const splits = makeSplits(esc, { seed: 1 });
    expect(splits.map((s) => s.name)).toEqual(['fold 1', 'fold 2', 'fold 3', 'fold 4', 'fold 5']);
    for (const [k, s] of splits.entries()) {
      expect(s.test.every((i) => esc[i].fold === k + 1)).toBe(true);
      expect(s.test.length).toBe(10);
      expect(s.valid.length).toBe(4);
      expect(s.train.length).toBe(36);
      const all = new Set([...s.train, ...s.valid, ...s.test]);
      expect(all.size).toBe(50);
    }
    // Seeds change the validation draw, not the folds.
    expect(makeSplits(esc, { seed: 2 })[0].valid).not.toEqual(splits[0].valid);
    expect(makeSplits(esc, { seed: 1 })[0].valid).toEqual(splits[0].valid);
    expect(makeSplits(esc, { seed: 1, onlyFolds: [2] }).map((s) => s.name)).toEqual(['fold 2']);
    expect(() => makeSplits(esc, { onlyFolds: [7] })).toThrow(/fold 7/);
  });

  it('grouped folds: every group in one fold, each fold tested once, groups stratified by label, the draw varies with the seed', () => {
    // 20 instruments of 4 families (5 each), 6 notes each with pitch labels that vary inside a group.
    const items = Array.from({ length: 120 }, (_, i) => {
      const g = Math.floor(i / 6);
      return { group: `gm${g}`, label: `fam${g % 4}`, split: g < 12 ? 'train' : g < 16 ? 'valid' : 'test' };
    });
    const splits = makeSplits(items, { seed: 3, groupFolds: 5 });
    expect(splits.map((s) => s.name)).toEqual(['fold 1', 'fold 2', 'fold 3', 'fold 4', 'fold 5']);
    const testedIn = new Map<string, number>();
    for (const [k, s] of splits.entries()) {
      expect(new Set([...s.train, ...s.valid, ...s.test]).size).toBe(120);
      const testGroups = new Set(s.test.map((i) => items[i].group));
      // No test instrument is seen in training or validation.
      for (const i of [...s.train, ...s.valid]) expect(testGroups.has(items[i].group)).toBe(false);
      // Stratified: 4 groups per fold, one of each family.
      expect(testGroups.size).toBe(4);
      expect(new Set(s.test.map((i) => items[i].label)).size).toBe(4);
      for (const g of testGroups) { expect(testedIn.has(g)).toBe(false); testedIn.set(g, k); }
    }
    expect(testedIn.size).toBe(20);
    // The dataset's own split is ignored; another seed draws other folds, the same seed the same.
    const testOf = (seed: number) => makeSplits(items, { seed, groupFolds: 5 })[0].test;
    expect(testOf(4)).not.toEqual(testOf(3));
    expect(testOf(3)).toEqual(splits[0].test);
    expect(() => makeSplits(items.map(({ label }) => ({ label })), { groupFolds: 5 })).toThrow(/group/);
    expect(() => makeSplits(items.slice(0, 18), { groupFolds: 5 })).toThrow(/at least 5 groups/);
  });

  it('official splits, with a held-out validation set when none is given', () => {
    const items = [...Array(20).fill({ split: 'train', label: 'a' }), ...Array(5).fill({ split: 'valid', label: 'a' }), ...Array(5).fill({ split: 'test', label: 'b' })];
    const [s] = makeSplits(items);
    expect([s.train.length, s.valid.length, s.test.length]).toEqual([20, 5, 5]);
    const noValid = items.filter((it) => it.split !== 'valid');
    const [t] = makeSplits(noValid);
    expect([t.train.length, t.valid.length, t.test.length]).toEqual([18, 2, 5]);
    expect(() => makeSplits([{ split: 'train' }, { split: 'holdout' }])).toThrow(/unknown split/);
    expect(() => makeSplits([{ fold: 1 }, {}])).toThrow(/either all or none/);
  });

  it('label-only datasets get stratified folds', () => {
    const labels = Array.from({ length: 40 }, (_, i) => (i < 30 ? 'x' : 'y'));
    const folds = stratifiedFolds(labels, 5, new Rng(0));
    for (let f = 1; f <= 5; f++) {
      expect(folds.filter((g, i) => g === f && labels[i] === 'x').length).toBe(6);
      expect(folds.filter((g, i) => g === f && labels[i] === 'y').length).toBe(2);
    }
    expect(makeSplits(labels.map((label) => ({ label })), { kFolds: 4 }).length).toBe(4);
    const h = holdOut([5, 6, 7], 0.1, new Rng(0));
    expect(h.valid.length).toBe(1);
    expect(h.train.length).toBe(2);
  });

  it('encodes labels over a sorted class list', () => {
    const { y, classes } = encodeLabels(['dog', 'cat', 'dog']);
    expect(classes).toEqual(['cat', 'dog']);
    expect([...y]).toEqual([1, 0, 1]);
    expect(() => encodeLabels(['cat', undefined])).toThrow(/no label/);
  });
});

describe('CLI arguments', () => {
  const spec = {
    checkpoint: { type: 'string', help: 'checkpoint' },
    lr: { type: 'number', help: 'lr', default: 3e-5 },
    seeds: { type: 'numbers', help: 'seeds', default: [0, 1, 2] },
    teacher: { type: 'boolean', help: 'teacher', default: false },
    epochs: { type: 'int', help: 'epochs', default: 200 },
  } as const;

  it('parses values, defaults, booleans and positionals', () => {
    const p = parseArgs(['a.wav', '--lr', '1e-3', '--seeds=3,4', '--teacher', 'b.wav', '--epochs', '5'], spec);
    expect(p.flags).toMatchObject({ lr: 1e-3, seeds: [3, 4], teacher: true, epochs: 5 });
    expect(p.positional).toEqual(['a.wav', 'b.wav']);
    expect(parseArgs([], spec).flags).toMatchObject({ lr: 3e-5, seeds: [0, 1, 2], teacher: false });
    expect(parseArgs(['--no-teacher'], spec).flags.teacher).toBe(false);
    expect(parseArgs(['--help'], spec).help).toBe(true);
  });

  it('rejects unknown flags, bad numbers and missing values by name', () => {
    expect(() => parseArgs(['--lrr', '1'], spec)).toThrow(UsageError);
    expect(() => parseArgs(['--lr', 'fast'], spec)).toThrow(/--lr: "fast" is not a number/);
    expect(() => parseArgs(['--epochs', '2.5'], spec)).toThrow(/integer/);
    expect(() => parseArgs(['--checkpoint'], spec)).toThrow(/needs a value/);
    expect(usage('x [options]', spec)).toMatch(/--lr NUMBER\s+lr \(default 0.00003\)/);
  });

  it('a flag with a fixed set of values returns it or names the flag and the choices', () => {
    const choices = ['mean', 'mean+std'] as const;
    expect(get.oneOf(parseArgs(['--checkpoint', 'mean+std'], spec), 'checkpoint', choices)).toBe('mean+std');
    expect(() => get.oneOf(parseArgs(['--checkpoint', 'max'], spec), 'checkpoint', choices)).toThrow(UsageError);
    expect(() => get.oneOf(parseArgs(['--checkpoint', 'max'], spec), 'checkpoint', choices)).toThrow('--checkpoint: unknown value max (known: mean, mean+std)');
    expect(() => get.oneOf(parseArgs([], spec), 'checkpoint', choices)).toThrow(/--checkpoint: unknown value \(none\)/);
  });
});

describe('stability outputs', () => {
  it('writes CSV and an SVG with one polyline per curve', () => {
    const c = { shifts: [0, 1, 2], mean: [1, 0.9, 0.8], std: [0, 0.01, 0.02], perClip: [], lengths: [] };
    const csv = stabilityCsv([{ name: 'a', curve: c }, { name: 'b', curve: { ...c, mean: [1, 0.95, 0.9] } }]);
    expect(csv.split('\n')[0]).toBe('shift,a_mean,a_std,b_mean,b_std');
    expect(csv.split('\n')[2]).toBe('1,0.900000,0.010000,0.950000,0.010000');
    const svg = lineChartSvg([{ name: 'a', x: c.shifts, y: c.mean }, { name: 'b<c>', x: c.shifts, y: [1, 0.95, 0.9] }], { title: 't' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline/g)?.length).toBe(2);
    expect(svg).toContain('b&lt;c&gt;');
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });
  it('line charts share a colour where asked and dash a series', () => {
    const svg = lineChartSvg([{ name: 'a', x: [0, 1], y: [1, 2] }, { name: 'b', x: [0, 1], y: [2, 1], colorIndex: 0, dashed: true }]);
    const lines = [...svg.matchAll(/<polyline [^>]*stroke="(#[0-9a-f]+)"[^>]*>/g)];
    expect(lines.map((l) => l[1])).toEqual(['#1f77b4', '#1f77b4']);
    expect(lines.map((l) => l[0].includes('stroke-dasharray'))).toEqual([false, true]);
  });
  it('interval charts put each mean and its CI on one axis with a line at 0', () => {
    const svg = intervalChartSvg(['timbre', 'pitch<'], [{ name: 'on', mean: [20, -4], half: [2, 3] }, { name: 'off', mean: [10, 1], half: [NaN, 1] }], { title: 'gains' });
    const dots = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="3.5"/g)].map((m) => [+m[1], +m[2]]);
    const cis = [...svg.matchAll(/<line class="ci" x1="([\d.]+)" x2="([\d.]+)" y1="([\d.]+)"/g)].map((m) => [+m[1], +m[2], +m[3]]);
    expect(cis).toHaveLength(3); // the off series has no interval on timbre
    // Four data dots then (per series) a legend dot; each whisker centred on its dot.
    const [onTimbre, onPitch, offTimbre, offPitch] = [dots[0], dots[1], dots[3], dots[4]];
    expect((cis[0][0] + cis[0][1]) / 2).toBeCloseTo(onTimbre[0], 0);
    expect(cis[0][2]).toBe(onTimbre[1]);
    // The x axis is linear: 20 and 10 are as far apart as 10 and 0 (the dashed line).
    const zero = +/<line x1="([\d.]+)" x2="[\d.]+" y1="[\d.]+" y2="[\d.]+" stroke="#333" stroke-dasharray/.exec(svg)![1];
    expect(onTimbre[0] - offTimbre[0]).toBeCloseTo(offTimbre[0] - zero, 0);
    expect(onPitch[0]).toBeLessThan(zero);
    expect(offPitch[0]).toBeGreaterThan(zero);
    // Rows top to bottom in the given order, series apart within a row.
    expect(onTimbre[1]).toBeLessThan(offTimbre[1]);
    expect(offTimbre[1]).toBeLessThan(onPitch[1]);
    expect(svg).toContain('pitch&lt;');
    const gap = intervalChartSvg(['a', 'b'], [{ name: 's', mean: [5, NaN], half: [1, NaN] }]);
    expect(gap).not.toContain('NaN');
    expect(gap.match(/r="3.5"/g)).toHaveLength(2); // one data dot, one legend dot
  });
  // Two models whose clips differ far more among themselves than the models differ per clip: the
  // unpaired intervals overlap, the paired one does not.
  const curve = (perClip: number[][]) => ({ shifts: [0, 1, 2], mean: [0, 1, 2].map((s) => perClip.reduce((a, c) => a + c[s], 0) / perClip.length), std: [0, 0, 0], perClip, lengths: perClip.map(() => 32) });
  const a = curve([[1, 0.99, 0.97], [1, 0.95, 0.93], [1, 0.90, 0.88], [1, 0.97, 0.95]]);
  const b = curve([[1, 0.985, 0.965], [1, 0.945, 0.925], [1, 0.895, 0.875], [1, 0.962, 0.946]]);
  it('per-clip summaries average s ≥ 1 and their mean is the summary', () => {
    expect(clipSummaries(a)).toEqual([0.98, 0.94, 0.89, 0.96].map((v) => expect.closeTo(v, 12)));
    const ci = stabilityCI(a);
    expect(ci.mean).toBeCloseTo(stabilitySummary(a), 12);
    expect(ci.n).toBe(4);
    expect(ci.half).toBeGreaterThan(0.03);
  });
  it('pairs two models over the same clips and refuses different clip sets', () => {
    const d = pairedStabilityCI(a, b);
    expect(d.mean).toBeCloseTo((0.005 + 0.005 + 0.005 + 0.006) / 4, 12);
    expect(d.lo).toBeGreaterThan(0); // a is steadier although stabilityCI(a) and stabilityCI(b) overlap
    expect(stabilityCI(b).hi).toBeGreaterThan(stabilityCI(a).lo);
    expect([pairedSign(d), pairedSign(pairedStabilityCI(b, a)), pairedSign(pairedStabilityCI(a, a)), pairedSign(meanCI([0.1]))]).toEqual([1, -1, 0, null]);
    expect(() => pairedStabilityCI(a, curve([[1, 0.9, 0.8]]))).toThrow(/same clips/);
    expect(() => pairedStabilityCI(a, { ...b, lengths: [32, 32, 32, 48] })).toThrow(/same clips/);
  });
  it('the bench table prints the interval over clips and the paired AaPE on − off verdict per clip set and kind of row', () => {
    const set = (c: typeof a, shift = [0, 0, 0, 0]) => ({ set: 'procedural clips', clips: clipSummaries(c).map((v, i) => v + shift[i]) });
    // A second clip set on which the random inits are reversed (b's clips for AaPE on).
    const rec = (c: typeof a) => ({ set: 'recorded notes', clips: clipSummaries(c) });
    const rows = [
      { model: 'random init, AaPE on', cells: {}, stability: [set(a), rec(b)] },
      { model: 'random init, AaPE off', cells: {}, stability: [set(b), rec(a)] },
      { model: 'pre-trained 100 steps, AaPE on', cells: {}, stability: [set(b)] },
      { model: 'pre-trained 100 steps, AaPE off', cells: {}, stability: [set(b, [0.001, -0.002, 0.001, 0])] },
      { model: 'log-mel statistics (no encoder)', cells: {} },
    ];
    const lines = benchTable([], rows).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^\| stability, procedural clips \(mean cos, s=1\.\.15\) /);
    expect(lines[2]).toContain(`${stabilitySummary(a).toFixed(5)} ± ${stabilityCI(a).half.toFixed(5)}`);
    expect(lines[3]).toMatch(/^\| stability, recorded notes .*\| — +\| — +\| — +\|$/);
    expect(lines[3]).toContain(`${stabilitySummary(b).toFixed(5)} ± ${stabilityCI(b).half.toFixed(5)}`);
    const p = stabilityPairsTable(rows).split('\n');
    expect(p.length).toBe(5);
    expect(p[0]).toMatch(/^\| stability, paired over clips +\| clip set +\| on − off \(mean cos\) \| clips \| verdict/);
    expect(p[2]).toMatch(/random init, AaPE on − random init, AaPE off +\| procedural clips \| \+0\.00525 ± 0\.000\d\d +\| 4 +\| AaPE on steadier, CI excludes 0/);
    expect(p[3]).toMatch(/pre-trained 100 steps, AaPE on − pre-trained 100 steps, AaPE off +\| procedural clips \| [+-]0\.00000 ± .*\| CI contains 0/);
    expect(p[4]).toMatch(/random init, AaPE on − random init, AaPE off +\| recorded notes +\| -0\.00525 ± 0\.000\d\d +\| 4 +\| AaPE off steadier, CI excludes 0/);
    expect(stabilityPairsTable(rows.slice(0, 1))).toBe('');
  });
});

describe('feature dimensionality (participation ratio)', () => {
  it('is (Σλ)²/Σλ² of the standardised covariance, exactly, on both the ZᵀZ and the ZZᵀ path', () => {
    // Columns a, a (perfectly correlated), b (orthogonal): C = [[1,1,0],[1,1,0],[0,0,1]], λ = 2, 1, 0.
    const a = [1, -1, 1, -1], b = [1, 1, -1, -1];
    const x = a.flatMap((v, i) => [v, 3 * v + 7, b[i]]); // scale and offset vanish in standardisation
    const r = participationRatio(x, 4, 3);
    expect(r.participation).toBeCloseTo(9 / 5, 12);
    expect(r.dims).toBe(3);
    // More dimensions than rows (the ZZᵀ path): 4 rows, 6 columns = the 3 above twice → λ = 4, 2.
    const wide = a.flatMap((v, i) => [v, 3 * v + 7, b[i], -v, v, 2 * b[i]]);
    expect(participationRatio(wide, 4, 6).participation).toBeCloseTo(36 / 20, 12);
  });
  it('leaves constant dimensions out and is near d for isotropic data, near 1 for one direction', () => {
    const rng = new Rng(5);
    const n = 4000, d = 8;
    const iso = Float64Array.from({ length: n * d }, () => rng.normal());
    const pr = participationRatio(iso, n, d).participation;
    expect(pr).toBeGreaterThan(7.9);
    expect(pr).toBeLessThanOrEqual(8);
    const one = new Float64Array(n * (d + 1));
    for (let i = 0; i < n; i++) {
      const t = rng.normal();
      for (let j = 0; j < d; j++) one[i * (d + 1) + j] = (j + 1) * t + 1e-3 * rng.normal();
      one[i * (d + 1) + d] = 5; // constant
    }
    const r = participationRatio(one, n, d + 1);
    expect(r.dims).toBe(d);
    expect(r.participation).toBeLessThan(1.01);
    expect(() => participationRatio([1, 2, 3], 2, 2)).toThrow(/3 values for 2 × 2/);
  });
  it('the bench prints one row per task and one column per model that has it', () => {
    const ci = meanCI([0.5, 0.5]);
    const rows = [
      { model: 'random init, AaPE off', cells: { pitch: { ci, participation: 14.3 }, keywords: { ci, participation: 6.25 } } },
      { model: 'pre-trained, AaPE off', cells: { pitch: { ci, participation: 6.1 } } },
      { model: 'no numbers', cells: { pitch: { ci } } },
    ];
    const t = dimensionalityTable([{ name: 'pitch', classes: 12 }, { name: 'keywords', classes: 10 }], rows).split('\n');
    expect(t[0]).toMatch(/^\| features: participation ratio \| random init, AaPE off \| pre-trained, AaPE off \|$/);
    expect(t[2]).toMatch(/^\| pitch +\| 14\.3 +\| 6\.1 +\|$/);
    expect(t[3]).toMatch(/^\| keywords +\| 6\.3 +\| — +\|$/);
    expect(dimensionalityTable([{ name: 'pitch', classes: 12 }], [rows[2]])).toBe('');
  });
});

describe('proxy benchmark table', () => {
  const rows = [
    { model: 'random init, AaPE on', cells: { pitch: { ci: meanCI([0.3, 0.32, 0.34]), ridge: meanCI([0.4, 0.4, 0.4]) }, event: { ci: meanCI([0.5]) } }, stability: [{ set: 'procedural clips', clips: [0.99512] }] },
    { model: 'pre-trained 10 steps, AaPE on', cells: { pitch: { ci: meanCI([0.5, 0.52, 0.54]), ridge: meanCI([0.41, 0.39, 0.4]) } }, stability: undefined },
  ];
  const tasks = [{ name: 'pitch', classes: 12 }, { name: 'event', classes: 4 }];
  it('prints one column per model, EVAR and ridge rows per task with chance, and the stability summary', () => {
    const lines = benchTable(tasks, rows).split('\n');
    expect(lines.length).toBe(2 + 4 + 1);
    expect(lines[0]).toMatch(/^\| task +\| probe \| chance % \| random init, AaPE on +\| pre-trained 10 steps, AaPE on \|$/);
    expect(lines[2]).toMatch(/^\| pitch +\| EVAR +\| 8\.3 +\| 32\.0 ± 5\.0 +\| 52\.0 ± 5\.0/);
    expect(lines[3]).toMatch(/^\| pitch +\| ridge +\| 8\.3 +\| 40\.0 ± 0\.0 +\| 40\.0 ± 2\.5/);
    expect(lines[4]).toMatch(/^\| event +\| EVAR +\| 25\.0 +\| 50\.0 +\| — /);
    expect(lines[6]).toContain('0.99512');
    expect(lines[6]).toContain('—');
  });
  it('calls a difference only when the 95 % intervals are disjoint', () => {
    expect(compareCI(meanCI([0.5, 0.52, 0.54]), meanCI([0.3, 0.32, 0.34]))).toBe('above');
    expect(compareCI(meanCI([0.3, 0.32, 0.34]), meanCI([0.5, 0.52, 0.54]))).toBe('below');
    expect(compareCI(meanCI([0.41, 0.39, 0.4]), meanCI([0.4, 0.4, 0.4]))).toBe('overlap');
    const v = verdictTable(tasks, rows).split('\n');
    expect(v[0]).toContain('pre-trained 10 steps, AaPE on vs random init');
    expect(v[2]).toMatch(/pitch +\| EVAR +\| \+20\.0 \(better, CIs disjoint\)/);
    expect(v[3]).toMatch(/pitch +\| ridge +\| \+0\.0 \(CIs overlap\)/);
    expect(v[4]).toMatch(/event .*—/);
    const fixed = [{ model: 'random init, AaPE on', cells: { pitch: { ci: meanCI([0.4, 0.4, 0.4]) } } }, { model: 'pre-trained, AaPE on', cells: { pitch: { ci: meanCI([0.45, 0.45, 0.45]) } } }];
    expect(verdictTable([tasks[0]], fixed).split('\n')[2]).toContain('+5.0 (fixed split, no seed spread)');
    const single = [{ model: 'random init, AaPE on', cells: { pitch: { ci: meanCI([0.4]) } } }, { model: 'pre-trained, AaPE on', cells: { pitch: { ci: meanCI([0.3]) } } }];
    expect(verdictTable([tasks[0]], single).split('\n')[2]).toContain('-10.0 (one seed, no interval)');
  });
});
