/**
 * Fine-tuning (spec 6): the encoder plus a linear head on its mean-pooled tokens, trained end to end
 * with AdamW under a warm-up + cosine schedule, on random crops of the pre-training length, with
 * optional mixup. Single-label data is scored by accuracy, multi-label data (AudioSet) by mAP; the
 * weights of the best validation epoch are restored before testing. Platform-neutral.
 */
import { tensor, scope, keep, type Tensor } from '../tensor/tensor';
import { backward, noGrad } from '../tensor/autograd';
import { add, crossEntropy, mean, mul, softplus, sub } from '../ops';
import { Linear } from '../nn';
import { AdamW } from '../optim';
import { Rng } from '../util/rng';
import { lrAt, warmupSteps } from '../aasp/schedule';
import { embedClips, type TokenEncoder } from './embed';
import { accuracy, argmaxRows, meanAveragePrecision } from './metrics';
import { sliceFrames, type MelLike } from './windows';

/** An encoder whose parameters can be trained (tokens() is then called with autograd on). */
export interface TrainableEncoder extends TokenEncoder {
  namedParameters(): [string, Tensor][];
  /** Parameter names that get weight decay (Linear and Conv weights). */
  decayNames(): Set<string>;
}

/** A clip: its normalised log-mel and either one class or a set of classes. */
export interface FinetuneClip { mel: MelLike; label?: number; labels?: number[] }

export interface FinetuneOptions {
  nClasses: number;
  multiLabel?: boolean;
  epochs?: number;
  batchSize?: number;
  /** Peak learning rate (default 1e-4). */
  lr?: number;
  warmupFraction?: number;
  weightDecay?: number;
  /** Mixup Beta(α, α) parameter; 0 turns mixup off (default 0). */
  mixup?: number;
  seed?: number;
  /** Training crop length (default the encoder's maxFrames, or the longest clip padded to a patch multiple if shorter). */
  cropFrames?: number;
  log?: (msg: string) => void;
  onEpoch?: (e: { epoch: number; loss: number; valid: number }) => void;
}

export interface FinetuneResult {
  /** Accuracy (single-label) or mAP (multi-label) on the test clips with the best weights. */
  test: number;
  bestValid: number;
  bestEpoch: number;
  metric: 'accuracy' | 'mAP';
  history: { epoch: number; loss: number; valid: number }[];
  /** The head's best weights: weight [C, D] row-major, bias [C]. */
  head: { weight: Float32Array; bias: Float32Array };
}

/** Gamma(k, 1) by Marsaglia–Tsang (k < 1 via the U^(1/k) boost). */
export function sampleGamma(rng: Rng, k: number): number {
  if (k < 1) return sampleGamma(rng, k + 1) * Math.pow(Math.max(rng.uniform(), 1e-300), 1 / k);
  const d = k - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal(), v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = rng.uniform();
    if (Math.log(Math.max(u, 1e-300)) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function sampleBeta(rng: Rng, a: number, b: number): number {
  const x = sampleGamma(rng, a), y = sampleGamma(rng, b);
  return x / (x + y);
}

/** Multi-hot [B, C] from class lists. */
function multiHot(lists: number[][], C: number): Float32Array {
  const y = new Float32Array(lists.length * C);
  lists.forEach((l, b) => { for (const c of l) y[b * C + c] = 1; });
  return y;
}

/** mean(softplus(z) − y·z): binary cross-entropy with logits, stable for any z. */
function bceWithLogits(z: Tensor, y: Tensor): Tensor {
  return mean(sub(softplus(z), mul(y, z)));
}

/** Pooled clip vectors [n, D] from clip features [F'·D] (mean over the F' rows = mean over all tokens). */
function poolRows(clips: Float32Array[], Fp: number, D: number): Float32Array {
  const out = new Float32Array(clips.length * D);
  clips.forEach((c, i) => { for (let p = 0; p < Fp; p++) for (let d = 0; d < D; d++) out[i * D + d] += c[p * D + d] / Fp; });
  return out;
}

/** Score clips with the current encoder and head. */
export async function evaluateClips(enc: TokenEncoder, head: Linear, clips: readonly FinetuneClip[], opts: { multiLabel?: boolean; nClasses: number }): Promise<number> {
  const embs = await embedClips(enc, clips.map((c) => c.mel));
  const D = enc.dim, Fp = enc.nMels / enc.patch, C = opts.nClasses;
  const pooled = poolRows(embs.map((e) => e.clip), Fp, D);
  const logitsT = noGrad(() => scope(() => keep(head.forward(tensor(pooled, [clips.length, D])))));
  const logits = await logitsT.toFloat32();
  logitsT.dispose();
  if (opts.multiLabel) return meanAveragePrecision(logits, multiHot(clips.map((c) => c.labels ?? []), C), clips.length, C).map;
  return accuracy(argmaxRows(logits, clips.length, C), clips.map((c) => c.label ?? -1));
}

export async function finetune(enc: TrainableEncoder, train: readonly FinetuneClip[], valid: readonly FinetuneClip[], test: readonly FinetuneClip[], opts: FinetuneOptions): Promise<FinetuneResult> {
  const C = opts.nClasses, multi = !!opts.multiLabel;
  const epochs = opts.epochs ?? 10, B = Math.min(opts.batchSize ?? 8, train.length);
  // Default crop: the pre-training length, or less when every clip is shorter (no compute on padding).
  const longest = Math.max(...train.map((c) => Math.ceil(c.mel.nFrames / enc.patch) * enc.patch));
  const crop = opts.cropFrames ?? Math.min(enc.maxFrames, longest), alpha = opts.mixup ?? 0;
  const log = opts.log ?? (() => {});
  if (train.length === 0 || valid.length === 0 || test.length === 0) throw new Error('finetune: need non-empty train, valid and test sets');
  for (const c of train) if (multi ? !c.labels : c.label === undefined) throw new Error(`finetune: a training clip has no ${multi ? 'labels' : 'label'}`);
  const rng = new Rng(opts.seed ?? 0);
  const head = new Linear(enc.dim, C, rng, { std: 2e-5 }); // near-zero logits at the start, as MAE-style fine-tuning does
  const encParams = enc.namedParameters(), decay = enc.decayNames();
  const headParams = head.namedParameters().map(([n, t]): [string, Tensor] => [`head.${n}`, t]);
  const all = [...encParams, ...headParams];
  for (const [, t] of encParams) t.requireGrad(true);
  const wd = opts.weightDecay ?? 0.05;
  const opt = new AdamW([
    { params: [...encParams.filter(([n]) => decay.has(n)), ['head.weight', head.p('weight')]], weightDecay: wd },
    { params: [...encParams.filter(([n]) => !decay.has(n)), ['head.bias', head.p('bias')]], weightDecay: 0 },
  ], { lr: opts.lr ?? 1e-4, betas: [0.9, 0.999] });
  const stepsPerEpoch = Math.ceil(train.length / B), total = epochs * stepsPerEpoch;
  const warm = warmupSteps(total, opts.warmupFraction ?? 0.1);
  const F = enc.nMels;
  const history: FinetuneResult['history'] = [];
  let best: Tensor[] | null = null, bestValid = -Infinity, bestEpoch = -1, step = 0;
  try {
    for (let ep = 0; ep < epochs; ep++) {
      const order = rng.permutation(train.length);
      let lossSum = 0;
      for (let s = 0; s < train.length; s += B) {
        const idx = order.slice(s, s + B), b = idx.length;
        const x = new Float32Array(b * F * crop);
        // A uniformly random crop (end-padded with zeros when the clip is shorter), as in pre-training.
        idx.forEach((i, k) => { const m = train[i].mel; sliceFrames(m, rng.int(Math.max(1, m.nFrames - crop + 1)), crop, x, k * F * crop); });
        const lam = alpha > 0 ? sampleBeta(rng, alpha, alpha) : 1;
        const perm = alpha > 0 ? rng.permutation(b) : idx.map((_, k) => k);
        if (alpha > 0) {
          const orig = x.slice();
          for (let k = 0; k < b; k++) for (let j = 0; j < F * crop; j++) x[k * F * crop + j] = lam * orig[k * F * crop + j] + (1 - lam) * orig[perm[k] * F * crop + j];
        }
        opt.lr = lrAt(step, total, opts.lr ?? 1e-4, warm);
        const loss = scope(() => {
          const tokens = enc.tokens(tensor(x, [b, F, crop]));
          const logits = head.forward(mean(tokens, 1));
          let l: Tensor;
          if (multi) {
            const ya = multiHot(idx.map((i) => train[i].labels!), C), yb = multiHot(perm.map((k) => train[idx[k]].labels!), C);
            l = bceWithLogits(logits, tensor(ya.map((v, j) => lam * v + (1 - lam) * yb[j]), [b, C]));
          } else {
            const ya = tensor(Int32Array.from(idx.map((i) => train[i].label!)), [b], 'i32');
            const la = crossEntropy(logits, ya);
            l = lam < 1 ? add(mul(la, lam), mul(crossEntropy(logits, tensor(Int32Array.from(perm.map((k) => train[idx[k]].label!)), [b], 'i32')), 1 - lam)) : la;
          }
          const kept = keep(l.detach());
          backward(l);
          opt.step();
          for (const [, t] of all) { t.grad?.dispose(); t.grad = null; }
          return kept;
        });
        lossSum += await loss.item();
        loss.dispose();
        step++;
      }
      const v = await evaluateClips(enc, head, valid, { multiLabel: multi, nClasses: C });
      const e = { epoch: ep, loss: lossSum / stepsPerEpoch, valid: v };
      history.push(e);
      opts.onEpoch?.(e);
      log(`epoch ${ep + 1}/${epochs}: loss ${e.loss.toFixed(4)}, valid ${multi ? 'mAP' : 'accuracy'} ${(100 * v).toFixed(2)} %`);
      if (v > bestValid) {
        bestValid = v; bestEpoch = ep;
        best?.forEach((t) => t.dispose());
        best = all.map(([, t]) => keep(noGrad(() => add(t, 0))));
      }
    }
    if (best) {
      const rt = best;
      // Copy back in place: the encoder may be shared with the caller, so its tensors stay the same objects.
      all.forEach(([, t], k) => noGrad(() => t.storage.rt.copy(rt[k].buffer, 0, t.buffer, 0, t.size * 4)));
    }
    const testScore = await evaluateClips(enc, head, test, { multiLabel: multi, nClasses: C });
    const headWeights = { weight: await head.p('weight').toFloat32(), bias: await head.p('bias').toFloat32() };
    return { test: testScore, bestValid, bestEpoch, metric: multi ? 'mAP' : 'accuracy', history, head: headWeights };
  } finally {
    best?.forEach((t) => t.dispose());
    opt.dispose();
    head.dispose();
  }
}
