/**
 * The two losses of spec 5: the prediction loss 2 − 2·cos(P, T) against standardised teacher targets
 * and the multi-mask InfoNCE. Both divide norms by max(‖x‖, 1e-8). Also the two optional terms
 * that are not in the spec (masked-patch reconstruction, feature decorrelation; off by default).
 */
import { Tensor, tensor } from '../tensor/tensor';
import { add, cosineSimilarity, indexSelect, layerNorm, logSoftmax, matmul, mean, mul, neg, permute, reshape, square, sub, sum } from '../ops';
import type { MaskSet } from './masking';

/** Teacher output [B, N, D] → per-token standardised target (LayerNorm without affine, eps 1e-6). */
export function standardiseTargets(y: Tensor): Tensor {
  return layerNorm(y, null, null, 1e-6);
}

/** The target rows of the masked tokens: [B, N, D] → [B·M, n_m, D] in the order of `ms.mask`. */
export function maskedTargets(target: Tensor, ms: MaskSet): Tensor {
  const [B, , D] = target.shape;
  const idx = tensor(ms.mask, [B, ms.masks * ms.nMasked], 'i32');
  const sel = indexSelect(target, 1, idx);
  const t = reshape(sel, [B * ms.masks, ms.nMasked, D]);
  idx.dispose();
  sel.dispose();
  return t;
}

/** Mean over masks and masked tokens of 2 − 2·cos(P, T); P and T are [G, n_m, D]. */
export function predictionLoss(P: Tensor, T: Tensor): Tensor {
  const c = cosineSimilarity(P, T, -1, 1e-8);
  const m = mean(c);
  const twice = mul(m, -2);
  const l = add(twice, 2);
  for (const t of [c, m, twice]) t.dispose();
  return l;
}

/**
 * X [B, F, T] → its patches [B, N, p²] in token order p·T' + q (the encoder's order); each row is
 * the patch's cells frequency-major (row f, column t).
 */
export function patchify(x: Tensor, patch: number): Tensor {
  const [B, F, T] = x.shape;
  if (F % patch || T % patch) throw new Error(`patchify: [${x.shape}] is not a whole number of ${patch}×${patch} patches`);
  const Fp = F / patch, Tp = T / patch;
  const v = reshape(x, [B, Fp, patch, Tp, patch]);
  const p = permute(v, [0, 1, 3, 2, 4]);
  const out = reshape(p, [B, Fp * Tp, patch * patch]);
  v.dispose();
  p.dispose();
  return out;
}

/**
 * The masked-patch reconstruction term (config `reconWeight`, MAE's objective on the normalised
 * log-mel, without MAE's per-patch normalisation so each patch's level, i.e. where the energy sits
 * in frequency, is part of the target): mean over rows and cells of (R − X)², R and X [G, n_m, p²].
 */
export function reconstructionLoss(R: Tensor, X: Tensor): Tensor {
  const d = sub(R, X);
  const s = square(d);
  const l = mean(s);
  d.dispose();
  s.dispose();
  return l;
}

/**
 * Feature decorrelation (config `decorWeight`; not in spec 5, 0 = off): the mean over the D(D − 1)
 * off-diagonal pairs of the squared correlation between two features of g [G, D], the student's
 * clip-and-mask embeddings, over the G rows of the batch. It is 0 when the features are
 * uncorrelated and 1 when they all move together. Why: after pre-training the clip features put
 * their variance into few directions (docs/results.md, "What limits it" item 5); this term pushes
 * the encoder to spread what it keeps over more directions (Barlow Twins' redundancy term,
 * VICReg's covariance term, on correlations so it does not depend on the features' scale). At
 * weight 0.5 it does (run DC, four seeds: 1.7–5.2 times random init's directions), though EVAR
 * keywords stays below random init. Standardising uses the population std with eps 1e-5 added
 * to the variance (LayerNorm over the rows).
 */
export function decorrelationLoss(g: Tensor): Tensor {
  const [G, D] = g.shape;
  if (G < 2 || D < 2) throw new Error(`decorrelationLoss: needs at least 2 rows and 2 features, got [${g.shape}]`);
  const w = new Float32Array(D * D).fill(1 / (G * G * D * (D - 1)));
  for (let i = 0; i < D; i++) w[i * D + i] = 0;
  const offDiagonal = tensor(w, [D, D]);
  const gt = permute(g, [1, 0]);
  const z = layerNorm(gt, null, null, 1e-5);
  const c = matmul(z, z, { transB: true });
  const c2 = square(c);
  const wc = mul(c2, offDiagonal);
  const l = sum(wc);
  for (const t of [offDiagonal, gt, z, c, c2, wc]) t.dispose();
  return l;
}

/** Float64 CPU decorrelation loss of row-major g [G, D] (the reference the tests use). */
export function decorrelationLossCpu(g: ArrayLike<number>, G: number, D: number): number {
  const z = new Float64Array(G * D);
  for (let j = 0; j < D; j++) {
    let m = 0;
    for (let i = 0; i < G; i++) m += g[i * D + j];
    m /= G;
    let v = 0;
    for (let i = 0; i < G; i++) v += (g[i * D + j] - m) ** 2;
    const s = Math.sqrt(v / G + 1e-5);
    for (let i = 0; i < G; i++) z[i * D + j] = (g[i * D + j] - m) / s;
  }
  let total = 0;
  for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) {
    if (a === b) continue;
    let c = 0;
    for (let i = 0; i < G; i++) c += z[i * D + a] * z[i * D + b];
    total += (c / G) ** 2;
  }
  return total / (D * (D - 1));
}

/** A large negative logit: exp underflows to exactly 0 in f32, without the NaN that 0·(−∞) gives. */
const EXCLUDED = -1e9;

/**
 * Multi-mask InfoNCE over unit embeddings e [B·M, d] (row g = b·M + j), temperature τ: for anchor
 * (b, j) every (b, j′ ≠ j) is a positive, all other clips' rows are negatives, and the anchor itself
 * is left out of the denominator. L = −mean over all (anchor, positive) pairs of log softmax.
 */
export function infoNce(e: Tensor, masks: number, tau: number): Tensor {
  const G = e.shape[0];
  if (masks < 2) throw new Error(`infoNce: needs at least 2 masks per clip, got ${masks}`);
  const selfMask = new Float32Array(G * G);
  const weights = new Float32Array(G * G);
  const pairs = G * (masks - 1);
  for (let a = 0; a < G; a++) {
    selfMask[a * G + a] = EXCLUDED;
    const clip = Math.floor(a / masks);
    for (let k = clip * masks; k < (clip + 1) * masks; k++) if (k !== a) weights[a * G + k] = 1 / pairs;
  }
  const sm = tensor(selfMask, [G, G]);
  const w = tensor(weights, [G, G]);
  const s = matmul(e, e, { transB: true });
  const st = mul(s, 1 / tau);
  const logits = add(st, sm);
  const lsm = logSoftmax(logits);
  const wl = mul(lsm, w);
  const tot = sum(wl);
  const loss = neg(tot);
  for (const t of [sm, w, s, st, logits, lsm, wl, tot]) t.dispose();
  return loss;
}

/** Float64 CPU InfoNCE of row-major unit embeddings [G, d] (the reference the tests use). */
export function infoNceCpu(e: ArrayLike<number>, G: number, d: number, masks: number, tau: number): number {
  const s = new Float64Array(G * G);
  for (let a = 0; a < G; a++) for (let b = 0; b < G; b++) {
    let acc = 0;
    for (let k = 0; k < d; k++) acc += e[a * d + k] * e[b * d + k];
    s[a * G + b] = acc / tau;
  }
  let total = 0, pairs = 0;
  for (let a = 0; a < G; a++) {
    let m = -Infinity;
    for (let b = 0; b < G; b++) if (b !== a) m = Math.max(m, s[a * G + b]);
    let z = 0;
    for (let b = 0; b < G; b++) if (b !== a) z += Math.exp(s[a * G + b] - m);
    const logZ = m + Math.log(z);
    const clip = Math.floor(a / masks);
    for (let p = clip * masks; p < (clip + 1) * masks; p++) {
      if (p === a) continue;
      total += -(s[a * G + p] - logZ);
      pairs++;
    }
  }
  return total / pairs;
}
