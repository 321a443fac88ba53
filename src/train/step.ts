/**
 * One AaSP training step (spec 5): teacher targets without gradient, the leak-free student per
 * mask, predictor and losses, backward, global-norm clipping, AdamW with the scheduled rate, then
 * the EMA. Split in two (`computeGradients`, `applyUpdate`) so tests can look at the gradients.
 * One GPU read-back per step: losses and the squared gradient norm travel together.
 */
import { Tensor, scope } from '../tensor/tensor';
import { backward, noGrad } from '../tensor/autograd';
import { add, concat, mean, mul, reshape, square, std, sum, zeros } from '../ops';
import { AdamW, clipScale } from '../optim/optimizers';
import type { AaspConfig } from '../aasp/config';
import type { AaspStudent, Teacher } from '../aasp/model';
import type { MaskSet } from '../aasp/masking';
import { infoNce, maskedTargets, predictionLoss, standardiseTargets } from '../aasp/losses';
import { meanPool } from '../aasp/heads';
import { emaTauAt, lrAt, warmupSteps } from '../aasp/schedule';

export interface Schedule { total: number; peakLr: number; warmup: number }

export function makeSchedule(cfg: AaspConfig, total: number, peakLr: number): Schedule {
  return { total, peakLr, warmup: warmupSteps(total, cfg.warmupFraction) };
}

/** AdamW with weight decay on Linear/Conv weights only (chosen by module type via decayNames()). */
export function makeOptimizer(student: AaspStudent, cfg: AaspConfig, lr: number): AdamW {
  const decay = student.decayNames();
  const named = student.namedParameters();
  return new AdamW([
    { params: named.filter(([n]) => decay.has(n)), weightDecay: cfg.weightDecay },
    { params: named.filter(([n]) => !decay.has(n)), weightDecay: 0 },
  ], { lr, betas: [cfg.beta1, cfg.beta2], eps: cfg.adamEps });
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
  gradNorm: number;
  monitor?: Monitor;
}

const scalar = (t: Tensor) => reshape(t, [1]);

/** Forward + backward; leaves dL/dθ in every student parameter's `.grad` (before clipping). */
export async function computeGradients(student: AaspStudent, teacher: Teacher, x: Tensor, ms: MaskSet, withMonitor = false): Promise<GradResult> {
  const cfg = student.cfg;
  const useCon = cfg.lambda > 0;
  const { stats, emb } = scope(() => {
    const { target, outStd } = noGrad(() => {
      const y = teacher.encoder.encode(teacher.encoder.embedFull(x), cfg.targetLayers);
      return { target: standardiseTargets(y), outStd: withMonitor ? std(y) : null };
    });
    const V = student.encode(student.embedVisible(x, ms));
    const P = student.predictor.forward(V, ms.vis, ms.mask);
    const lp = predictionLoss(P, maskedTargets(target, ms));
    let L = lp;
    let lc: Tensor | null = null;
    const g = useCon || withMonitor ? meanPool(V) : null;
    if (useCon) {
      lc = infoNce(student.proj.forward(g!), cfg.masks, cfg.tau);
      L = add(lp, mul(lc, cfg.lambda));
    }
    backward(L);
    return noGrad(() => {
      const grads = student.parameters().map((p) => p.grad).filter((t): t is Tensor => !!t);
      const gsq = sum(concat(grads.map((t) => scalar(sum(square(t)))), 0));
      const parts = [scalar(L), scalar(lp), lc ? scalar(lc) : zeros([1]), scalar(gsq)];
      if (withMonitor) {
        const [B, N, D] = target.shape;
        const tokStd = mean(std(reshape(target, [B * N, D]), 0));
        parts.push(scalar(std(target)), scalar(outStd!), scalar(tokStd));
      }
      return { stats: concat(parts, 0), emb: withMonitor ? g!.detach() : null };
    });
  });
  const v = await stats.toArray();
  stats.dispose();
  const out: GradResult = { loss: v[0], lossPred: v[1], lossCon: v[2], gradNorm: Math.sqrt(v[3]) };
  if (emb) {
    const clipEmb = (await emb.toArray()) as Float32Array;
    out.monitor = { targetStd: v[4], teacherOutStd: v[5], targetTokenStd: v[6], clipEmb, clipEmbShape: [emb.shape[0], emb.shape[1]] };
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
