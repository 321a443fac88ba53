/**
 * Multi-head scaled dot-product attention for the encoder and the predictor, behind two functions
 * so that the fused kernels of src/ops (which read heads straight out of the packed projections and
 * write them merged) and the composed ops (split heads, matmul·softmax·matmul, merge heads) are one
 * switch apart. Heads split the model dimension as the spec says: head h uses dims [h·dh, (h+1)·dh).
 */
import { Tensor } from '../tensor/tensor';
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
  const s = matmul(q, k, { transB: true });
  const ss = mul(s, scale);
  const a = softmax(ss);
  const o = matmul(a, v);
  for (const t of [s, ss, a]) t.dispose();
  return o;
}

/**
 * [G, N, parts·D] (parts stacked along features: all of part 0, then part 1, ...) → `parts` tensors
 * [G, H, N, dh]: one permute copy, then one slice per part.
 */
export function splitHeads(x: Tensor, parts: number, heads: number): Tensor[] {
  const [G, N, W] = x.shape;
  const dh = W / parts / heads;
  const x5 = reshape(x, [G, N, parts, heads, dh]);
  const p = permute(x5, [2, 0, 3, 1, 4]);
  x5.dispose();
  if (parts === 1) { const r = reshape(p, [G, heads, N, dh]); p.dispose(); return [r]; }
  const out: Tensor[] = [];
  for (let i = 0; i < parts; i++) {
    const s = slice(p, 0, i, i + 1);
    out.push(reshape(s, [G, heads, N, dh]));
    s.dispose();
  }
  p.dispose();
  return out;
}

/** [G, H, N, dh] → [G, N, H·dh]. */
export function mergeHeads(x: Tensor): Tensor {
  const [G, H, N, dh] = x.shape;
  const p = permute(x, [0, 2, 1, 3]);
  const r = reshape(p, [G, N, H * dh]);
  p.dispose();
  return r;
}

function composed(parts: Tensor[], heads: number, scale: number): Tensor {
  const o = sdpaComposed(parts[0], parts[1], parts[2], scale);
  for (const t of parts) t.dispose();
  const m = mergeHeads(o);
  o.dispose();
  return m;
}

/** Self-attention from a packed projection qkv [G, N, 3D] → [G, N, D] (heads merged). */
export function multiHeadSelf(qkv: Tensor, heads: number): Tensor {
  const dh = qkv.shape[2] / 3 / heads;
  const scale = 1 / Math.sqrt(dh);
  if (fusedFits(dh)) return selfAttention(qkv, heads, scale);
  return composed(splitHeads(qkv, 3, heads), heads, scale);
}

/** Cross-attention from q [G, Nq, D] and packed kv [G, Nk, 2D] → [G, Nq, D] (heads merged). */
export function multiHeadCross(q: Tensor, kv: Tensor, heads: number): Tensor {
  const dh = q.shape[2] / heads;
  const scale = 1 / Math.sqrt(dh);
  if (fusedFits(dh)) return crossAttention(q, kv, heads, scale);
  return composed([...splitHeads(q, 1, heads), ...splitHeads(kv, 2, heads)], heads, scale);
}
