/**
 * A small seeded training run shared by the browser page and the Node side of test/browser.test.ts:
 * both run exactly this code on their own adapter (SwiftShader in Chromium, Dawn/lavapipe or a GPU in
 * Node) and the test compares the numbers. It touches matmul, broadcasting add, GELU, reductions,
 * autograd and the AdamW kernel: the whole path a real training step takes, at a size SwiftShader
 * runs in well under a second. No Node or vitest imports: this file is bundled for the browser.
 */
import { tensor, scope } from '../../src/tensor/tensor';
import { backward } from '../../src/tensor/autograd';
import { gelu, mean, square, sub } from '../../src/ops';
import { Linear } from '../../src/nn/layers';
import { AdamW } from '../../src/optim/optimizers';
import { Rng } from '../../src/util/rng';
import { PRESETS, grid, maskCounts, peakLr, validateConfig, type AaspConfig } from '../../src/aasp/config';
import { AaspStudent, Teacher } from '../../src/aasp/model';
import { makeEmbedder } from '../../src/aasp/embedder';
import { drawMasks } from '../../src/aasp/masking';
import { applyUpdate, computeGradients, makeOptimizer, makeSchedule } from '../../src/train/step';

export interface TrainResult {
  /** Loss before each update. */
  losses: number[];
  /** A few parameter values after the last update (first layer weight, start and end). */
  params: number[];
}

/** Fit a 16 → 32 → 4 GELU MLP to a random linear map for `steps` AdamW steps, all from one seed. */
export async function mlpTrainSteps(seed = 7, steps = 5): Promise<TrainResult> {
  const rng = new Rng(seed);
  const l1 = new Linear(16, 32, rng, { init: 'xavier_uniform' });
  const l2 = new Linear(32, 4, rng, { init: 'xavier_uniform' });
  const named = [...l1.namedParameters('l1.'), ...l2.namedParameters('l2.')];
  const opt = new AdamW([{ params: named, weightDecay: 0.01 }], { lr: 0.01 });
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const x = tensor(rand(8 * 16), [8, 16]);
  const y = tensor(rand(8 * 4), [8, 4]);
  const losses: number[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      const loss = scope(() => mean(square(sub(l2.forward(gelu(l1.forward(x))), y))));
      backward(loss);
      opt.step();
      for (const [, p] of named) { p.grad?.dispose(); p.grad = null; }
      losses.push(await loss.item());
      loss.dispose();
    }
    const w = await l1.p('weight').toFloat32();
    return { losses, params: [...w.slice(0, 4), ...w.slice(-4)] };
  } finally {
    x.dispose(); y.dispose(); opt.dispose(); l1.dispose(); l2.dispose();
  }
}

export interface TinyTrainResult extends TrainResult {
  /** Whether the alias branch (AaPE) was part of the model. */
  aape: boolean;
  gradNorms: number[];
}

/**
 * Seeded steps of the AaSP `tiny` model (spec 5: teacher targets, leak-free student per mask,
 * predictor, prediction + contrastive loss, clipping, AdamW, EMA) on a deterministic input.
 * `cropFrames` shortens the crop so SwiftShader gets through a step quickly; everything else is the
 * tiny preset.
 */
export async function tinyTrainSteps(seed = 11, steps = 2, batch = 2, cropFrames = 160, aape = true): Promise<TinyTrainResult> {
  const cfg: AaspConfig = validateConfig({ ...PRESETS.tiny, cropFrames, aape }, 'browser test');
  const rng = new Rng(seed);
  const student = new AaspStudent(cfg, rng, makeEmbedder);
  const teacher = new Teacher(student, makeEmbedder);
  const opt = makeOptimizer(student, cfg, peakLr(cfg, batch));
  const sched = makeSchedule(cfg, 10, peakLr(cfg, batch));
  const { Fp, Tp } = grid(cfg);
  const { nMasked } = maskCounts(cfg);
  const losses: number[] = [], gradNorms: number[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      const x = tensor(Float32Array.from({ length: batch * cfg.nMels * cropFrames }, () => rng.normal()), [batch, cfg.nMels, cropFrames]);
      const ms = drawMasks(rng, cfg.maskType, batch, cfg.masks, Fp, Tp, nMasked);
      const r = await computeGradients(student, teacher, x, ms);
      applyUpdate(student, teacher, opt, sched, cfg, s, r.gradNorm);
      x.dispose();
      losses.push(r.loss);
      gradNorms.push(r.gradNorm);
    }
    const named = new Map(student.namedParameters());
    const w = await named.get('blocks.0.attn.qkv.weight')!.toFloat32();
    return { losses, gradNorms, params: [...w.slice(0, 4), ...w.slice(-4)], aape: cfg.aape };
  } finally {
    opt.dispose(); teacher.dispose(); student.dispose();
  }
}
