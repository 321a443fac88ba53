/**
 * Elementwise unary ops. Forward and backward are one WGSL kernel each (shaders/unary.wgsl); the
 * float64 reference and the derivative the kernel implements sit in the same table row.
 */
import { Tensor } from '../tensor/tensor';
import { record } from '../tensor/tape';
import { erf, map, type NDArray } from '../tensor/ndarray';
import { unaryK } from './kernels';
import { checkF32, empty, grid, runtime } from './util';
import { shapeCases, type OpSpec } from './spec';

interface UnaryDef { code: number; ref: (x: number) => number; domain?: [number, number] }

const log1p64 = (x: number) => Math.log1p(x);
const sigmoid64 = (x: number) => 1 / (1 + Math.exp(-x));

const DEFS = {
  neg: { code: 0, ref: (x: number) => -x },
  abs: { code: 1, ref: Math.abs },
  exp: { code: 2, ref: Math.exp },
  log: { code: 3, ref: Math.log, domain: [0.1, 4] },
  log1p: { code: 4, ref: log1p64, domain: [-0.5, 4] },
  sqrt: { code: 5, ref: Math.sqrt, domain: [0.1, 4] },
  rsqrt: { code: 6, ref: (x: number) => 1 / Math.sqrt(x), domain: [0.1, 4] },
  sin: { code: 7, ref: Math.sin },
  cos: { code: 8, ref: Math.cos },
  tanh: { code: 9, ref: Math.tanh },
  sigmoid: { code: 10, ref: sigmoid64 },
  softplus: { code: 11, ref: (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))) },
  relu: { code: 12, ref: (x: number) => Math.max(x, 0) },
  gelu: { code: 13, ref: (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2)) },
  square: { code: 14, ref: (x: number) => x * x },
} satisfies Record<string, UnaryDef>;

export type UnaryName = keyof typeof DEFS;

function unary(name: UnaryName, x: Tensor): Tensor {
  checkF32(name, x);
  const code = DEFS[name].code;
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

export const unarySpecs: OpSpec[] = (Object.keys(DEFS) as UnaryName[]).map((name) => {
  const def: UnaryDef = DEFS[name];
  return {
    name,
    cases: shapeCases.unary,
    gpu: ([x]: Tensor[]) => unary(name, x),
    ref: ([x]: NDArray[]) => map(x, def.ref),
    domain: def.domain,
    makeInput: name === 'relu' || name === 'abs' ? awayFromZero : undefined,
    tol: { atol: 2e-6, rtol: 4e-6 },
  };
});
