// The fused SBLU and the whole AaPE module against the PyTorch float64 reference fixtures
// (test/fixtures/golden/README.md): outputs, intermediate tensors and every gradient.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { useGpu } from './helpers/gpu';
import { goldenTensor, readSafetensors, type GoldenFile } from './helpers/fixture-init';
import { sblu } from '../src/aasp/sblu';
import { AaPE, zeroMaskedCells } from '../src/aasp/aape';
import { posEmbed2d } from '../src/aasp/pos-embed';
import { scopeAsync, tensor, type Tensor } from '../src/tensor/tensor';
import { backward } from '../src/tensor/autograd';
import { indexSelect } from '../src/ops';
import { Rng } from '../src/util/rng';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'golden');
const RTOL = 1e-4;

useGpu();

function gpuOf(file: GoldenFile, name: string): Tensor {
  const g = goldenTensor(file, name);
  return tensor(g.data as Float32Array, g.shape);
}

/**
 * Relative agreement: every |got − want| ≤ RTOL·(|want| + 0.01·max|want|). The second term keeps
 * elements that are tiny only by cancellation (e.g. gradients summed from many signed terms) from
 * demanding more than float32 can give; it is 100× below the tensor's scale.
 */
function expectClose(got: Float32Array, file: GoldenFile, name: string): void {
  const want = goldenTensor(file, name).data as Float32Array;
  expect(got.length, `${name}: length`).toBe(want.length);
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < want.length; i++) {
    const excess = Math.abs(got[i] - want[i]) - RTOL * (Math.abs(want[i]) + 0.01 * scale);
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) { worst = i; worstExcess = excess; }
  }
  if (process.env.GOLDEN_VERBOSE) { let e = 0; for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i] - want[i])); console.log(`${name}: max err / max ref = ${(e / scale).toExponential(2)}`); }
  expect(worst < 0 ? null : { index: worst, got: got[worst], want: want[worst], scale }, `${name}: worst element`).toBeNull();
}

describe('golden: fused SBLU (sblu.safetensors)', () => {
  const file = readSafetensors(join(GOLDEN, 'sblu.safetensors'));
  for (const c of ['case1', 'case2']) {
    it(`${c} ${file.metadata[c]}`, async () => {
      const { K } = JSON.parse(file.metadata[c]) as { K: number };
      const out = await scopeAsync(async () => {
        const ins = ['u', 'alpha', 'omega', 'g'].map((n) => gpuOf(file, `${c}.${n}`).requireGrad());
        const S = sblu(ins[0], ins[1], ins[2], ins[3], K);
        const s = await S.toFloat32();
        backward(S, gpuOf(file, `${c}.r`));
        return { s, grads: await Promise.all(ins.map((t) => t.grad!.toFloat32())) };
      });
      expectClose(out.s, file, `${c}.S`);
      ['u', 'alpha', 'omega', 'g'].forEach((n, i) => expectClose(out.grads[i], file, `${c}.grad_${n}`));
    });
  }
});

describe('golden: AaPE (aape.safetensors)', () => {
  const file = readSafetensors(join(GOLDEN, 'aape.safetensors'));
  const cfg = JSON.parse(file.metadata.config) as { B: number; F: number; T: number; D: number; M: number; K: number; patch: number };

  function model(aape: boolean): AaPE {
    const m = new AaPE({ D: cfg.D, F: cfg.F, M: cfg.M, K: cfg.K, patch: cfg.patch, aape }, new Rng(1));
    for (const [name] of m.namedParameters()) m.setParam(name, gpuOf(file, name));
    return m;
  }

  it('the parameter names are exactly the fixture parameters', () => {
    const m = model(true);
    const names = m.namedParameters().map(([n]) => n).sort();
    const want = [...file.tensors.keys()].filter((k) => k.startsWith('patch_embed.') || k.startsWith('aape.')).sort();
    expect(names).toEqual(want);
    m.dispose();
  });

  it('position embedding', () => {
    expectClose(posEmbed2d(cfg.D, cfg.F / cfg.patch, cfg.T / cfg.patch), file, 'mid.pos');
  });

  it('forward (z and intermediates) and every gradient', async () => {
    const m = model(true);
    const out = await scopeAsync(async () => {
      const x = gpuOf(file, 'x').requireGrad();
      const feats = m.aape!.features(x);
      const mids = {
        alpha: await feats.alpha.toFloat32(), omega: await feats.omega.toFloat32(), S: await feats.S.toFloat32(),
        z_alias: await feats.zAlias.toFloat32(), z_std: await m.standard(x).toFloat32(),
      };
      const z = m.forward(x);
      const zv = await z.toFloat32();
      backward(z, gpuOf(file, 'r'));
      const grads = new Map<string, Float32Array>();
      grads.set('x', await x.grad!.toFloat32());
      for (const [name, p] of m.namedParameters()) grads.set(name, await p.grad!.toFloat32());
      return { mids, zv, grads };
    });
    for (const [k, v] of Object.entries(out.mids)) expectClose(v, file, `mid.${k}`);
    expectClose(out.zv, file, 'z');
    expect(out.grads.size).toBe(17);
    for (const [name, g] of out.grads) expectClose(g, file, `grad.${name}`);
    m.dispose();
  });

  it('AaPE off: standard patch embedding + position only', async () => {
    const m = model(false);
    expect(m.namedParameters().map(([n]) => n).sort()).toEqual(['patch_embed.proj.bias', 'patch_embed.proj.weight']);
    const out = await scopeAsync(async () => {
      const x = gpuOf(file, 'x').requireGrad();
      const z = m.forward(x);
      const zv = await z.toFloat32();
      backward(z, gpuOf(file, 'r'));
      return { zv, gx: await x.grad!.toFloat32(), gw: await m.patchEmbed.proj.p('weight').grad!.toFloat32(), gb: await m.patchEmbed.proj.p('bias').grad!.toFloat32() };
    });
    expectClose(out.zv, file, 'off.z');
    expectClose(out.gx, file, 'off.grad.x');
    expectClose(out.gw, file, 'off.grad.patch_embed.proj.weight');
    expectClose(out.gb, file, 'off.grad.patch_embed.proj.bias');
    m.dispose();
  });

  it('leak-free masked alias branch: visible tokens and gradients', async () => {
    const m = model(true);
    const masks = goldenTensor(file, 'masked.mask_idx'), vis = goldenTensor(file, 'masked.vis_idx');
    const [B, , nm] = masks.shape, nv = vis.shape[2];
    const maskLists = Array.from({ length: B }, (_, b) => Array.from(masks.data.subarray(b * nm, (b + 1) * nm)));
    const out = await scopeAsync(async () => {
      const x = gpuOf(file, 'x').requireGrad();
      const z = m.forward(x, { aliasInput: zeroMaskedCells(x, maskLists, cfg.patch) });
      const zv = indexSelect(z, 1, tensor(vis.data as Int32Array, [B, nv], 'i32'));
      const v = await zv.toFloat32();
      backward(zv, gpuOf(file, 'masked.r'));
      const gx = await x.grad!.toFloat32();
      return { v, gx, gg: await m.aape!.sblu.p('gain').grad!.toFloat32(), gb: await m.aape!.lambda_enc.p('band_bias').grad!.toFloat32() };
    });
    expectClose(out.v, file, 'masked.z_vis');
    expectClose(out.gx, file, 'masked.grad.x');
    expectClose(out.gg, file, 'masked.grad.aape.sblu.gain');
    expectClose(out.gb, file, 'masked.grad.aape.lambda_enc.band_bias');
    m.dispose();
  });
});
