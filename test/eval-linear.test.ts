// The EVAR linear protocol on the GPU engine, on data with a known answer.
import { describe, expect, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { trainLinear, standardizer, type FeatureSet } from '../src/eval/linear';
import { runLinearProtocol } from '../src/eval/protocol';
import { Rng } from '../src/util/rng';
import { clusters } from './helpers/clusters';

useGpu();

function shuffledLabels(set: FeatureSet, C: number, rng: Rng): FeatureSet {
  return { ...set, y: Int32Array.from({ length: set.n }, () => rng.int(C)) };
}

describe('linear evaluation', () => {
  it('reaches ~100 % on linearly separable classes', async () => {
    const rng = new Rng(1);
    const C = 4, dim = 32;
    const [tr, va, te] = [clusters(rng, 50, C, dim, 1, 10), clusters(rng, 10, C, dim, 1, 10), clusters(rng, 25, C, dim, 1, 10)];
    const r = await trainLinear(tr, va, te, C, { lr: 1e-3, maxEpochs: 60, seed: 0 });
    expect(r.testAcc).toBeGreaterThanOrEqual(0.98);
    expect(r.history[0].loss).toBeGreaterThan(r.history[r.history.length - 1].loss);
    // Standardisation uses train statistics: the shifted features are centred.
    expect(Math.abs(r.featMean[0] - (10 + 1))).toBeLessThan(0.5);
  });

  it('stays near chance with shuffled labels', async () => {
    const rng = new Rng(2);
    const C = 4, dim = 32;
    const tr = shuffledLabels(clusters(rng, 50, C, dim, 1), C, rng);
    const va = shuffledLabels(clusters(rng, 10, C, dim, 1), C, rng);
    const te = shuffledLabels(clusters(rng, 50, C, dim, 1), C, rng);
    const r = await trainLinear(tr, va, te, C, { lr: 1e-3, maxEpochs: 40, patience: 10, seed: 0 });
    expect(r.testAcc).toBeLessThan(0.4);
    expect(r.testAcc).toBeGreaterThan(0.1);
  });

  it('early stopping restores the best weights', async () => {
    const rng = new Rng(3);
    const C = 3, dim = 16;
    const tr = clusters(rng, 30, C, dim, 2);
    // Validation labels are noise, so validation accuracy wanders and peaks early.
    const va = shuffledLabels(clusters(rng, 20, C, dim, 2), C, rng);
    const te = clusters(rng, 10, C, dim, 2);
    const patience = 4;
    const seen: number[] = [];
    const r = await trainLinear(tr, va, te, C, { lr: 3e-3, maxEpochs: 100, patience, seed: 5, onEpoch: (e) => seen.push(e.validAcc) });
    const accs = r.history.map((h) => h.validAcc);
    expect(seen).toEqual(accs);
    expect(r.bestValidAcc).toBe(Math.max(...accs));
    expect(r.bestEpoch).toBe(accs.indexOf(Math.max(...accs)));
    expect(r.epochs).toBeLessThan(100);
    expect(r.epochs).toBe(r.bestEpoch + patience + 1);
    // The returned weights are the restored ones: recompute validation accuracy on the CPU.
    const { mean, std } = standardizer(tr);
    let ok = 0;
    for (let i = 0; i < va.n; i++) {
      let best = -Infinity, arg = 0;
      for (let c = 0; c < C; c++) {
        let s = r.bias[c];
        for (let d = 0; d < dim; d++) s += r.weight[c * dim + d] * (va.x[i * dim + d] - mean[d]) / std[d];
        if (s > best) { best = s; arg = c; }
      }
      if (arg === va.y[i]) ok++;
    }
    expect(ok / va.n).toBeCloseTo(r.bestValidAcc, 10);
    // This run's last epoch is worse than its best, so the restore is what makes the numbers agree.
    expect(accs[accs.length - 1]).toBeLessThan(r.bestValidAcc);
  });

  it('runs folds × seeds and reports mean ± CI', async () => {
    const rng = new Rng(4);
    const C = 3, dim = 12;
    const set = clusters(rng, 20, C, dim, 1);
    const items = Array.from({ length: set.n }, (_, i) => ({ fold: (Math.floor(i / C) % 4) + 1 }));
    const r = await runLinearProtocol({ ...set, classes: ['a', 'b', 'c'], items }, { lr: 2e-2, maxEpochs: 30, patience: 10, seeds: [0, 1], onlyFolds: [1, 2] });
    expect(r.seeds.length).toBe(2);
    expect(r.seeds[0].splits.map((s) => s.split)).toEqual(['fold 1', 'fold 2']);
    expect(r.seeds[0].splits[0].nTest).toBe(15);
    expect(r.ci.n).toBe(2);
    expect(r.ci.mean).toBeGreaterThan(0.9);
  });
});
