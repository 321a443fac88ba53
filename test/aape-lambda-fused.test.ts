// The fused Lambda Encoder feature path (conv1 → GELU → conv2 → GELU → mean/std pooling) through the
// shared op checker: forward against the float64 composition, every gradient against finite
// differences; its no-graph forward (which saves nothing) against the recording one; and the
// LambdaEncoder with the fused op against the composed ops it replaces where `lambdaFused` is off.
import { describe, expect, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { checkOp } from './helpers/check-op';
import { lambdaConvPool, lambdaConvPoolSpecs } from '../src/aasp/lambda-fused';
import { LambdaEncoder } from '../src/aasp/lambda-encoder';
import { withTuning } from '../src/gpu/tuning';
import { scopeAsync, tensor } from '../src/tensor/tensor';
import { backward, noGrad } from '../src/tensor/autograd';
import { sum, mul } from '../src/ops';
import { Rng } from '../src/util/rng';

const { rt } = useGpu();

describe('lambdaConvPool (op checker)', () => {
  for (const spec of lambdaConvPoolSpecs) {
    spec.cases.forEach((c, i) => {
      it(`${spec.name} [${c.map((s) => `[${s}]`).join(', ')}]`, { timeout: 300_000 }, async () => { await checkOp(spec, i); });
    });
  }
});

const randn = (rng: Rng, n: number, s: number) => Float32Array.from({ length: n }, () => s * rng.normal());
const maxRel = (a: Float32Array, b: Float32Array) => {
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
  return d / Math.max(m, 1e-30);
};

describe('lambdaConvPool in use', () => {
  it('the forward without a graph (nothing saved) equals the recording one', { timeout: 300_000 }, async () => {
    const rng = new Rng(7);
    await scopeAsync(async () => {
      const x = tensor(randn(rng, 5 * 41, 1), [5, 1, 41]);
      const w1 = tensor(randn(rng, 16 * 9, 0.3), [16, 1, 9]).requireGrad(), b1 = tensor(randn(rng, 16, 0.1), [16]);
      const w2 = tensor(randn(rng, 16 * 16 * 9, 0.1), [16, 16, 9]), b2 = tensor(randn(rng, 16, 0.1), [16]);
      const opts = { stride: 2, padding: 4, eps: 1e-5 };
      const recorded = lambdaConvPool(x, w1, b1, w2, b2, opts);
      expect(recorded.requiresGrad).toBe(true);
      const plain = noGrad(() => lambdaConvPool(x, w1, b1, w2, b2, opts));
      expect(plain.requiresGrad).toBe(false);
      expect(Array.from(await plain.toFloat32())).toEqual(Array.from(await recorded.toFloat32()));
    });
  });

  it('LambdaEncoder: fused and composed ops give the same α, ω and gradients', { timeout: 300_000 }, async () => {
    const enc = new LambdaEncoder(3, 4, 33, new Rng(3));
    const rng = new Rng(11);
    const xData = randn(rng, 2 * 3 * 50, 1), rData = randn(rng, 2 * 3 * 4, 1);
    const run = (fused: boolean) => withTuning(rt(), { lambdaFused: fused }, () => scopeAsync(async () => {
      const { alpha, omega } = enc.forward(tensor(xData, [2, 3, 50]));
      const r = tensor(rData, [2, 3, 4]);
      backward(sum(mul(mul(alpha, omega), r)));
      const out = { alpha: await alpha.toFloat32(), omega: await omega.toFloat32(), grads: new Map<string, Float32Array>() };
      for (const [n, p] of enc.namedParameters()) { out.grads.set(n, await p.grad!.toFloat32()); p.grad!.dispose(); p.grad = null; }
      return out;
    }));
    const fused = await run(true), composed = await run(false);
    expect(maxRel(fused.alpha, composed.alpha)).toBeLessThan(1e-5);
    expect(maxRel(fused.omega, composed.omega)).toBeLessThan(1e-5);
    expect([...fused.grads.keys()].sort()).toEqual(['band_bias', 'conv1.bias', 'conv1.weight', 'conv2.bias', 'conv2.weight', 'head.bias', 'head.weight']);
    for (const [n, g] of fused.grads) expect(maxRel(g, composed.grads.get(n)!), n).toBeLessThan(1e-4);
    enc.dispose();
  });
});
