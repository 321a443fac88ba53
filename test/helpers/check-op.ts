/**
 * The one helper that checks an op definition (src/ops/spec.ts): the GPU forward against the float64
 * reference, and the GPU backward (autograd through the op's backward rule) against central finite
 * differences of the float64 reference, with a random upstream gradient.
 */
import { expect } from 'vitest';
import { Rng } from '../../src/util/rng';
import { tensor, scopeAsync, type Tensor } from '../../src/tensor/tensor';
import { backward } from '../../src/tensor/autograd';
import { nd, type NDArray } from '../../src/tensor/ndarray';
import type { OpSpec } from '../../src/ops/spec';

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

interface Mismatch { index: number; got: number; want: number }

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

/** Check forward and backward of one case of an op. */
export async function checkOp(spec: OpSpec, caseIndex: number): Promise<void> {
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

  expect(out.shape, `${spec.name}: output shape`).toEqual(want.shape);
  const fb = worst(out.fwd, want.data, tol.atol, tol.rtol);
  expect(fb, `${spec.name} forward on [${shapes.map((s) => `[${s}]`)}]: worst element ${JSON.stringify(fb)}`).toBeNull();

  const loss = (xs: NDArray[]) => {
    const r = spec.ref(xs);
    let s = 0;
    for (let i = 0; i < r.data.length; i++) s += r.data[i] * out.upstream[i];
    return s;
  };
  for (let k = 0; k < inputs.length; k++) {
    if (!gradOn[k]) continue;
    const g = out.grads[k];
    expect(g, `${spec.name}: input ${k} received no gradient`).not.toBeNull();
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
      analytic.push(g![e]);
    }
    const bb = worst(analytic, numeric, tol.gradAtol, tol.gradRtol);
    expect(bb, `${spec.name} gradient of input ${k} on [${shapes.map((s) => `[${s}]`)}]: worst ${JSON.stringify(bb)} (element ${bb ? picks[bb.index] : ''})`).toBeNull();
  }
}
