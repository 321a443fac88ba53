/**
 * One AaSP training step (spec 5): teacher targets without gradient, the leak-free student per
 * mask, predictor and losses, backward, global-norm clipping, AdamW with the scheduled rate, then
 * the EMA. Split in two (`computeGradients`, `applyUpdate`) so tests can look at the gradients.
 * One GPU read-back per step: losses and the squared gradient norm travel together.
 */
import { Tensor, scope } from '../tensor/tensor';
import { backward, noGrad } from '../tensor/autograd';
import { add, concat, mean, mul, reshape, square, std, sum, zeros } from '../ops';
import { AdamW, clipScale, type ParamGroup } from '../optim/optimizers';
import { ConfigError, type AaspConfig } from '../aasp/config';
import type { AaspStudent, Teacher } from '../aasp/model';
import type { MaskSet } from '../aasp/masking';
import { decorrelationLoss, infoNce, maskedTargets, patchify, predictionLoss, reconstructionLoss, standardiseTargets } from '../aasp/losses';
import { meanPool } from '../aasp/heads';
import { emaTauAt, lrAt, warmupSteps } from '../aasp/schedule';
import type { GradExchange } from './distributed';

export interface Schedule { total: number; peakLr: number; warmup: number }

export function makeSchedule(cfg: AaspConfig, total: number, peakLr: number): Schedule {
  return { total, peakLr, warmup: warmupSteps(total, cfg.warmupFraction) };
}

/**
 * Keep the student parameters named by `cfg.frozen` (name prefixes) at their values: they stop
 * requiring grad, so backward computes no gradient for them, the gradient norm leaves them out and
 * AdamW (which skips parameters without a gradient) never moves or decays them. The teacher starts
 * as a copy and its EMA skips them (Teacher.ema), so it keeps them bit for bit. Returns the frozen
 * names; a prefix that names no parameter is a config error.
 */
export function freezeParameters(student: AaspStudent, cfg: AaspConfig): string[] {
  const named = student.namedParameters();
  checkPrefixes(cfg, 'frozen', cfg.frozen, named.map(([n]) => n));
  const frozen: string[] = [];
  for (const prefix of cfg.frozen) {
    for (const [n, t] of named.filter(([m]) => m.startsWith(prefix))) { t.requireGrad(false); frozen.push(n); }
  }
  return frozen;
}

/** A config field's name prefixes must each name a student parameter (a ConfigError listing the top-level names otherwise). */
function checkPrefixes(cfg: AaspConfig, field: 'frozen' | 'lrScale', prefixes: string[], names: string[]): void {
  for (const p of prefixes) {
    if (!names.some((n) => n.startsWith(p))) throw new ConfigError(`config ${cfg.name}: ${field} prefix "${p}" names no student parameter (they start with ${[...new Set(names.map((n) => n.split('.')[0]))].join(', ')})`);
  }
}

/**
 * Each student parameter's learning-rate factor under `cfg.lrScale`: the factor of the longest
 * prefix the name starts with, 1 when none does. A prefix that names no parameter is a config error.
 */
export function lrScales(student: AaspStudent, cfg: AaspConfig): Map<string, number> {
  const names = student.namedParameters().map(([n]) => n);
  const prefixes = Object.keys(cfg.lrScale).sort((a, b) => b.length - a.length);
  checkPrefixes(cfg, 'lrScale', prefixes, names);
  return new Map(names.map((n) => {
    const p = prefixes.find((q) => n.startsWith(q));
    return [n, p === undefined ? 1 : cfg.lrScale[p]];
  }));
}

/**
 * AdamW with weight decay on Linear/Conv weights only (chosen by module type via decayNames()), one
 * group per (decay, learning-rate factor) pair (`cfg.lrScale`).
 */
export function makeOptimizer(student: AaspStudent, cfg: AaspConfig, lr: number): AdamW {
  const decay = student.decayNames();
  const scales = lrScales(student, cfg);
  const groups = new Map<string, ParamGroup>();
  for (const [n, t] of student.namedParameters()) {
    const weightDecay = decay.has(n) ? cfg.weightDecay : 0, lrScale = scales.get(n)!;
    const key = `${weightDecay}|${lrScale}`;
    if (!groups.has(key)) groups.set(key, { params: [], weightDecay, lrScale });
    groups.get(key)!.params.push([n, t]);
  }
  return new AdamW([...groups.values()], { lr, betas: [cfg.beta1, cfg.beta2], eps: cfg.adamEps });
}

/** The terms of the objective (spec 5 plus the optional ones). */
export type LossTerm = 'pred' | 'con' | 'rec' | 'decor';

/** The terms that are on (weight > 0), with their weights: the total loss is Σ weight · term. */
export function activeTerms(cfg: AaspConfig): [LossTerm, number][] {
  const out: [LossTerm, number][] = [['pred', 1]];
  if (cfg.lambda > 0) out.push(['con', cfg.lambda]);
  if (cfg.reconWeight > 0) out.push(['rec', cfg.reconWeight]);
  if (cfg.decorWeight > 0) out.push(['decor', cfg.decorWeight]);
  return out;
}

export interface Monitor {
  /** Population std over all elements of the standardised target (≈ 1). */
  targetStd: number;
  /** Population std of the teacher output after `norm`, before standardising. */
  teacherOutStd: number;
  /** Mean over features of the std over tokens of the target: falls towards 0 when targets collapse. */
  targetTokenStd: number;
  /** Student clip embeddings (mean of V over visible tokens), row-major [G, D]. */
  clipEmb: Float32Array;
  clipEmbShape: [number, number];
}

export interface GradResult {
  loss: number;
  lossPred: number;
  /** 0 when the contrastive loss is off. */
  lossCon: number;
  /** Masked-patch reconstruction MSE; 0 when `reconWeight` is 0. */
  lossRec: number;
  /** Feature decorrelation (mean squared off-diagonal correlation); 0 when `decorWeight` is 0. */
  lossDecor: number;
  gradNorm: number;
  monitor?: Monitor;
}

const scalar = (t: Tensor) => reshape(t, [1]);

/** The forward's outputs that the losses and monitors need. */
export interface StepForward {
  /** Standardised teacher targets [B, N, D]. */
  target: Tensor;
  /** Population std of the teacher output (monitor only). */
  outStd: Tensor | null;
  /** Prediction loss. */
  lp: Tensor;
  /** Reconstruction loss (reconWeight > 0 only). */
  lr: Tensor | null;
  /** Clip-and-mask embeddings (contrastive, decorrelation or monitor only). */
  g: Tensor | null;
  /** Their projections, the InfoNCE input (λ > 0 only). */
  e: Tensor | null;
}

/** Teacher targets, the student per mask, the predictor and the per-token losses; autograd keeps what backward needs. */
export function stepForward(student: AaspStudent, teacher: Teacher, x: Tensor, ms: MaskSet, withMonitor = false): StepForward {
  const cfg = student.cfg;
  const useCon = cfg.lambda > 0;
  const useDecor = cfg.decorWeight > 0;
  return scope(() => {
    const { target, outStd } = noGrad(() => {
      const y = teacher.encoder.encode(teacher.encoder.embedFull(x), cfg.targetLayers);
      return { target: standardiseTargets(y), outStd: withMonitor ? std(y) : null };
    });
    const V = student.encode(student.embedVisible(x, ms));
    const P = student.predictor.forward(V, ms.vis, ms.mask);
    const lp = predictionLoss(P, maskedTargets(target, ms));
    const lr = student.recon ? reconstructionLoss(student.recon.forward(P), maskedTargets(patchify(x, cfg.patch), ms)) : null;
    const g = useCon || useDecor || withMonitor ? meanPool(V) : null;
    const e = useCon ? student.proj.forward(g!) : null;
    return { target, outStd, lp, lr, g, e };
  });
}

/**
 * Forward + backward; leaves dL/dθ in every student parameter's `.grad` (before clipping). With a
 * data-parallel `dist` (train/distributed.ts), x and ms are this rank's share of the batch, the
 * contrastive loss runs over every rank's clip embeddings, and the gradients come back averaged.
 */
export async function computeGradients(student: AaspStudent, teacher: Teacher, x: Tensor, ms: MaskSet, withMonitor = false, dist: GradExchange | null = null): Promise<GradResult> {
  const cfg = student.cfg;
  const f = stepForward(student, teacher, x, ms, withMonitor);
  // Data parallel: InfoNCE's negatives are the whole batch, so it sees every rank's embeddings.
  const eAll = dist && f.e ? await dist.gatherRows(f.e) : f.e;
  // The same for the decorrelation term: its correlations are over the whole batch's rows.
  const gAll = cfg.decorWeight > 0 ? (dist ? await dist.gatherRows(f.g!) : f.g) : null;
  const { stats, emb } = scope(() => {
    let L = f.lp;
    let lc: Tensor | null = null;
    if (eAll) {
      lc = infoNce(eAll, cfg.masks, cfg.tau);
      // Each rank's InfoNCE gradient covers only its own rows; × N undoes the averaging all-reduce.
      L = add(L, mul(lc, cfg.lambda * (dist ? dist.world : 1)));
    }
    if (f.lr) L = add(L, mul(f.lr, cfg.reconWeight));
    const ld = gAll ? decorrelationLoss(gAll) : null;
    if (ld) L = add(L, mul(ld, cfg.decorWeight * (dist ? dist.world : 1)));
    backward(L);
    return noGrad(() => {
      const grads = student.parameters().map((p) => p.grad).filter((t): t is Tensor => !!t);
      const gsq = sum(concat(grads.map((t) => scalar(sum(square(t)))), 0));
      const parts = [scalar(L), scalar(f.lp), lc ? scalar(lc) : zeros([1]), scalar(gsq), f.lr ? scalar(f.lr) : zeros([1]), ld ? scalar(ld) : zeros([1])];
      if (withMonitor) {
        const [B, N, D] = f.target.shape;
        const tokStd = mean(std(reshape(f.target, [B * N, D]), 0));
        parts.push(scalar(std(f.target)), scalar(f.outStd!), scalar(tokStd));
      }
      return { stats: concat(parts, 0), emb: withMonitor ? f.g!.detach() : null };
    });
  });
  for (const t of new Set([f.target, f.outStd, f.lp, f.lr, f.g, f.e, eAll, gAll])) t?.dispose();
  const v = await stats.toArray();
  stats.dispose();
  if (dist) {
    const r = await dist.reduceGradients(student.parameters().filter((p) => p.requiresGrad), v[1], v[4]);
    v[1] = r.lossPred;
    v[4] = r.lossRec;
    const value: Record<LossTerm, number> = { pred: r.lossPred, con: v[2], rec: r.lossRec, decor: v[5] };
    v[0] = activeTerms(cfg).reduce((total, [term, weight]) => total + weight * value[term], 0);
    v[3] = r.gradSq;
  }
  const out: GradResult = { loss: v[0], lossPred: v[1], lossCon: v[2], lossRec: v[4], lossDecor: v[5], gradNorm: Math.sqrt(v[3]) };
  if (emb) {
    const clipEmb = (await emb.toArray()) as Float32Array;
    out.monitor = { targetStd: v[6], teacherOutStd: v[7], targetTokenStd: v[8], clipEmb, clipEmbShape: [emb.shape[0], emb.shape[1]] };
    emb.dispose();
  }
  return out;
}

export interface UpdateInfo { lr: number; emaTau: number; clipScale: number }

/** Clip, AdamW at 0-based step s, EMA; frees the gradients. */
export function applyUpdate(student: AaspStudent, teacher: Teacher, opt: AdamW, sched: Schedule, cfg: AaspConfig, s: number, gradNorm: number): UpdateInfo {
  const lr = lrAt(s, sched.total, sched.peakLr, sched.warmup);
  const emaTau = emaTauAt(s, sched.total, cfg.ema0, cfg.ema1);
  const scale = clipScale(gradNorm, cfg.clip);
  opt.lr = lr;
  // Bias correction uses t = s + 1 (AdamW increments before updating), also right after a resume.
  opt.stepCount = s;
  opt.step(scale);
  teacher.ema(emaTau);
  student.zeroGrad();
  return { lr, emaTau, clipScale: scale };
}
