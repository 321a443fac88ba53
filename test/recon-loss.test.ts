/**
 * The masked-patch reconstruction term (config `reconWeight`): the patch layout against a CPU loop,
 * the loss against float64, and its plumbing through the training step (total loss, the `recon`
 * head's gradient in closed form, gradients reaching the encoder, nothing added when it is off).
 */
import { describe, expect, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { Rng } from '../src/util/rng';
import { tensor } from '../src/tensor/tensor';
import { patchify, reconstructionLoss } from '../src/aasp/losses';
import { ConfigError, configFromObject, grid, maskCounts, PRESETS, type AaspConfig } from '../src/aasp/config';
import { AaspStudent, Teacher, copyValues } from '../src/aasp/model';
import { makeEmbedder } from '../src/aasp/embedder';
import { drawMasks } from '../src/aasp/masking';
import { computeGradients } from '../src/train/step';
import { zeros } from '../src/ops';

useGpu();

const randn = (rng: Rng, n: number) => Float32Array.from({ length: n }, () => rng.normal());

describe('patchify', () => {
  it('[B, F, T] → [B, N, p²] in token order p·T′ + q, cells frequency-major (odd grid)', async () => {
    const B = 2, p = 3, F = 6, T = 15, Fp = 2, Tp = 5;
    const rng = new Rng(1);
    const x = randn(rng, B * F * T);
    const got = await patchify(tensor(x, [B, F, T]), p).toFloat32();
    expect(got.length).toBe(B * Fp * Tp * p * p);
    for (let b = 0; b < B; b++) for (let i = 0; i < Fp; i++) for (let j = 0; j < Tp; j++) for (let f = 0; f < p; f++) for (let t = 0; t < p; t++) {
      const want = x[(b * F + i * p + f) * T + j * p + t];
      expect(got[((b * Fp * Tp + i * Tp + j) * p + f) * p + t]).toBe(want);
    }
  });

  it('names the shape when it is not whole patches', () => {
    expect(() => patchify(tensor(new Float32Array(2 * 7 * 9), [2, 7, 9]), 3)).toThrow(/\[2,7,9\].*3×3/);
  });
});

describe('reconstructionLoss', () => {
  it('is the mean squared error against float64', async () => {
    const rng = new Rng(2);
    const shape = [3, 5, 7];
    const r = randn(rng, 105), x = randn(rng, 105);
    let want = 0;
    for (let i = 0; i < 105; i++) want += (r[i] - x[i]) ** 2;
    want /= 105;
    const got = await reconstructionLoss(tensor(r, shape), tensor(x, shape)).item();
    expect(Math.abs(got - want)).toBeLessThan(1e-5 * want);
  });
});

describe('reconWeight in the config', () => {
  it('defaults to 0 (the spec objective, no `recon` tensors), and rejects negatives', () => {
    expect(PRESETS.tiny.reconWeight).toBe(0);
    const names = (c: AaspConfig) => new AaspStudent(c, new Rng(0), makeEmbedder).namedParameters().map(([n]) => n);
    const small = { D: 16, depth: 1, heads: 2, Dp: 8, predDepth: 1, predHeads: 2, projDim: 8, nMels: 16, cropFrames: 32 };
    expect(names(configFromObject(small, 'off')).some((n) => n.startsWith('recon.'))).toBe(false);
    expect(names(configFromObject({ ...small, reconWeight: 0.5 }, 'on')).filter((n) => n.startsWith('recon.'))).toEqual(['recon.weight', 'recon.bias']);
    expect(() => configFromObject({ reconWeight: -1 }, 'neg')).toThrow(ConfigError);
    expect(() => configFromObject({ reconWeight: -1 }, 'neg')).toThrow(/reconWeight must be ≥ 0/);
  });
});

describe('the reconstruction term in the training step', () => {
  const base = { base: 'tiny', D: 32, depth: 2, heads: 2, Dp: 16, predDepth: 1, predHeads: 2, projDim: 16, nMels: 32, cropFrames: 48, masks: 2, aape: false };

  it('adds w · MSE to the loss; the head gradient matches the closed form; a zero head leaves the encoder gradient as it was', { timeout: 120_000 }, async () => {
    const w = 0.7;
    const B = 2, F = 32, T = 48, p = 16;
    const run = async (reconWeight: number) => {
      const cfg = configFromObject({ ...base, reconWeight }, `recon ${reconWeight}`);
      const student = new AaspStudent(cfg, new Rng(5), makeEmbedder);
      const teacher = new Teacher(student, makeEmbedder);
      // A zero head predicts 0 for every cell, so the term is the mean square of the masked patches.
      if (student.recon) for (const [, t] of student.recon.namedParameters()) copyValues(t, zeros(t.shape));
      const rng = new Rng(6);
      const xs = randn(rng, B * F * T);
      const { Fp, Tp } = grid(cfg);
      const ms = drawMasks(rng, 'random', B, cfg.masks, Fp, Tp, maskCounts(cfg).nMasked);
      const x = tensor(xs, [B, F, T]);
      const r = await computeGradients(student, teacher, x, ms);
      const grads = new Map<string, Float32Array>();
      for (const [n, t] of student.namedParameters()) if (t.grad) grads.set(n, await t.grad.toFloat32());
      return { cfg, r, grads, xs, ms, Tp };
    };
    const off = await run(0), on = await run(w);
    expect(off.r.lossRec).toBe(0);
    expect(off.grads.has('recon.bias')).toBe(false);

    // Masked patches on the CPU, in float64: target cells X[row, c], rows = every mask's masked tokens.
    const { ms, xs, Tp } = on;
    const rows: number[][] = [];
    for (let g = 0; g < B * ms.masks; g++) {
      const b = Math.floor(g / ms.masks);
      for (let k = 0; k < ms.nMasked; k++) {
        const tok = ms.mask[g * ms.nMasked + k], i = Math.floor(tok / Tp), j = tok % Tp;
        const cells: number[] = [];
        for (let f = 0; f < p; f++) for (let t = 0; t < p; t++) cells.push(xs[(b * F + i * p + f) * T + j * p + t]);
        rows.push(cells);
      }
    }
    const n = rows.length * p * p;
    const mse = rows.reduce((a, c) => a + c.reduce((s, v) => s + v * v, 0), 0) / n;
    expect(Math.abs(on.r.lossRec - mse)).toBeLessThan(1e-5 * mse);
    expect(Math.abs(on.r.loss - (on.r.lossPred + on.cfg.lambda * on.r.lossCon + w * on.r.lossRec))).toBeLessThan(1e-5 * on.r.loss);
    // Same weights, same batch: the prediction and contrastive losses do not see the head.
    expect(on.r.lossPred).toBeCloseTo(off.r.lossPred, 6);
    expect(on.r.lossCon).toBeCloseTo(off.r.lossCon, 6);

    // d/db_c of w · mean((0 + b − X)²) at b = 0 is −2w Σ_rows X[row, c] / n.
    const gb = on.grads.get('recon.bias')!;
    for (let c = 0; c < p * p; c++) {
      const want = (-2 * w * rows.reduce((a, r) => a + r[c], 0)) / n;
      expect(Math.abs(gb[c] - want)).toBeLessThan(1e-5 + 1e-4 * Math.abs(want));
    }
    // With a zero head weight no gradient flows back into P, so the encoder's is unchanged ...
    const enc = 'blocks.0.attn.qkv.weight';
    expect(on.grads.get(enc)).toEqual(off.grads.get(enc));
  });

  it('reaches the encoder through the predictor once the head is non-zero', { timeout: 120_000 }, async () => {
    const B = 2;
    const gradOf = async (reconWeight: number) => {
      // λ = 0: at init the InfoNCE gradient on the encoder is ~10⁴ times the predictor's in this small model.
      const cfg = configFromObject({ ...base, lambda: 0, reconWeight }, `recon ${reconWeight}`);
      const student = new AaspStudent(cfg, new Rng(5), makeEmbedder);
      const teacher = new Teacher(student, makeEmbedder);
      const rng = new Rng(6);
      const { Fp, Tp } = grid(cfg);
      const x = tensor(randn(rng, B * 32 * 48), [B, 32, 48]);
      const ms = drawMasks(rng, 'random', B, cfg.masks, Fp, Tp, maskCounts(cfg).nMasked);
      await computeGradients(student, teacher, x, ms);
      return student.namedParameters().find(([nm]) => nm === 'blocks.0.attn.qkv.weight')![1].grad!.toFloat32();
    };
    const a = await gradOf(0), b = await gradOf(0.7);
    let diff = 0, norm = 0;
    for (let i = 0; i < a.length; i++) { diff += (a[i] - b[i]) ** 2; norm += a[i] ** 2; }
    expect(Math.sqrt(diff / norm)).toBeGreaterThan(1e-4);
  });
});
