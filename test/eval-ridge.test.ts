// The closed-form ridge probe: exact linear algebra, known answers, determinism, both solve forms.
import { describe, expect, it } from 'vitest';
import { cholesky, choleskySolve, trainRidge, RIDGE_LAMBDAS } from '../src/eval/ridge';
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
