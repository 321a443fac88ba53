// The fused SBLU kernel against the same formula composed from ordinary engine ops (materialised
// taps and windows, autograd of the primitives): outputs and all four gradients.
import { describe, expect, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { sblu } from '../src/aasp/sblu';
import { sbluUnfused } from '../src/aasp/sblu-unfused';
import { scopeAsync, tensor, type Tensor } from '../src/tensor/tensor';
import { backward } from '../src/tensor/autograd';
import { Rng } from '../src/util/rng';

useGpu();

function draw(rng: Rng, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
}

/** Max |a − b| / (atol + max|b|): errors relative to the tensor's scale. */
function relErr(a: Float32Array, b: Float32Array): number {
  let scale = 0, err = 0;
  for (let i = 0; i < b.length; i++) { scale = Math.max(scale, Math.abs(b[i])); err = Math.max(err, Math.abs(a[i] - b[i])); }
  return err / Math.max(scale, 1e-12);
}

async function run(fn: typeof sblu, B: number, F: number, T: number, M: number, K: number, seed: number) {
  const rng = new Rng(seed);
  const data = {
    u: draw(rng, B * F * T, -3, 3), a: draw(rng, B * F * M, 1 / K, 2), w: draw(rng, B * F * M, Math.PI / 16, Math.PI),
    g: draw(rng, F * M, 0.3, 1.7), r: draw(rng, B * F * M * T, -1, 1),
  };
  return scopeAsync(async () => {
    const ins: Tensor[] = [tensor(data.u, [B, F, T]), tensor(data.a, [B, F, M]), tensor(data.w, [B, F, M]), tensor(data.g, [F, M])];
    for (const t of ins) t.requireGrad();
    const S = fn(ins[0], ins[1], ins[2], ins[3], K);
    const s = await S.toFloat32();
    backward(S, tensor(data.r, S.shape));
    return { s, grads: await Promise.all(ins.map((t) => t.grad!.toFloat32())) };
  });
}

const cases: [number, number, number, number, number][] = [
  [2, 5, 150, 4, 33], [3, 2, 608, 4, 33], [2, 3, 20, 4, 33], [1, 4, 37, 2, 17], [2, 2, 64, 6, 32],
];

describe('fused sblu == unfused composition', () => {
  for (const [B, F, T, M, K] of cases) {
    it(`B ${B}, F ${F}, T ${T}, M ${M}, K ${K}`, async () => {
      const fused = await run(sblu, B, F, T, M, K, 7 + T);
      const ref = await run(sbluUnfused, B, F, T, M, K, 7 + T);
      expect(relErr(fused.s, ref.s), 'S').toBeLessThan(1e-5);
      ['u', 'alpha', 'omega', 'gain'].forEach((name, i) => {
        expect(relErr(fused.grads[i], ref.grads[i]), `d${name}`).toBeLessThan(1e-4);
      });
    });
  }

  it('chunked unfused (over the batch) equals the whole', async () => {
    const chunked = (u: Tensor, a: Tensor, w: Tensor, g: Tensor, K = 33) => sbluUnfused(u, a, w, g, K, { maxChunk: 2 });
    const whole = await run(sbluUnfused, 5, 2, 40, 4, 33, 3);
    const parts = await run(chunked, 5, 2, 40, 4, 33, 3);
    expect(relErr(parts.s, whole.s)).toBeLessThan(1e-6);
    for (let i = 0; i < 4; i++) expect(relErr(parts.grads[i], whole.grads[i])).toBeLessThan(1e-5);
  });
});
