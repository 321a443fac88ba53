/**
 * The model side of the demo page, on the engine's public pieces only (no Node): GPU log-mel, the
 * AaPE alias branch's α/ω and SBLU features, live training of the `tiny` AaSP model (spec 5, the
 * same step functions the CLI uses), checkpoint loading from safetensors bytes, and the aliasing
 * stability curve (spec 6) through the platform-neutral evaluation code.
 */
import { runtime } from '../gpu/runtime';
import { tensor, scope, keep, type Tensor } from '../tensor/tensor';
import { noGrad } from '../tensor/autograd';
import { Rng } from '../util/rng';
import { PRESETS, grid, maskCounts, peakLr, validateConfig, type AaspConfig } from '../aasp/config';
import { AaspEncoder } from '../aasp/encoder';
import { AaspStudent, Teacher } from '../aasp/model';
import { makeEmbedder } from '../aasp/embedder';
import { AliasBranch } from '../aasp/aape';
import { drawMasks } from '../aasp/masking';
import { applyUpdate, computeGradients, makeOptimizer, makeSchedule, type Schedule } from '../train/step';
import type { AdamW } from '../optim/optimizers';
import { cropOrPadFrames } from '../audio/crop';
import { logMelGpu, isCpuAdapter } from '../audio/logmel-gpu';
import { decodeSafetensors } from '../io/safetensors';
import { CHECKPOINT_FORMAT } from '../io/checkpoint';
import type { TokenEncoder } from '../eval/embed';
import { stabilityCurve, type StabilityCurve } from '../eval/stability';
import type { MelLike } from '../eval/windows';

export interface Mel extends MelLike { data: Float32Array }

/**
 * Normalised log-mel [80, T] of 16 kHz samples, computed on the GPU (one dispatch) and read back.
 * On SwiftShader the 'matmul' method is used: the 'fft-thread' kernel that 'auto' picks for CPU
 * adapters runs fast there but takes ~40 s to compile, which would stall the page's first paint.
 */
export async function melOf(samples: Float32Array, cfg: AaspConfig = PRESETS.tiny): Promise<Mel> {
  const swiftshader = /swiftshader/i.test(runtime().adapterName);
  const t = logMelGpu(samples, { nMels: cfg.nMels, mean: cfg.melMean, std: cfg.melStd, tuning: swiftshader ? { method: 'matmul' } : {} });
  try {
    const [, nMels, nFrames] = t.shape;
    return { data: await t.toFloat32(), nMels, nFrames };
  } finally {
    t.dispose();
  }
}

/** The AaPE alias branch of an encoder, when its embedder mounts one under `aape`. */
export function aliasBranchOf(enc: AaspEncoder): AliasBranch | null {
  const m = enc.embedder.mounts.find(([name]) => name === 'aape')?.[1];
  return m instanceof AliasBranch ? m : null;
}

export interface AapeView {
  /** [F, M] row-major. */
  alpha: Float32Array;
  omega: Float32Array;
  /** SBLU features [F, M, T] row-major. */
  S: Float32Array;
  F: number;
  M: number;
  T: number;
}

/** α, ω (per band and mode) and the SBLU features S of one clip (at most `maxFrames` frames). */
export async function aapeView(branch: AliasBranch, mel: Mel, maxFrames = 1008): Promise<AapeView> {
  const T = Math.min(mel.nFrames, maxFrames), F = mel.nMels;
  const x = new Float32Array(F * T);
  for (let f = 0; f < F; f++) x.set(mel.data.subarray(f * mel.nFrames, f * mel.nFrames + T), f * T);
  const out = noGrad(() => scope(() => {
    const feats = branch.features(tensor(x, [1, F, T]));
    return keep([feats.alpha, feats.omega, feats.S]);
  }));
  try {
    const [alpha, omega, S] = await Promise.all(out.map((t) => t.toFloat32()));
    return { alpha, omega, S, F, M: out[0].shape[2], T };
  } finally {
    for (const t of out) t.dispose();
  }
}

/** An encoder as the evaluation code wants it: tokens of a whole (≤ crop) window, no masking. */
export function tokenEncoder(enc: AaspEncoder): TokenEncoder {
  const cfg = enc.cfg;
  return {
    dim: cfg.D, nMels: cfg.nMels, patch: cfg.patch, maxFrames: cfg.cropFrames,
    tokens: (x: Tensor) => enc.encode(enc.embedFull(x), 1),
  };
}

export async function stability(enc: AaspEncoder, mels: readonly Mel[], maxBatch = 4): Promise<StabilityCurve> {
  return stabilityCurve(tokenEncoder(enc), mels, { maxShift: 15, maxBatch });
}

/** Would this adapter make a full-size step slow (a CPU rasteriser such as SwiftShader)? */
export function slowAdapter(): boolean { return isCpuAdapter(runtime()); }

export interface StepReport { step: number; loss: number; lossPred: number; lossCon: number; lr: number; ms: number }

/**
 * Live pre-training of the tiny model on a pool of clips: each step takes B random crops (the
 * generator decides), draws the masks and runs the same computeGradients/applyUpdate as the CLI.
 */
export class LiveTrainer {
  readonly cfg: AaspConfig;
  readonly student: AaspStudent;
  readonly teacher: Teacher;
  private opt: AdamW;
  private sched: Schedule;
  private rng: Rng;
  step = 0;

  constructor(readonly total: number, readonly batch: number, cropFrames: number, seed: number, aape = true) {
    this.cfg = validateConfig({ ...PRESETS.tiny, cropFrames, aape, name: `tiny (crop ${cropFrames})` }, 'demo');
    this.rng = new Rng(seed);
    this.student = new AaspStudent(this.cfg, this.rng, makeEmbedder);
    this.teacher = new Teacher(this.student, makeEmbedder);
    const lr = peakLr(this.cfg, batch);
    this.opt = makeOptimizer(this.student, this.cfg, lr);
    this.sched = makeSchedule(this.cfg, total, lr);
  }

  async trainStep(pool: readonly Mel[]): Promise<StepReport> {
    if (this.step >= this.total) throw new Error('training finished');
    const t0 = performance.now();
    const { cfg, batch: B } = this;
    const { Fp, Tp } = grid(cfg);
    const x = new Float32Array(B * cfg.nMels * cfg.cropFrames);
    for (let b = 0; b < B; b++) {
      const mel = pool[this.rng.int(pool.length)];
      x.set(cropOrPadFrames(mel, cfg.cropFrames, this.rng).data, b * cfg.nMels * cfg.cropFrames);
    }
    const ms = drawMasks(this.rng, cfg.maskType, B, cfg.masks, Fp, Tp, maskCounts(cfg).nMasked);
    const xt = tensor(x, [B, cfg.nMels, cfg.cropFrames]);
    try {
      const r = await computeGradients(this.student, this.teacher, xt, ms);
      const u = applyUpdate(this.student, this.teacher, this.opt, this.sched, cfg, this.step, r.gradNorm);
      if (!Number.isFinite(r.loss)) throw new Error(`loss is ${r.loss} at step ${this.step}`);
      return { step: this.step++, loss: r.loss, lossPred: r.lossPred, lossCon: r.lossCon, lr: u.lr, ms: performance.now() - t0 };
    } finally {
      xt.dispose();
    }
  }

  dispose(): void { this.opt.dispose(); this.teacher.dispose(); this.student.dispose(); }
}

export interface LoadedModel { encoder: AaspEncoder; cfg: AaspConfig; step: number; which: 'student' | 'teacher'; note: string }

/**
 * A pre-training checkpoint (`node dist/pretrain.js` output) → a frozen encoder. Only the encoder's
 * tensors are read (AaPE, blocks, norm), from the student's bare names or from `teacher.`.
 */
export function loadCheckpoint(bytes: Uint8Array, name: string, which: 'student' | 'teacher' = 'student'): LoadedModel {
  const file = decodeSafetensors(bytes, name);
  const md = file.metadata;
  if (md.format !== CHECKPOINT_FORMAT) throw new Error(`${name}: not an AaSP pre-training checkpoint (format ${JSON.stringify(md.format)})`);
  const cfg = validateConfig(JSON.parse(md.config) as AaspConfig, `${name} (config)`);
  const encoder = new AaspEncoder(cfg, new Rng(0), makeEmbedder);
  const rt = runtime();
  const prefix = which === 'teacher' ? 'teacher.' : '';
  try {
    for (const [pname, t] of encoder.namedParameters()) {
      const src = file.tensors.get(prefix + pname);
      if (!src) throw new Error(`${name}: tensor ${prefix + pname} is missing`);
      if (src.shape.join() !== t.shape.join()) throw new Error(`${name}: ${prefix + pname} has shape [${src.shape}], the model expects [${t.shape}]`);
      rt.write(t.buffer, src.data as Float32Array);
      t.requireGrad(false);
    }
  } catch (e) {
    encoder.dispose();
    throw e;
  }
  encoder.train(false);
  const note = `${cfg.name}: D ${cfg.D}, depth ${cfg.depth}, AaPE ${cfg.aape ? 'on' : 'off'}, step ${md.step}`;
  return { encoder, cfg, step: Number(md.step), which, note };
}
