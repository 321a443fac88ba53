/**
 * Token masks (spec 5.1) and the leak-free alias-branch input (spec 5.2).
 *
 * Every mask keeps exactly n_v = N − floor(r·N + 0.5) visible tokens, so all masks of a batch stack
 * into dense [B, M_m, n_v] / [B, M_m, n_m] index arrays; both lists are ascending. Masks are drawn
 * clip by clip, mask by mask (group g = b·M_m + j) from the one seeded generator.
 *
 * Mask types:
 * - `random`: a uniformly random subset (a Fisher-Yates permutation of the N tokens; the first n_m
 *   positions are masked).
 * - `inverse-block` (optional in the spec; data2vec 2.0's idea): the *visible* set is grown from
 *   random rectangular blocks of BLOCK_F × BLOCK_T tokens (clipped at the grid edge) until it holds at
 *   least n_v tokens; tokens are taken in the order the blocks added them, so the last block is cut
 *   to give exactly n_v. Visible tokens then form a few contiguous time-frequency regions, which
 *   makes the prediction task harder than scattered tokens (less interpolation from neighbours).
 */
import type { Rng } from '../util/rng';
import type { MaskType } from './config';
import { Tensor, tensor } from '../tensor/tensor';
import { mul, reshape } from '../ops';

export const BLOCK_F = 2;
export const BLOCK_T = 4;

export interface MaskSet {
  B: number;
  masks: number;
  /** Visible token indices [B, masks, nVisible], each row ascending. */
  vis: Int32Array;
  /** Masked token indices [B, masks, nMasked], each row ascending. */
  mask: Int32Array;
  nVisible: number;
  nMasked: number;
}

function randomVisible(rng: Rng, N: number, nMasked: number): number[] {
  const perm = rng.permutation(N);
  return perm.slice(nMasked);
}

function inverseBlockVisible(rng: Rng, Fp: number, Tp: number, nVisible: number): number[] {
  const bf = Math.min(BLOCK_F, Fp), bt = Math.min(BLOCK_T, Tp);
  const taken = new Uint8Array(Fp * Tp);
  const order: number[] = [];
  while (order.length < nVisible) {
    // Block corner uniformly over positions where the block fits inside the grid.
    const p0 = rng.int(Fp - bf + 1), q0 = rng.int(Tp - bt + 1);
    for (let p = p0; p < p0 + bf; p++) for (let q = q0; q < q0 + bt; q++) {
      const t = p * Tp + q;
      if (!taken[t]) { taken[t] = 1; order.push(t); }
    }
  }
  return order.slice(0, nVisible);
}

/** Draw `masks` masks for each of B clips on an Fp × Tp grid. */
export function drawMasks(rng: Rng, type: MaskType, B: number, masks: number, Fp: number, Tp: number, nMasked: number): MaskSet {
  const N = Fp * Tp, nVisible = N - nMasked;
  const vis = new Int32Array(B * masks * nVisible), mask = new Int32Array(B * masks * nMasked);
  const isVis = new Uint8Array(N);
  for (let g = 0; g < B * masks; g++) {
    const v = type === 'random' ? randomVisible(rng, N, nMasked) : inverseBlockVisible(rng, Fp, Tp, nVisible);
    isVis.fill(0);
    for (const t of v) isVis[t] = 1;
    let iv = g * nVisible, im = g * nMasked;
    for (let t = 0; t < N; t++) {
      if (isVis[t]) vis[iv++] = t;
      else mask[im++] = t;
    }
  }
  return { B, masks, vis, mask, nVisible, nMasked };
}

/** Masks given explicitly (golden fixtures): vis [B, M, nv] and mask [B, M, nm], rows ascending. */
export function maskSetFrom(vis: Int32Array, mask: Int32Array, B: number, masks: number): MaskSet {
  return { B, masks, vis, mask, nVisible: vis.length / (B * masks), nMasked: mask.length / (B * masks) };
}

/** [B·M, Fp·Tp] keep-weights: 1 for visible tokens, 0 for masked ones. */
export function keepWeights(ms: MaskSet, N: number): Float32Array {
  const w = new Float32Array(ms.B * ms.masks * N);
  for (let g = 0; g < ms.B * ms.masks; g++) for (let k = 0; k < ms.nVisible; k++) w[g * N + ms.vis[g * ms.nVisible + k]] = 1;
  return w;
}

/**
 * X [B, F, T] → [B·M, F, T] with every masked token's patch×patch cells set to 0 (spec 5.2): one
 * broadcast multiply of X viewed as [B, 1, F', p, T', p] by keep-weights [B, M, F', 1, T', 1].
 * Runs on the GPU so it works whatever produced X (CPU or GPU log-mel).
 */
export function maskedAliasInput(x: Tensor, ms: MaskSet, patch: number): Tensor {
  const [B, F, T] = x.shape;
  const Fp = F / patch, Tp = T / patch;
  const keep = tensor(keepWeights(ms, Fp * Tp), [B, ms.masks, Fp, 1, Tp, 1]);
  const xv = reshape(x, [B, 1, Fp, patch, Tp, patch]);
  const y = mul(xv, keep);
  const out = reshape(y, [B * ms.masks, F, T]);
  for (const t of [keep, xv, y]) t.dispose();
  return out;
}
