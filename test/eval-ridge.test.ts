// The closed-form ridge probe: exact linear algebra, known answers, determinism, both solve forms.
import { describe, expect, it } from 'vitest';
import { cholesky, choleskySolve, trainRidge, trainRidgeChoosingBlocks, RIDGE_LAMBDAS } from '../src/eval/ridge';
import { runRidgeProtocol } from '../src/eval/protocol';
import type { FeatureSet } from '../src/eval/linear';
import { Rng } from '../src/util/rng';
import { clusters } from './helpers/clusters';

describe('Cholesky solve', () => {
  it('solves a random SPD system to 1e-10', () => {
    const rng = new Rng(0), m = 7, c = 3;
    const b = Float64Array.from({ length: m * m }, () => rng.normal());
    const a = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) { let s = i === j ? m : 0; for (let k = 0; k < m; k++) s += b[i * m + k] * b[j * m + k]; a[i * m + j] = s; }
    const z = Float64Array.from({ length: m * c }, () => rng.normal());
    const rhs = new Float64Array(m * c);
    for (let i = 0; i < m; i++) for (let j = 0; j < c; j++) for (let k = 0; k < m; k++) rhs[i * c + j] += a[i * m + k] * z[k * c + j];
    const l = a.slice();
    cholesky(l, m);
    choleskySolve(l, m, rhs, c);
    for (let i = 0; i < m * c; i++) expect(rhs[i]).toBeCloseTo(z[i], 10);
  });
  it('refuses a matrix that is not positive definite', () => {
    expect(() => cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/not positive definite/);
  });
});

describe('ridge probe', () => {
  it('recovers linearly separable classes (primal form: n > dim)', () => {
    const rng = new Rng(1), C = 4, dim = 16;
    const r = trainRidge(clusters(rng, 50, C, dim, 1, 10), clusters(rng, 10, C, dim, 1, 10), clusters(rng, 25, C, dim, 1, 10), C);
    expect(r.testAcc).toBeGreaterThanOrEqual(0.98);
    expect(r.validByLambda.map((v) => v.lambda)).toEqual(RIDGE_LAMBDAS);
  });
  it('recovers them in the dual form too (n < dim), with the same predictions as the primal form', () => {
    const rng = new Rng(2), C = 3, dim = 40;
    const tr = clusters(rng, 10, C, dim, 1.5), va = clusters(rng, 5, C, dim, 1.5), te = clusters(rng, 20, C, dim, 1.5);
    const dual = trainRidge(tr, va, te, C, [0.1]);
    expect(dual.testAcc).toBeGreaterThanOrEqual(0.95);
    // Same problem with n > dim by duplicating the train set 2× (same solution: λ scales with n).
    const tr2: FeatureSet = { x: new Float32Array([...tr.x, ...tr.x]), n: 2 * tr.n, dim, y: new Int32Array([...tr.y, ...tr.y]) };
    const primal = trainRidge(tr2, va, te, C, [0.1]);
    expect([...primal.testPred]).toEqual([...dual.testPred]);
  });
  it('stays near chance on shuffled labels', () => {
    const rng = new Rng(3), C = 4, dim = 24;
    const noise = (s: FeatureSet): FeatureSet => ({ ...s, y: Int32Array.from({ length: s.n }, () => rng.int(C)) });
    const r = trainRidge(noise(clusters(rng, 40, C, dim, 1)), noise(clusters(rng, 20, C, dim, 1)), noise(clusters(rng, 100, C, dim, 1)), C);
    expect(r.testAcc).toBeGreaterThan(0.12);
    expect(r.testAcc).toBeLessThan(0.4);
  });
  it('is deterministic: the same input gives bit-identical predictions', () => {
    const mk = () => { const rng = new Rng(4); return [clusters(rng, 20, 3, 12, 3), clusters(rng, 5, 3, 12, 3), clusters(rng, 20, 3, 12, 3)] as const; };
    const a = trainRidge(...mk(), 3), b = trainRidge(...mk(), 3);
    expect(a).toEqual(b);
  });
  it('keeps the λ with the best validation accuracy, the largest on ties', () => {
    const rng = new Rng(5), C = 2, dim = 60, n = 30;
    const mk = (k: number): FeatureSet => {
      const x = new Float32Array(k * dim), y = new Int32Array(k);
      for (let i = 0; i < k; i++) { y[i] = i % C; for (let d = 0; d < dim; d++) x[i * dim + d] = (d === 0 ? (y[i] ? 1 : -1) : 0) + 1.5 * rng.normal(); }
      return { x, n: k, dim, y };
    };
    const r = trainRidge(mk(n), mk(200), mk(200), C);
    const top = Math.max(...r.validByLambda.map((v) => v.acc));
    expect(r.validAcc).toBe(top);
    expect(r.lambda).toBe(Math.max(...r.validByLambda.filter((v) => v.acc === top).map((v) => v.lambda)));
    expect(r.testAcc).toBeGreaterThan(0.6);
  });
  it('names bad input', () => {
    const rng = new Rng(6);
    const s = clusters(rng, 5, 2, 4, 1);
    expect(() => trainRidge(s, { ...s, n: 0, x: new Float32Array(0), y: new Int32Array(0) }, s, 2)).toThrow(/non-empty/);
    expect(() => trainRidge(s, s, s, 1)).toThrow(/label 1 outside/);
    expect(() => trainRidge(s, s, s, 2, [0])).toThrow(/λ grid/);
  });
});

describe('ridge probe choosing blocks', () => {
  // Two token rows × two blocks × width 10, interleaved as the encoder lays them out: row 0 block 0,
  // row 0 block 1, row 1 block 0, row 1 block 1. Block 0 holds the classes (one feature each), block 1 noise.
  const C = 3, W = 10, dim = 2 * 2 * W;
  const blockOf = (i: number) => Math.floor((i % (2 * W)) / W);
  const mk = (rng: Rng, k: number, informative: (b: number) => boolean): FeatureSet => {
    const x = new Float32Array(k * dim), y = new Int32Array(k);
    for (let i = 0; i < k; i++) {
      y[i] = i % C;
      for (let d = 0; d < dim; d++) x[i * dim + d] = (informative(blockOf(d)) && d % W === y[i] ? 1.2 : 0) + rng.normal();
    }
    return { x, n: k, dim, y };
  };
  const cols = (s: FeatureSet, keep: number) => {
    const c = Array.from({ length: dim }, (_, i) => i).filter((i) => blockOf(i) === keep);
    return { x: Float32Array.from({ length: s.n * c.length }, (_, k) => s.x[Math.floor(k / c.length) * dim + c[k % c.length]]), n: s.n, dim: c.length, y: s.y };
  };

  it('reads the block that holds the classes when the other is noise: the fit on that block alone, from its interleaved columns', () => {
    const rng = new Rng(8);
    const [tr, va, te] = [mk(rng, 24, (b) => b === 0), mk(rng, 300, (b) => b === 0), mk(rng, 300, (b) => b === 0)];
    const r = trainRidgeChoosingBlocks(tr, va, te, C, { count: 2, width: W });
    expect(r.blocks).toEqual([0]);
    const alone = trainRidge(cols(tr, 0), cols(va, 0), cols(te, 0), C);
    expect(Array.from(r.testPred)).toEqual(Array.from(alone.testPred));
    expect([r.lambda, r.validAcc]).toEqual([alone.lambda, alone.validAcc]);
    expect(r.testAcc).toBeGreaterThan(trainRidge(tr, va, te, C).testAcc);
  });

  it('keeps every block on ties (the plain side-by-side read-out), and names bad layouts', () => {
    const rng = new Rng(9);
    const sep = (k: number) => { const s = mk(rng, k, () => true); for (let i = 0; i < s.n; i++) for (let d = 0; d < dim; d++) if (d % W === s.y[i]) s.x[i * dim + d] += 8; return s; };
    const [tr, va, te] = [sep(30), sep(30), sep(30)];
    const r = trainRidgeChoosingBlocks(tr, va, te, C, { count: 2, width: W });
    expect(r.validAcc).toBe(1);
    expect(r.blocks).toEqual([0, 1]);
    expect(Array.from(r.testPred)).toEqual(Array.from(trainRidge(tr, va, te, C).testPred));
    expect(() => trainRidgeChoosingBlocks(tr, va, te, C, { count: 3, width: W })).toThrow('ridge probe: 40 features are not 3 blocks of 10 per token row');
  });

  it('records the chosen blocks by name in the protocol', () => {
    const rng = new Rng(10);
    const s = mk(rng, 600, (b) => b === 0);
    const f = { ...s, classes: ['a', 'b', 'c'], items: Array.from(s.y, (c, i) => ({ label: 'abc'[c], fold: (i % 5) + 1 })) };
    const r = runRidgeProtocol(f, { seeds: [0], chooseBlocks: { count: 2, width: W, names: [1, 4] } });
    const chosen = r.seeds[0].splits.map((x) => x.blocks);
    expect(chosen.every((b) => b !== undefined && b.every((n) => n === 1 || n === 4))).toBe(true);
    expect(chosen.filter((b) => JSON.stringify(b) === '[1]').length).toBeGreaterThanOrEqual(3);
    expect(runRidgeProtocol(f, { seeds: [0] }).seeds[0].splits[0].blocks).toBeUndefined();
  });
});

describe('ridge protocol', () => {
  it('runs the EVAR splits per seed and reports a CI whose spread comes from the validation hold-out', () => {
    const rng = new Rng(7), C = 3, dim = 8;
    const s = clusters(rng, 25, C, dim, 2.5);
    const f = { x: s.x, n: s.n, dim, y: s.y, classes: ['a', 'b', 'c'], items: Array.from(s.y, (c, i) => ({ label: 'abc'[c], fold: (i % 5) + 1 })) };
    const r = runRidgeProtocol(f, { seeds: [0, 1, 2] });
    expect(r.seeds).toHaveLength(3);
    expect(r.seeds[0].splits).toHaveLength(5);
    expect(r.ci.mean).toBeGreaterThan(0.8);
    expect(runRidgeProtocol(f, { seeds: [0, 1, 2] })).toEqual(r);
    // With an official validation split nothing depends on the seed.
    const g = { ...f, items: Array.from(s.y, (c, i) => ({ label: 'abc'[c], split: ['train', 'train', 'train', 'valid', 'test'][i % 5] })) };
    const o = runRidgeProtocol(g, { seeds: [0, 1, 2] });
    expect(new Set(o.seeds.map((x) => x.acc)).size).toBe(1);
    expect(o.ci.std).toBeLessThan(1e-12);
  });
});
