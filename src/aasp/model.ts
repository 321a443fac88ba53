/**
 * The AaSP student (AaPE + encoder under bare names, `predictor.`, `proj.`) and its EMA teacher
 * (a copy of AaPE + encoder, saved under `teacher.`), mirroring the PyTorch layout of spec 5.
 */
import { Rng } from '../util/rng';
import { runtime } from '../gpu/runtime';
import type { Tensor } from '../tensor/tensor';
import { emaUpdate } from '../optim/optimizers';
import { grid, type AaspConfig } from './config';
import { AaspEncoder, type EmbedderFactory } from './encoder';
import { Predictor, ProjHead } from './heads';
import { Linear } from '../nn/layers';

export const TEACHER_PREFIX = 'teacher.';

export class AaspStudent extends AaspEncoder {
  readonly predictor: Predictor;
  readonly proj: ProjHead;
  /** Predictor output → masked patch (config `reconWeight` > 0 only, so default checkpoints keep the spec's names). */
  readonly recon: Linear | null;

  constructor(cfg: AaspConfig, rng: Rng, makeEmbedder: EmbedderFactory) {
    super(cfg, rng, makeEmbedder);
    const { Fp, Tp } = grid(cfg);
    this.predictor = this.child('predictor', new Predictor({ D: cfg.D, Dp: cfg.Dp, depth: cfg.predDepth, heads: cfg.predHeads, Fp, Tp }, rng));
    // `proj` exists even with λ = 0 so every checkpoint has the same tensor names.
    this.proj = this.child('proj', new ProjHead(cfg.D, cfg.projDim, rng));
    this.recon = cfg.reconWeight > 0 ? this.child('recon', new Linear(cfg.D, cfg.patch * cfg.patch, rng)) : null;
  }
}

/** Copy tensor values on the GPU (same sizes). */
export function copyValues(dst: Tensor, src: Tensor): void {
  if (dst.size !== src.size) throw new Error(`copyValues: [${dst.shape}] vs [${src.shape}]`);
  runtime().copy(src.buffer, 0, dst.buffer, 0, src.size * 4);
}

/**
 * The EMA teacher: an AaspEncoder whose parameters never require grad, initialised as an exact copy
 * of the student's AaPE + encoder. Its own init draws come from a throwaway generator so building it
 * does not move the run's generator.
 */
export class Teacher {
  readonly encoder: AaspEncoder;
  /** Pairs (teacher tensor, student tensor) by parameter name, in a fixed order. */
  private pairs: [string, Tensor, Tensor][] = [];

  constructor(student: AaspStudent, makeEmbedder: EmbedderFactory) {
    this.encoder = new AaspEncoder(student.cfg, new Rng(0), makeEmbedder);
    const byName = new Map(student.namedParameters());
    for (const [name, t] of this.encoder.namedParameters()) {
      t.requireGrad(false);
      const s = byName.get(name);
      if (!s) throw new Error(`teacher parameter ${name} has no student counterpart`);
      this.pairs.push([name, t, s]);
    }
    this.copyFromStudent();
  }

  copyFromStudent(): void {
    for (const [, t, s] of this.pairs) copyValues(t, s);
  }

  /**
   * teacher ← τ·teacher + (1 − τ)·student, for the student parameters that train: a frozen one
   * (config `frozen`) equals its teacher copy already, and averaging it would only add rounding.
   */
  ema(tau: number): void {
    const live = this.pairs.filter((p) => p[2].requiresGrad);
    emaUpdate(live.map((p) => p[1]), live.map((p) => p[2]), tau);
  }

  /** Teacher parameters under their checkpoint names (`teacher.` + student name). */
  namedParameters(): [string, Tensor][] {
    return this.pairs.map(([n, t]) => [TEACHER_PREFIX + n, t]);
  }

  dispose(): void { this.encoder.dispose(); }
}
