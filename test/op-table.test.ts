// Op codes come from the op tables (elementwise ops, reductions) by name, never as numbers: with the table's rows in
// reverse order (so every op's code changes), the generated kernels, every unary and binary op, and
// the fused users of op codes (linear's GELU and bias epilogues and GELU backward) must still compute
// the same functions. A hard-coded code (e.g. GELU as 13) makes this file fail.
import { describe, expect, it, vi } from 'vitest';
import { useGpu } from './helpers/gpu';
import { checkOp, worst } from './helpers/check-op';
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS } from '../src/ops/elementwise-table';
import { binaryCode, reduceCode, unaryCode } from '../src/ops/kernels';
import { binarySpecs, gelu, linear, linearSpecs, reductionSpecs, unarySpecs } from '../src/ops';
import { tensor, scopeAsync, type Tensor } from '../src/tensor/tensor';
import { backward } from '../src/tensor/autograd';
import { Rng } from '../src/util/rng';

vi.mock('../src/ops/elementwise-table', async (importOriginal) => {
  const m = await importOriginal<typeof import('../src/ops/elementwise-table')>();
  return { ...m, UNARY_OPS: [...m.UNARY_OPS].reverse(), BINARY_OPS: [...m.BINARY_OPS].reverse(), REDUCE_OPS: [...m.REDUCE_OPS].reverse() };
});

useGpu();

describe('op table reordered', () => {
  it('is really reordered: codes follow the rows', () => {
    expect(UNARY_OPS[0].name).toBe('square');
    expect(BINARY_OPS[0].name).toBe('ne');
    expect(unaryCode('gelu')).toBe(UNARY_OPS.length - 1 - 13);
    expect(binaryCode('add')).toBe(BINARY_OPS.length - 1);
    expect(REDUCE_OPS.map((r) => r.name)).toEqual(['min', 'max', 'sum']);
    expect(reduceCode('sum')).toBe(2);
  });

  // Reductions (per-thread, per-group and two-stage kernels; mean is the sum's scaled finish).
  for (const spec of reductionSpecs.filter((r) => /^(sum|mean|max|min)\((axes=1, keepdim=false|axes=0,2, keepdim=true|two-stage, axes=all)\)$/.test(r.name))) {
    it(`${spec.name} [${spec.cases[0].map((s) => `[${s}]`).join(', ')}] still reduces by its function`, async () => { await checkOp(spec, 0); });
  }

  // One case of each elementwise op (forward and gradients against float64).
  for (const spec of [...unarySpecs, ...binarySpecs]) {
    it(`${spec.name} still computes its function`, async () => { await checkOp(spec, Math.min(2, spec.cases.length - 1)); });
  }

  // linear(gelu) against float64: [7, 33] takes the general matmul with the bias and GELU applied by
  // the elementwise kernels, [5, 512] split-K (epilogue after the sum), [33, 64] the fused epilogue
  // (GELU's backward is the unary kernel in every case).
  const gl = linearSpecs.find((s) => s.name === 'linear(gelu)')!;
  gl.cases.forEach((c, i) => {
    if (![[7, 33], [5, 512], [33, 64]].some((x) => x.join() === c[0].join())) return;
    it(`${gl.name} [${c.map((s) => `[${s}]`).join(', ')}]`, async () => { await checkOp(gl, i); });
  });

  const shapes: [number[], number[]][] = [[[7, 33], [5, 33]], [[5, 512], [8, 512]], [[33, 64], [36, 64]]];
  for (const [xs, ws] of shapes) {
    it(`linear(gelu) equals gelu(linear), values and gradients, x [${xs}] W [${ws}]`, async () => {
      const rng = new Rng(7);
      const rand = (n: number) => Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1);
      const out = ws[0];
      const nx = xs[0] * xs[1], nw = ws[0] * ws[1];
      const [xd, wd, bd, up] = [rand(nx), rand(nw), rand(out), rand(xs[0] * out)];
      const run = (f: (x: Tensor, w: Tensor, b: Tensor) => Tensor) => scopeAsync(async () => {
        const x = tensor(xd, xs).requireGrad(), w = tensor(wd, ws).requireGrad(), b = tensor(bd, [out]).requireGrad();
        const y = f(x, w, b);
        const v = await y.toFloat32();
        backward(y, tensor(up, y.shape));
        return [v, ...(await Promise.all([x, w, b].map((t) => t.grad!.toFloat32())))];
      });
      const fused = await run((x, w, b) => linear(x, w, b, { gelu: true }));
      const composed = await run((x, w, b) => gelu(linear(x, w, b)));
      ['value', 'dx', 'dW', 'db'].forEach((what, k) => {
        expect(worst(fused[k], composed[k], 1e-5, 1e-4), what).toBeNull();
      });
    });
  }
});
