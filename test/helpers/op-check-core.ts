/**
 * The comparison logic of the op checker, free of any test framework so that both vitest
 * (test/helpers/check-op.ts, in Node) and the browser test page (test/browser/page.ts) run exactly
 * the same check: the GPU forward against the float64 reference, and the GPU backward (autograd through
 * the op's backward rule) against central finite differences of the float64 reference, with a random
 * upstream gradient. Inputs, upstream gradient and probed elements all come from one generator seeded
 * by the op's name and case index, so Node and the browser see identical inputs.
 */
import { Rng } from '../../src/util/rng';
import { tensor, scopeAsync, type Tensor } from '../../src/tensor/tensor';
import { backward } from '../../src/tensor/autograd';
import { nd, type NDArray } from '../../src/tensor/ndarray';
import type { OpSpec } from '../../src/ops/spec';

export function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

export interface Mismatch { index: number; got: number; want: number }

/** The element that exceeds |got − want| ≤ atol + rtol·|want| the most (NaN counts), or null. */
export function worst(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): Mismatch | null {
  let bad: Mismatch | null = null, badExcess = 0;
  if (got.length !== want.length) return { index: -1, got: got.length, want: want.length };
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    const excess = err - (atol + rtol * Math.abs(want[i]));
    if (!(excess <= 0) && (bad === null || excess > badExcess || Number.isNaN(excess))) { bad = { index: i, got: got[i], want: want[i] }; badExcess = excess; }
  }
  return bad;
}

function makeInputs(spec: OpSpec, shapes: number[][], rng: Rng): NDArray[] {
  return shapes.map((shape, k) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const custom = spec.makeInput?.(shapes, k, () => rng.uniform());
    const dom = Array.isArray(spec.domain?.[0]) ? (spec.domain as [number, number][])[k] : (spec.domain as [number, number] | undefined);
    const [lo, hi] = dom ?? [-2, 2];
    const vals = custom ?? Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
    // The GPU sees float32: give the reference the same rounded values.
    return nd(shape, vals.map((v) => Math.fround(v)));
  });
}

export interface GradCheck {
  input: number;
  /** False when autograd produced no gradient for an input that should have one. */
  received: boolean;
  worst: Mismatch | null;
  /** Flat element index of `worst` in the input. */
  element: number | null;
}

export interface OpCaseResult {
  name: string;
  shapes: number[][];
  outShape: number[];
  wantShape: number[];
  /** Null when the shapes differ (nothing else is compared then). */
  forward: Mismatch | null;
  grads: GradCheck[];
}

/** Run one case of an op on the current runtime and compare it; never throws on a numeric mismatch. */
export async function runOpCase(spec: OpSpec, caseIndex: number): Promise<OpCaseResult> {
  const shapes = spec.cases[caseIndex];
  const rng = new Rng(hash(`${spec.name}#${caseIndex}`));
  const inputs = makeInputs(spec, shapes, rng);
  const ints = new Set(spec.intInputs ?? []);
  const gradOn = shapes.map((_, k) => spec.grad !== false && !ints.has(k) && (spec.grad === undefined || spec.grad[k]));
  const tol = { atol: 1e-5, rtol: 1e-5, gradAtol: 1e-4, gradRtol: 1e-3, ...spec.tol };
  const want = spec.ref(inputs);

  const out = await scopeAsync(async () => {
    const ts: Tensor[] = inputs.map((x, k) => {
      const t = ints.has(k) ? tensor(Int32Array.from(x.data), x.shape, 'i32') : tensor(Float32Array.from(x.data), x.shape);
      if (gradOn[k]) t.requireGrad();
      return t;
    });
    const y = spec.gpu(ts);
    const fwd = await y.toFloat32();
    const upstream = Array.from({ length: y.size }, () => Math.fround(rng.uniform() * 2 - 1));
    const grads: (Float32Array | null)[] = [];
    if (gradOn.some((g) => g)) {
      backward(y, tensor(Float32Array.from(upstream), y.shape));
      for (let k = 0; k < ts.length; k++) grads.push(gradOn[k] && ts[k].grad ? await ts[k].grad!.toFloat32() : null);
    }
    return { fwd, upstream, grads, shape: [...y.shape] };
  });

  const result: OpCaseResult = { name: spec.name, shapes, outShape: out.shape, wantShape: [...want.shape], forward: null, grads: [] };
  if (out.shape.length !== want.shape.length || out.shape.some((d, i) => d !== want.shape[i])) return result;
  result.forward = worst(out.fwd, want.data, tol.atol, tol.rtol);

  const loss = (xs: NDArray[]) => {
    const r = spec.ref(xs);
    let s = 0;
    for (let i = 0; i < r.data.length; i++) s += r.data[i] * out.upstream[i];
    return s;
  };
  for (let k = 0; k < inputs.length; k++) {
    if (!gradOn[k]) continue;
    const g = out.grads[k];
    if (!g) { result.grads.push({ input: k, received: false, worst: null, element: null }); continue; }
    const x = inputs[k];
    const n = x.data.length;
    const picks = n <= 48 ? [...Array(n).keys()] : Array.from({ length: 48 }, () => rng.int(n));
    const numeric: number[] = [], analytic: number[] = [];
    for (const e of picks) {
      const orig = x.data[e];
      const h = 1e-6 * Math.max(1, Math.abs(orig));
      x.data[e] = orig + h;
      const fp = loss(inputs);
      x.data[e] = orig - h;
      const fm = loss(inputs);
      x.data[e] = orig;
      numeric.push((fp - fm) / (2 * h));
      analytic.push(g[e]);
    }
    const bb = worst(analytic, numeric, tol.gradAtol, tol.gradRtol);
    result.grads.push({ input: k, received: true, worst: bb, element: bb ? picks[bb.index] : null });
  }
  return result;
}

const shapesText = (r: OpCaseResult) => `[${r.shapes.map((s) => `[${s}]`)}]`;

/** The failure messages of a result (empty when the case passed), worded as check-op.ts reports them. */
export function failures(r: OpCaseResult): string[] {
  const msgs: string[] = [];
  if (r.outShape.join() !== r.wantShape.join() || r.outShape.length !== r.wantShape.length) {
    return [`${r.name}: output shape [${r.outShape}], expected [${r.wantShape}]`];
  }
  if (r.forward) msgs.push(`${r.name} forward on ${shapesText(r)}: worst element ${JSON.stringify(r.forward)}`);
  for (const g of r.grads) {
    if (!g.received) msgs.push(`${r.name}: input ${g.input} received no gradient`);
    else if (g.worst) msgs.push(`${r.name} gradient of input ${g.input} on ${shapesText(r)}: worst ${JSON.stringify(g.worst)} (element ${g.element})`);
  }
  return msgs;
}
