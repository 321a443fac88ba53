// AaPE module: names, spec init, the on/off switch, patchify == Conv2d, masking of cells, and the
// position embedding formula. (Numerics against PyTorch: aape-golden.test.ts.)
import { describe, expect, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { AaPE, zeroMaskedCells } from '../src/aasp/aape';
import { LambdaEncoder, SOFTPLUS_INV_0_1 } from '../src/aasp/lambda-encoder';
import { posEmbed2d } from '../src/aasp/pos-embed';
import { scopeAsync, tensor } from '../src/tensor/tensor';
import { backward, noGrad } from '../src/tensor/autograd';
import { add, conv2d, mul, permute, reshape, sum } from '../src/ops';
import { Rng } from '../src/util/rng';

useGpu();

const rand = (rng: Rng, n: number, s = 1) => Float32Array.from({ length: n }, () => s * (2 * rng.uniform() - 1));
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('AaPE module', () => {
  it('has the spec names and shapes, and decay only on Linear/Conv weights', () => {
    const m = new AaPE({ D: 192 }, new Rng(0));
    const shapes = Object.fromEntries(m.namedParameters().map(([n, t]) => [n, [...t.shape]]));
    expect(shapes).toEqual({
      'patch_embed.proj.weight': [192, 1, 16, 16], 'patch_embed.proj.bias': [192],
      'aape.lambda_enc.conv1.weight': [16, 1, 9], 'aape.lambda_enc.conv1.bias': [16],
      'aape.lambda_enc.conv2.weight': [16, 16, 9], 'aape.lambda_enc.conv2.bias': [16],
      'aape.lambda_enc.head.weight': [8, 32], 'aape.lambda_enc.head.bias': [8],
      'aape.lambda_enc.band_bias': [80, 8], 'aape.sblu.gain': [80, 4],
      'aape.patch.weight': [192, 4, 16, 16], 'aape.patch.bias': [192],
      'aape.fuse_norm.weight': [192], 'aape.fuse_norm.bias': [192],
      'aape.fuse.weight': [192, 192], 'aape.fuse.bias': [192],
    });
    expect([...m.decayNames()].sort()).toEqual([
      'aape.fuse.weight', 'aape.lambda_enc.conv1.weight', 'aape.lambda_enc.conv2.weight', 'aape.lambda_enc.head.weight',
      'aape.patch.weight', 'patch_embed.proj.weight',
    ]);
    m.dispose();
    const off = new AaPE({ D: 64, aape: false }, new Rng(0));
    expect(off.namedParameters().map(([n]) => n)).toEqual(['patch_embed.proj.weight', 'patch_embed.proj.bias']);
    off.dispose();
  });

  it('initialises as the spec says', async () => {
    const m = new AaPE({ D: 192 }, new Rng(3));
    const get = async (n: string) => (await Object.fromEntries(m.namedParameters())[n].toFloat32());
    const absMax = (a: Float32Array) => a.reduce((x, v) => Math.max(x, Math.abs(v)), 0);
    const std = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    // Kaiming-uniform a = √5: U(±1/√fan_in); xavier over the flattened kernel: U(±√(6/(fan_in + fan_out))).
    const c1 = await get('aape.lambda_enc.conv1.weight'), c2 = await get('aape.lambda_enc.conv2.weight');
    expect(absMax(c1)).toBeLessThanOrEqual(1 / 3);
    expect(absMax(c1)).toBeGreaterThan(0.3);
    expect(absMax(c2)).toBeLessThanOrEqual(1 / 12);
    expect(absMax(await get('patch_embed.proj.weight'))).toBeLessThanOrEqual(Math.sqrt(6 / (256 + 192)));
    expect(absMax(await get('aape.patch.weight'))).toBeLessThanOrEqual(Math.sqrt(6 / (1024 + 192)));
    expect(Math.abs(std(await get('aape.lambda_enc.head.weight')) - 0.02)).toBeLessThan(0.005);
    for (const n of ['aape.lambda_enc.conv1.bias', 'aape.lambda_enc.head.bias', 'aape.fuse.weight', 'aape.fuse.bias', 'patch_embed.proj.bias']) {
      expect(absMax(await get(n)), n).toBe(0);
    }
    expect([...(await get('aape.sblu.gain'))].every((v) => v === 1)).toBe(true);
    const bb = await get('aape.lambda_enc.band_bias');
    for (let f = 0; f < 80; f++) for (let i = 0; i < 4; i++) {
      expect(bb[f * 8 + i]).toBeCloseTo(SOFTPLUS_INV_0_1, 6);
      expect(1 / (1 + Math.exp(-bb[f * 8 + 4 + i]))).toBeCloseTo((i + 0.5) / 4, 6);
    }
    m.dispose();
  });

  it('at init α = 0.1 + 1/K and ω spread evenly (head ≈ 0); AaPE equals the standard embedding', async () => {
    const rng = new Rng(5);
    const m = new AaPE({ D: 32, F: 32 }, rng);
    const out = await scopeAsync(async () => {
      const x = tensor(rand(rng, 2 * 32 * 48, 2), [2, 32, 48]).requireGrad();
      const { alpha, omega } = m.aape!.lambda_enc.forward(x);
      const z = m.forward(x);
      const zStd = noGrad(() => add(m.standard(x), m.pos(2, 3)));
      const zv = await z.toFloat32(), zs = await zStd.toFloat32();
      backward(sum(z));
      const grads = Object.fromEntries(await Promise.all(m.namedParameters().map(async ([n, p]) => [n, p.grad ? Math.max(...(await p.grad.toFloat32()).map(Math.abs)) : 0])));
      return { a: await alpha.toFloat32(), w: await omega.toFloat32(), diff: maxDiff(zv, zs), grads };
    });
    // Head weights ~ N(0, 0.02²) move α and ω only slightly off the band-bias values.
    for (const v of out.a) expect(Math.abs(v - (0.1 + 1 / 33))).toBeLessThan(0.05);
    for (let i = 0; i < out.w.length; i++) {
      const want = Math.PI / 16 + (Math.PI - Math.PI / 16) * ((i % 4) + 0.5) / 4;
      expect(Math.abs(out.w[i] - want)).toBeLessThan(0.15);
    }
    expect(out.diff).toBe(0);
    // Only aape.fuse (of the aape.* parameters) receives gradient at init.
    for (const [n, g] of Object.entries(out.grads)) {
      if (n.startsWith('aape.fuse.') || n.startsWith('patch_embed.')) expect(g, n).toBeGreaterThan(0);
      else expect(g, n).toBe(0);
    }
    m.dispose();
  });

  it('patchify + matmul equals Conv2d (stride 16) in token order, also for ragged T', async () => {
    const rng = new Rng(9);
    const m = new AaPE({ D: 24, F: 32, aape: false }, rng);
    for (const T of [64, 75]) {
      const diff = await scopeAsync(async () => {
        const x = tensor(rand(rng, 2 * 32 * T, 2), [2, 32, T]);
        const z = await m.standard(x).toFloat32();
        const c = conv2d(reshape(x, [2, 1, 32, T]), m.patchEmbed.proj.p('weight'), m.patchEmbed.proj.p('bias'), { stride: 16 });
        const ref = await reshape(permute(reshape(c, [2, 24, c.shape[2] * c.shape[3]]), [0, 2, 1]), [2, -1, 24]).toFloat32();
        return maxDiff(z, ref);
      });
      expect(diff).toBeLessThan(1e-5);
    }
    m.dispose();
  });

  it('the alias branch in clip chunks (binding-size limit) equals one pass, gradients included', async () => {
    const rng = new Rng(11);
    const m = new AaPE({ D: 16, F: 32 }, rng);
    m.setParam('aape.fuse.weight', tensor(rand(rng, 256, 0.3), [16, 16]));
    const data = rand(rng, 3 * 32 * 48, 2);
    const run = async () => scopeAsync(async () => {
      const x = tensor(data, [3, 32, 48]).requireGrad();
      const z = m.forward(x);
      const zv = await z.toFloat32();
      backward(sum(mul(z, z)));
      const out = { zv, gx: await x.grad!.toFloat32(), gb: await m.aape!.lambda_enc.p('band_bias').grad!.toFloat32() };
      m.zeroGrad();
      return out;
    });
    const whole = await run();
    m.aape!.maxClips = () => 2;
    const chunked = await run();
    expect(maxDiff(chunked.zv, whole.zv)).toBeLessThan(1e-6);
    expect(maxDiff(chunked.gx, whole.gx)).toBeLessThan(1e-5);
    expect(maxDiff(chunked.gb, whole.gb)).toBeLessThan(1e-5);
    m.dispose();
  });

  it('the alias branch on picked tokens equals its full output at those tokens, in one pass and in clip chunks', async () => {
    const rng = new Rng(12);
    const m = new AaPE({ D: 16, F: 32 }, rng);
    m.setParam('aape.fuse.weight', tensor(rand(rng, 256, 0.3), [16, 16]));
    const data = rand(rng, 3 * 32 * 48, 2);
    // 2 × 3 tokens of 6 per clip, in no particular order.
    const picks = { data: Int32Array.from([4, 0, 5, 1, 3, 2, 5, 4, 3]), shape: [3, 3] as [number, number] };
    const full = await scopeAsync(async () => m.alias(tensor(data, [3, 32, 48])).toFloat32());
    const run = async () => scopeAsync(async () => {
      const x = tensor(data, [3, 32, 48]);
      const z = m.alias(x, picks);
      const zv = await z.toFloat32();
      backward(sum(mul(z, z)));
      const out = { zv, gb: await m.aape!.lambda_enc.p('band_bias').grad!.toFloat32(), gw: await m.aape!.patch.p('weight').grad!.toFloat32() };
      m.zeroGrad();
      return out;
    });
    const whole = await run();
    for (let b = 0; b < 3; b++) for (let k = 0; k < 3; k++) for (let d = 0; d < 16; d++) {
      expect(whole.zv[(b * 3 + k) * 16 + d]).toBeCloseTo(full[(b * 6 + picks.data[b * 3 + k]) * 16 + d], 5);
    }
    m.aape!.maxClips = () => 2;
    const chunked = await run();
    expect(maxDiff(chunked.zv, whole.zv)).toBeLessThan(1e-6);
    expect(maxDiff(chunked.gb, whole.gb)).toBeLessThan(1e-5);
    expect(maxDiff(chunked.gw, whole.gw)).toBeLessThan(1e-5);
    m.dispose();
  });

  it('zeroMaskedCells zeroes exactly the masked 16×16 cells (and ragged edges stay)', async () => {
    const rng = new Rng(2);
    for (const T of [48, 53]) {
      const data = rand(rng, 2 * 32 * T);
      const masked = [[0, 4], [5]];
      const y = await scopeAsync(async () => zeroMaskedCells(tensor(data, [2, 32, T]), masked).toFloat32());
      for (let b = 0; b < 2; b++) for (let f = 0; f < 32; f++) for (let t = 0; t < T; t++) {
        const tok = t < 48 ? Math.floor(f / 16) * 3 + Math.floor(t / 16) : -1;
        const i = (b * 32 + f) * T + t;
        expect(y[i] + 0).toBe(masked[b].includes(tok) ? 0 : data[i]); // + 0: −0 from x·0 counts as 0
      }
    }
    await scopeAsync(async () => { expect(() => zeroMaskedCells(tensor(new Float32Array(32 * 48), [1, 32, 48]), [[6]])).toThrow(/outside/); });
  });

  it('Lambda Encoder output shapes and α, ω ranges', async () => {
    const rng = new Rng(4);
    const enc = new LambdaEncoder(3, 4, 33, rng);
    const r = await scopeAsync(async () => {
      const { alpha, omega } = enc.forward(tensor(rand(rng, 2 * 3 * 37, 3), [2, 3, 37]));
      return { shape: [...alpha.shape], a: await alpha.toFloat32(), w: await omega.toFloat32() };
    });
    expect(r.shape).toEqual([2, 3, 4]);
    for (const v of r.a) expect(v).toBeGreaterThan(1 / 33);
    for (const v of r.w) { expect(v).toBeGreaterThan(Math.PI / 16); expect(v).toBeLessThan(Math.PI); }
    enc.dispose();
  });
});

describe('posEmbed2d', () => {
  it('follows the formula, token index p·T′ + q', () => {
    const D = 16, d4 = 4, pe = posEmbed2d(D, 3, 5);
    expect(pe.length).toBe(15 * D);
    const p = 2, q = 3, row = (p * 5 + q) * D;
    for (let d = 0; d < d4; d++) {
      const w = Math.pow(10000, -d / d4);
      expect(pe[row + d]).toBeCloseTo(Math.sin(q * w), 6);
      expect(pe[row + d4 + d]).toBeCloseTo(Math.cos(q * w), 6);
      expect(pe[row + 2 * d4 + d]).toBeCloseTo(Math.sin(p * w), 6);
      expect(pe[row + 3 * d4 + d]).toBeCloseTo(Math.cos(p * w), 6);
    }
    expect(() => posEmbed2d(30, 1, 1)).toThrow(/multiple of 4/);
  });
});
