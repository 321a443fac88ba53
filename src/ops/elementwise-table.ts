/**
 * Every elementwise op, defined once: a table row holds its WGSL forward expression, its WGSL
 * derivative and its float64 CPU reference. An op's code is its row's index: the kernels' switches
 * (shaders/unary.wgsl, shaders/binary.wgsl) are generated from the rows and every dispatch asks
 * `unaryCode(name)` / `binaryCode(name)` (src/ops/kernels.ts), so no code is written as a number
 * anywhere and reordering the rows changes nothing (test/op-table.test.ts reorders them).
 * A new op is one row here plus its exported function in unary.ts / binary.ts. The reductions'
 * combining functions (sum, max, min) are a table of the same kind.
 */
import { erf } from '../tensor/ndarray';

export interface UnaryRow {
  name: string;
  /** WGSL expression of `v: f32` (helpers: shaders/unary.wgsl, shaders/lib/). */
  f: string;
  /** WGSL expression of `v`: d f / d v. */
  df: string;
  ref: (x: number) => number;
  /** Sampling range in the op tests (default [-2, 2]). */
  domain?: [number, number];
}

export interface BinaryRow {
  name: string;
  /** WGSL expression of `u, v: f32`. */
  f: string;
  /** WGSL vec2f expression of `u, v`: (d f / d u, d f / d v); null when the op has no gradient. */
  df: string | null;
  ref: (x: number, y: number) => number;
  domain?: [[number, number], [number, number]];
}

export const UNARY_OPS = [
  { name: 'neg', f: '-v', df: '-1.0', ref: (x) => -x },
  { name: 'abs', f: 'abs(v)', df: 'sign(v)', ref: Math.abs },
  { name: 'exp', f: 'exp(v)', df: 'exp(v)', ref: Math.exp },
  { name: 'log', f: 'log(v)', df: '1.0 / v', ref: Math.log, domain: [0.1, 4] },
  { name: 'log1p', f: 'log1p_f(v)', df: '1.0 / (1.0 + v)', ref: Math.log1p, domain: [-0.5, 4] },
  { name: 'sqrt', f: 'sqrt(v)', df: '0.5 * inverseSqrt(v)', ref: Math.sqrt, domain: [0.1, 4] },
  { name: 'rsqrt', f: 'inverseSqrt(v)', df: '-0.5 * inverseSqrt(v) / v', ref: (x) => 1 / Math.sqrt(x), domain: [0.1, 4] },
  { name: 'sin', f: 'sin(v)', df: 'cos(v)', ref: Math.sin },
  { name: 'cos', f: 'cos(v)', df: '-sin(v)', ref: Math.cos },
  { name: 'tanh', f: 'tanh_f(v)', df: '1.0 - tanh_f(v) * tanh_f(v)', ref: Math.tanh },
  { name: 'sigmoid', f: 'sigmoid_f(v)', df: 'sigmoid_f(v) * (1.0 - sigmoid_f(v))', ref: (x) => 1 / (1 + Math.exp(-x)) },
  { name: 'softplus', f: 'max(v, 0.0) + log1p_f(exp(-abs(v)))', df: 'sigmoid_f(v)', ref: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))) },
  { name: 'relu', f: 'max(v, 0.0)', df: 'select(0.0, 1.0, v > 0.0)', ref: (x) => Math.max(x, 0) },
  /** Exact (erf) GELU. */
  { name: 'gelu', f: 'gelu_f(v)', df: 'gelu_grad_f(v)', ref: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)) },
  { name: 'square', f: 'v * v', df: '2.0 * v', ref: (x) => x * x },
] as const satisfies readonly UnaryRow[];

const cmp = (op: string) => `select(0.0, 1.0, u ${op} v)`;

export const BINARY_OPS = [
  { name: 'add', f: 'u + v', df: 'vec2f(1.0, 1.0)', ref: (x, y) => x + y },
  { name: 'sub', f: 'u - v', df: 'vec2f(1.0, -1.0)', ref: (x, y) => x - y },
  { name: 'mul', f: 'u * v', df: 'vec2f(v, u)', ref: (x, y) => x * y },
  { name: 'div', f: 'u / v', df: 'vec2f(1.0 / v, -u / (v * v))', ref: (x, y) => x / y, domain: [[-2, 2], [0.5, 2]] },
  // d/du is 0 where v = 0 and d/dv is 0 where u <= 0 (log u undefined): select keeps NaN out.
  { name: 'pow', f: 'pow(u, v)', df: 'vec2f(select(0.0, v * pow(u, v - 1.0), v != 0.0), select(0.0, pow(u, v) * log(u), u > 0.0))', ref: Math.pow, domain: [[0.2, 3], [-2, 2]] },
  // Ties send the gradient to u.
  { name: 'maximum', f: 'max(u, v)', df: 'select(vec2f(0.0, 1.0), vec2f(1.0, 0.0), u >= v)', ref: Math.max },
  { name: 'minimum', f: 'min(u, v)', df: 'select(vec2f(0.0, 1.0), vec2f(1.0, 0.0), u <= v)', ref: Math.min },
  // Comparisons give 1 or 0 and carry no gradient.
  { name: 'eq', f: cmp('=='), df: null, ref: (x, y) => +(x === y) },
  { name: 'gt', f: cmp('>'), df: null, ref: (x, y) => +(x > y) },
  { name: 'ge', f: cmp('>='), df: null, ref: (x, y) => +(x >= y) },
  { name: 'lt', f: cmp('<'), df: null, ref: (x, y) => +(x < y) },
  { name: 'le', f: cmp('<='), df: null, ref: (x, y) => +(x <= y) },
  { name: 'ne', f: cmp('!='), df: null, ref: (x, y) => +(x !== y) },
] as const satisfies readonly BinaryRow[];

/** The reductions' combining functions (shaders/reduce.wgsl): `combine` also serves vec4s. */
export interface ReduceRow {
  name: string;
  /** WGSL f32 expression: the identity of `combine`. */
  init: string;
  /** WGSL expression of `u, v` (f32 or vec4f). */
  combine: string;
  /** WGSL expression of the combined value `v` (and the uniforms `p`). */
  finish: string;
}

const F32_MAX = '3.4028234663852886e38';

export const REDUCE_OPS = [
  { name: 'sum', init: '0.0', combine: 'u + v', finish: 'v * p.scale' },
  { name: 'max', init: `-${F32_MAX}`, combine: 'max(u, v)', finish: 'v' },
  { name: 'min', init: F32_MAX, combine: 'min(u, v)', finish: 'v' },
] as const satisfies readonly ReduceRow[];

export type ReduceName = (typeof REDUCE_OPS)[number]['name'];
export type UnaryName = (typeof UNARY_OPS)[number]['name'];
export type BinaryName = (typeof BINARY_OPS)[number]['name'];

function rowOf<R extends { name: string }>(table: readonly R[], kind: string, name: string): R {
  const row = table.find((r) => r.name === name);
  if (!row) throw new Error(`${kind} op "${name}" is not in src/ops/elementwise-table.ts`);
  return row;
}

export const unaryRow = (name: UnaryName): UnaryRow => rowOf<UnaryRow>(UNARY_OPS, 'unary', name);
export const binaryRow = (name: BinaryName): BinaryRow => rowOf<BinaryRow>(BINARY_OPS, 'binary', name);
