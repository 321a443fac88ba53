/**
 * The feature-decorrelation term (config `decorWeight`): the loss against its float64 reference
 * over odd shapes, its gradient by central differences of that reference, its two ends (0 for
 * uncorrelated features, 1 for features that move together), the config field, and its plumbing
 * through the training step (total loss, the value on the step's own clip embeddings, the encoder's
 * gradient changed, nothing added when it is off).
 */
import { describe, expect, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { Rng } from '../src/util/rng';
import { tensor } from '../src/tensor/tensor';
import { backward } from '../src/tensor/autograd';
import { decorrelationLoss, decorrelationLossCpu } from '../src/aasp/losses';
import { ConfigError, configFromObject, grid, maskCounts, PRESETS, type AaspConfig } from '../src/aasp/config';
import { AaspStudent, Teacher } from '../src/aasp/model';
import { makeEmbedder } from '../src/aasp/embedder';
import { drawMasks } from '../src/aasp/masking';
import { computeGradients } from '../src/train/step';

useGpu();

const randn = (rng: Rng, n: number) => Float32Array.from({ length: n }, () => rng.normal());

describe('decorrelationLoss', () => {
  it('matches the float64 reference, value and gradient, over odd shapes', async () => {
    const rng = new Rng(3);
    for (const [G, D] of [[7, 5], [13, 9], [4, 11], [64, 48]] as const) {
      // Correlated features (a shared component) so the off-diagonal terms are far from 0.
      const base = randn(rng, G);
      const g = Float32Array.from({ length: G * D }, (_, i) => 0.8 * base[Math.floor(i / D)] + rng.normal() * (0.3 + (i % D) / D) + 2);
      const gt = tensor(g, [G, D]).requireGrad();
      const L = decorrelationLoss(gt);
      const got = await L.item();
      const want = decorrelationLossCpu(g, G, D);
      expect(Math.abs(got - want), `[${G}, ${D}]`).toBeLessThan(2e-5 * Math.max(1, want));
      backward(L);
      const grad = await gt.grad!.toFloat32();
      const g64 = Float64Array.from(g);
      let scale = 0;
      for (const v of grad) scale = Math.max(scale, Math.abs(v));
      for (const i of [0, 3, G * D - 1, Math.floor(G * D / 2), D + 1]) {
        const h = 1e-5, save = g64[i];
        g64[i] = save + h; const up = decorrelationLossCpu(g64, G, D);
        g64[i] = save - h; const dn = decorrelationLossCpu(g64, G, D);
        g64[i] = save;
        const fd = (up - dn) / (2 * h);
        expect(Math.abs(grad[i] - fd), `[${G}, ${D}] element ${i}`).toBeLessThan(1e-3 * scale + 1e-6);
      }
      gt.dispose();
      L.dispose();
    }
  });

  it('is 1 when every feature moves with the first and near 0 for independent ones', async () => {
    const rng = new Rng(4);
    const G = 400, D = 6;
    const col = randn(rng, G);
    const together = Float32Array.from({ length: G * D }, (_, i) => (1 + (i % D)) * col[Math.floor(i / D)] - (i % D));
    expect(await decorrelationLoss(tensor(together, [G, D])).item()).toBeCloseTo(1, 4);
    const apart = randn(rng, G * D);
    // Independent columns: each squared correlation is about 1/G.
    expect(await decorrelationLoss(tensor(apart, [G, D])).item()).toBeLessThan(4 / G);
  });

  it('names the shape when there is one row or one feature', () => {
    expect(() => decorrelationLoss(tensor(new Float32Array(5), [1, 5]))).toThrow(/\[1,5\]/);
    expect(() => decorrelationLoss(tensor(new Float32Array(5), [5, 1]))).toThrow(/\[5,1\]/);
  });
});

describe('decorWeight in the config', () => {
  it('defaults to 0 (the spec objective), adds no tensors, and rejects negatives', () => {
    for (const p of Object.values(PRESETS)) expect(p.decorWeight).toBe(0);
    const small = { D: 16, depth: 1, heads: 2, Dp: 8, predDepth: 1, predHeads: 2, projDim: 8, nMels: 16, cropFrames: 32 };
    const names = (c: AaspConfig) => new AaspStudent(c, new Rng(0), makeEmbedder).namedParameters().map(([n]) => n);
    expect(names(configFromObject({ ...small, decorWeight: 1 }, 'on'))).toEqual(names(configFromObject(small, 'off')));
    expect(() => configFromObject({ decorWeight: -0.5 }, 'neg')).toThrow(ConfigError);
    expect(() => configFromObject({ decorWeight: -0.5 }, 'neg')).toThrow(/decorWeight must be ≥ 0/);
    expect(() => configFromObject({ decorWeight: 'x' }, 'str')).toThrow(/"decorWeight" must be a number/);
  });
});

describe('the decorrelation term in the training step', () => {
  const base = { base: 'tiny', D: 32, depth: 2, heads: 2, Dp: 16, predDepth: 1, predHeads: 2, projDim: 16, nMels: 32, cropFrames: 48, masks: 2, aape: false };

  it('adds w · decorrelation of the step\'s clip embeddings; pred and con unchanged; the encoder gradient moves', { timeout: 120_000 }, async () => {
    const w = 0.7, B = 3, F = 32, T = 48;
    const run = async (decorWeight: number, lambda = 0.5) => {
      const cfg = configFromObject({ ...base, decorWeight, lambda }, `decor ${decorWeight}`);
      const student = new AaspStudent(cfg, new Rng(5), makeEmbedder);
      const teacher = new Teacher(student, makeEmbedder);
      const rng = new Rng(6);
      const { Fp, Tp } = grid(cfg);
      const ms = drawMasks(rng, 'random', B, cfg.masks, Fp, Tp, maskCounts(cfg).nMasked);
      const x = tensor(randn(rng, B * F * T), [B, F, T]);
      const r = await computeGradients(student, teacher, x, ms, true);
      const enc = await student.namedParameters().find(([n]) => n === 'blocks.0.attn.qkv.weight')![1].grad!.toFloat32();
      return { cfg, r, enc };
    };
    const off = await run(0), on = await run(w);
    expect(off.r.lossDecor).toBe(0);
    const [G, D] = on.r.monitor!.clipEmbShape;
    expect([G, D]).toEqual([B * 2, 32]);
    const want = decorrelationLossCpu(on.r.monitor!.clipEmb, G, D);
    expect(Math.abs(on.r.lossDecor - want)).toBeLessThan(2e-5);
    expect(Math.abs(on.r.loss - (on.r.lossPred + 0.5 * on.r.lossCon + w * on.r.lossDecor))).toBeLessThan(1e-5 * on.r.loss);
    expect(on.r.lossPred).toBeCloseTo(off.r.lossPred, 6);
    expect(on.r.lossCon).toBeCloseTo(off.r.lossCon, 6);
    // λ = 0: the term alone still makes the clip embeddings (it needs them) and trains the encoder.
    const noCon = await run(0, 0), noConOn = await run(w, 0);
    expect(noConOn.r.lossDecor).toBeGreaterThan(0);
    let diff = 0, norm = 0;
    for (let i = 0; i < noCon.enc.length; i++) { diff += (noCon.enc[i] - noConOn.enc[i]) ** 2; norm += noCon.enc[i] ** 2; }
    expect(Math.sqrt(diff / norm)).toBeGreaterThan(1e-4);
  });
});
