/**
 * Multi-head scaled dot-product attention for the encoder and the predictor, behind two functions
 * so that the fused kernels of src/ops (which read heads straight out of the packed projections and
 * write them merged) and the composed ops (split heads, matmul·softmax·matmul, merge heads) are one
 * switch apart. Heads split the model dimension as the spec says: head h uses dims [h·dh, (h+1)·dh).
 */
import { scope, type Tensor } from '../tensor/tensor';
import { crossAttention, matmul, mul, permute, reshape, selfAttention, slice, softmax } from '../ops';

let useFused = true;

/** Choose the fused kernels (default) or the composed ops. Returns the previous choice. */
export function setFusedAttention(on: boolean): boolean {
  const prev = useFused;
  useFused = on;
  return prev;
}

/** The fused kernels take head sizes that are multiples of 4 up to 256. */
const fusedFits = (dh: number) => useFused && dh % 4 === 0 && dh <= 256;

/** softmax(q·kᵀ·scale)·v over q [..., Nq, dh], k/v [..., Nk, dh], composed from primitives. */
export function sdpaComposed(q: Tensor, k: Tensor, v: Tensor, scale: number): Tensor {
  return scope(() => matmul(softmax(mul(matmul(q, k, { transB: true }), scale)), v));
}

/**
 * [G, N, parts·D] (parts stacked along features: all of part 0, then part 1, ...) → `parts` tensors
 * [G, H, N, dh]: one permute copy, then one slice per part.
 */
export function splitHeads(x: Tensor, parts: number, heads: number): Tensor[] {
  const [G, N, W] = x.shape;
  const dh = W / parts / heads;
  return scope(() => {
    const p = permute(reshape(x, [G, N, parts, heads, dh]), [2, 0, 3, 1, 4]);
    return Array.from({ length: parts }, (_, i) => reshape(parts === 1 ? p : slice(p, 0, i, i + 1), [G, heads, N, dh]));
  });
}

/** [G, H, N, dh] → [G, N, H·dh]. */
export function mergeHeads(x: Tensor): Tensor {
  const [G, H, N, dh] = x.shape;
  return scope(() => reshape(permute(x, [0, 2, 1, 3]), [G, N, H * dh]));
}

/** Heads split from the projections (inside the caller's scope), attended, merged. */
function composed(split: () => Tensor[], scale: number): Tensor {
  return scope(() => {
    const [q, k, v] = split();
    return mergeHeads(sdpaComposed(q, k, v, scale));
  });
}

/** Self-attention from a packed projection qkv [G, N, 3D] → [G, N, D] (heads merged). */
export function multiHeadSelf(qkv: Tensor, heads: number): Tensor {
  const dh = qkv.shape[2] / 3 / heads;
  const scale = 1 / Math.sqrt(dh);
  if (fusedFits(dh)) return selfAttention(qkv, heads, scale);
  return composed(() => splitHeads(qkv, 3, heads), scale);
}

/** Cross-attention from q [G, Nq, D] and packed kv [G, Nk, 2D] → [G, Nq, D] (heads merged). */
export function multiHeadCross(q: Tensor, kv: Tensor, heads: number): Tensor {
  const dh = q.shape[2] / heads;
  const scale = 1 / Math.sqrt(dh);
  if (fusedFits(dh)) return crossAttention(q, kv, heads, scale);
  return composed(() => [...splitHeads(q, 1, heads), ...splitHeads(kv, 2, heads)], scale);
}
