/**
 * Elementwise binary ops with numpy broadcasting, scalar forms, comparisons, and `where`. The kernels'
 * switches are generated from the op table (src/ops/elementwise-table.ts), one row per op.
 * Backward: one fused kernel gives both partial gradients in the broadcast shape (add: the incoming
 * gradient itself, no kernel); `sumTo` then reduces each needed one to its input's shape.
 */
import { Tensor, tensor } from '../tensor/tensor';
import { record } from '../tensor/tape';
import { zip, zip3 } from '../tensor/ndarray';
import { binaryCode, binaryKernel } from './kernels';
import { broadcastShapes, broadcastStrides, checkF32, coalesce, empty, grid, pad8, runtime, sameShape } from './util';
import { shapeCases, type OpSpec } from './spec';
import { sumTo } from './reduce-kernel';
import { BINARY_OPS, binaryRow, type BinaryName } from './elementwise-table';


const differentiable = (name: BinaryName) => binaryRow(name).df !== null;

/**
 * The uniforms that walk `shape` with every input broadcast to it, over as few axes as index the
 * same elements; RANK (their count) is the kernel's template parameter.
 */
function layout(shape: readonly number[], ...ins: (readonly number[])[]): { RANK: number; uniforms: Record<string, number | number[]> } {
  const c = coalesce(shape, ins.map((s) => broadcastStrides(s, shape)));
  const [sa, sb, sc] = c.strides.map(pad8);
  const uniforms = { n: shape.reduce((x, y) => x * y, 1), rank: c.shape.length, shape: pad8(c.shape), sa, sb, sc: sc ?? pad8([]) };
  return { RANK: c.shape.length, uniforms };
}

function binaryTT(name: BinaryName, a: Tensor, b: Tensor): Tensor {
  checkF32(name, a, b);
  const shape = broadcastShapes(name, a.shape, b.shape);
  const y = empty(shape);
  const code = binaryCode(name);
  const same = sameShape(a.shape, b.shape);
  const fwd = layout(shape, a.shape, b.shape);
  if (same && y.size % 4 === 0) {
    // Same shapes in vec4s (a residual stream's gradient sums, most elementwise pairs).
    runtime().dispatch(binaryKernel('same4'), {
      buffers: { a4: a.buffer, b4: b.buffer, y4: y.buffer },
      uniforms: { ...fwd.uniforms, n: y.size / 4, scalar: 0, swap: 0 },
      workgroups: grid(y.size / 4), overrides: { OP: code },
    });
  } else {
    runtime().dispatch(same ? binaryKernel('same') : binaryKernel('main', fwd.RANK), {
      buffers: { a: a.buffer, b: b.buffer, y: y.buffer },
      uniforms: { ...fwd.uniforms, scalar: 0, swap: 0 },
      workgroups: grid(y.size), overrides: { OP: code },
    });
  }
  if (!differentiable(name)) return y;
  // Only the gradients an input needs (a constant operand such as a mask gets none).
  const needA = a.requiresGrad, needB = b.requiresGrad;
  return record(name, y, [a, b], [a, b], (g, [as, bs]) => {
    // add passes the gradient through (a residual add costs no kernel), summed over broadcast axes.
    if (name === 'add') return [needA ? reduceTo(g.detach(), as.shape) : null, needB ? reduceTo(g.detach(), bs.shape) : null];
    const ga = empty(shape), gb = empty(shape);
    const bwd = layout(shape, as.shape, bs.shape);
    runtime().dispatch(binaryKernel('backward', bwd.RANK), {
      buffers: { a: as.buffer, b: bs.buffer, g: g.buffer, ga: ga.buffer, gb: gb.buffer },
      uniforms: { ...bwd.uniforms, scalar: 0, swap: 0 },
      workgroups: grid(g.size), overrides: { OP: code },
    });
    if (!needA) ga.dispose();
    if (!needB) gb.dispose();
    return [needA ? reduceTo(ga, as.shape) : null, needB ? reduceTo(gb, bs.shape) : null];
  });
}

function reduceTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const r = sumTo(g, shape);
  g.dispose();
  return r;
}

/** `a op s` (or `s op a` when swapped) with a scalar in a uniform: no broadcast tensor needed. */
function binaryTS(name: BinaryName, a: Tensor, s: number, swap: boolean): Tensor {
  checkF32(name, a);
  const y = empty(a.shape);
  const code = binaryCode(name);
  const uni = { ...layout([...a.shape], a.shape, a.shape).uniforms, scalar: s, swap: swap ? 1 : 0 };
  runtime().dispatch(binaryKernel('scalar'), { buffers: { a: a.buffer, y: y.buffer }, uniforms: uni, workgroups: grid(y.size), overrides: { OP: code } });
  if (!differentiable(name)) return y;
  return record(`${name}(scalar)`, y, [a], [a], (g, [as]) => {
    const ga = empty(as.shape);
    runtime().dispatch(binaryKernel('scalar_backward'), { buffers: { a: as.buffer, g: g.buffer, ga: ga.buffer }, uniforms: uni, workgroups: grid(g.size), overrides: { OP: code } });
    return [ga];
  });
}

type Operand = Tensor | number;

function binary(name: BinaryName, a: Operand, b: Operand): Tensor {
  if (a instanceof Tensor && b instanceof Tensor) return binaryTT(name, a, b);
  if (a instanceof Tensor && typeof b === 'number') return binaryTS(name, a, b, false);
  if (typeof a === 'number' && b instanceof Tensor) return binaryTS(name, b, a, true);
  throw new Error(`${name}: at least one operand must be a tensor`);
}

export const add = (a: Operand, b: Operand) => binary('add', a, b);
export const sub = (a: Operand, b: Operand) => binary('sub', a, b);
export const mul = (a: Operand, b: Operand) => binary('mul', a, b);
export const div = (a: Operand, b: Operand) => binary('div', a, b);
export const pow = (a: Operand, b: Operand) => binary('pow', a, b);
export const maximum = (a: Operand, b: Operand) => binary('maximum', a, b);
export const minimum = (a: Operand, b: Operand) => binary('minimum', a, b);
/** Comparisons give 1 or 0 and carry no gradient. */
export const eq = (a: Operand, b: Operand) => binary('eq', a, b);
export const gt = (a: Operand, b: Operand) => binary('gt', a, b);
export const ge = (a: Operand, b: Operand) => binary('ge', a, b);
export const lt = (a: Operand, b: Operand) => binary('lt', a, b);
export const le = (a: Operand, b: Operand) => binary('le', a, b);
export const ne = (a: Operand, b: Operand) => binary('ne', a, b);

/** `cond != 0 ? a : b`, all broadcast together; gradient flows to a and b, not cond. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const ta = typeof a === 'number' ? tensor([a]) : a;
  const tb = typeof b === 'number' ? tensor([b]) : b;
  checkF32('where', cond, ta, tb);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, ta.shape), tb.shape);
  const y = empty(shape);
  const w = layout(shape, ta.shape, tb.shape, cond.shape);
  runtime().dispatch(binaryKernel('where_main', w.RANK), {
    buffers: { a: ta.buffer, b: tb.buffer, c: cond.buffer, y: y.buffer },
    uniforms: { ...w.uniforms, scalar: 0, swap: 0 },
    workgroups: grid(y.size),
  });
  const out = record('where', y, [ta, tb], [cond], (g, [c]) => {
    const mask = ne(c, 0);
    const ga = mul(g, mask), gb = sub(g, ga);
    mask.dispose();
    return [reduceTo(ga, ta.shape), reduceTo(gb, tb.shape)];
  });
  if (typeof a === 'number') ta.dispose();
  if (typeof b === 'number') tb.dispose();
  return out;
}

const ref = (name: BinaryName) => binaryRow(name).ref;

export const binarySpecs: OpSpec[] = [
  ...BINARY_OPS.map(({ name }): OpSpec => ({
    name,
    cases: shapeCases.binary,
    gpu: ([a, b]) => binary(name, a, b),
    ref: ([a, b]) => zip(name, a, b, ref(name)),
    domain: binaryRow(name).domain,
    grad: differentiable(name) ? undefined : false,
    tol: { atol: 1e-6, rtol: 4e-6 },
  })),
  ...(['add', 'sub', 'mul', 'div', 'pow', 'maximum'] as BinaryName[]).flatMap((name): OpSpec[] => [
    { name: `${name}(x, 0.7)`, cases: shapeCases.unary, gpu: ([a]) => binary(name, a, 0.7), ref: ([a]) => zip(name, a, { shape: [1], data: new Float64Array([0.7]) }, ref(name)), domain: [0.2, 3], tol: { atol: 1e-6, rtol: 4e-6 } },
    { name: `${name}(1.3, x)`, cases: shapeCases.unary, gpu: ([a]) => binary(name, 1.3, a), ref: ([a]) => zip(name, { shape: [1], data: new Float64Array([1.3]) }, a, ref(name)), domain: [0.2, 3], tol: { atol: 1e-6, rtol: 4e-6 } },
  ]),
  {
    name: 'where',
    cases: [[[7], [7], [7]], [[7, 33], [33], [7, 1]], [[1], [5, 3], [3]], [[3, 1, 4, 1], [1, 5, 1, 2], [3, 5, 4, 1]]],
    gpu: ([c, a, b]) => where(c, a, b),
    ref: ([c, a, b]) => zip3('where', c, a, b, (cv, av, bv) => (cv !== 0 ? av : bv)),
    makeInput: (shapes, i, rand) => (i === 0 ? Array.from({ length: shapes[0].reduce((x, y) => x * y, 1) }, () => (rand() < 0.5 ? 0 : 1)) : null),
    grad: [false, true, true],
  },
];
