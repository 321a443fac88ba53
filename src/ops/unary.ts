/**
 * Elementwise unary ops. Forward and backward are one WGSL kernel each (shaders/unary.wgsl), whose
 * switch is generated from the op table (src/ops/elementwise-table.ts): each op's WGSL forward,
 * derivative and float64 reference sit in one row there.
 */
import { Tensor } from '../tensor/tensor';
import { record } from '../tensor/tape';
import { map, type NDArray } from '../tensor/ndarray';
import { unaryCode, unaryK } from './kernels';
import { checkF32, empty, grid, runtime } from './util';
import { shapeCases, type OpSpec } from './spec';
import { UNARY_OPS, type UnaryName } from './elementwise-table';

export type { UnaryName };

function unary(name: UnaryName, x: Tensor): Tensor {
  checkF32(name, x);
  const code = unaryCode(name);
  const y = empty(x.shape);
  runtime().dispatch(unaryK('main'), { buffers: { x: x.buffer, y: y.buffer }, uniforms: { n: x.size }, workgroups: grid(x.size), overrides: { OP: code } });
  return record(name, y, [x], [x], (g, [xs]) => {
    const dx = empty(xs.shape);
    runtime().dispatch(unaryK('backward'), { buffers: { x: xs.buffer, g: g.buffer, dx: dx.buffer }, uniforms: { n: xs.size }, workgroups: grid(xs.size), overrides: { OP: code } });
    return [dx];
  });
}

export const neg = (x: Tensor) => unary('neg', x);
export const abs = (x: Tensor) => unary('abs', x);
export const exp = (x: Tensor) => unary('exp', x);
export const log = (x: Tensor) => unary('log', x);
export const log1p = (x: Tensor) => unary('log1p', x);
export const sqrt = (x: Tensor) => unary('sqrt', x);
export const rsqrt = (x: Tensor) => unary('rsqrt', x);
export const sin = (x: Tensor) => unary('sin', x);
export const cos = (x: Tensor) => unary('cos', x);
export const tanh = (x: Tensor) => unary('tanh', x);
export const sigmoid = (x: Tensor) => unary('sigmoid', x);
export const softplus = (x: Tensor) => unary('softplus', x);
export const relu = (x: Tensor) => unary('relu', x);
/** Exact (erf) GELU. */
export const gelu = (x: Tensor) => unary('gelu', x);
export const square = (x: Tensor) => unary('square', x);

// relu and abs have kinks at 0: sample away from them so finite differences are meaningful.
const awayFromZero = (shapes: number[][], _i: number, rand: () => number) => {
  const n = shapes[0].reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, () => { const v = 0.1 + 1.9 * rand(); return rand() < 0.5 ? -v : v; });
};

export const unarySpecs: OpSpec[] = UNARY_OPS.map((row): OpSpec => ({
  name: row.name,
  cases: shapeCases.unary,
  gpu: ([x]: Tensor[]) => unary(row.name, x),
  ref: ([x]: NDArray[]) => map(x, row.ref),
  domain: 'domain' in row ? row.domain : undefined,
  makeInput: row.name === 'relu' || row.name === 'abs' ? awayFromZero : undefined,
  tol: { atol: 2e-6, rtol: 4e-6 },
}));
