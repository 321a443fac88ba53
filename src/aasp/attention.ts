/**
 * Multi-head scaled dot-product attention, behind one function so that the composed version
 * (matmul·softmax·matmul) and the fused `attention(q, k, v, scale)` op of src/ops are one switch
 * apart. Heads split the model dimension as the spec says: head h uses dims [h·dh, (h+1)·dh).
 */
import { Tensor } from '../tensor/tensor';
import * as ops from '../ops';
import { matmul, mul, permute, reshape, slice, softmax } from '../ops';

type AttentionOp = (q: Tensor, k: Tensor, v: Tensor, scale: number) => Tensor;

// The fused op lands in src/ops separately; looked up by a computed name so this file builds (without
// a bundler warning) with or without it.
const FUSED_NAME = ['atten', 'tion'].join('');
const fusedOp = (ops as unknown as Record<string, unknown>)[FUSED_NAME] as AttentionOp | undefined;
let useFused = typeof fusedOp === 'function';

/** Choose the fused kernel (when src/ops has one) or the composed ops. Returns the previous choice. */
export function setFusedAttention(on: boolean): boolean {
  const prev = useFused;
  useFused = on && typeof fusedOp === 'function';
  return prev;
}

export function fusedAttentionAvailable(): boolean { return typeof fusedOp === 'function'; }

/** softmax(q·kᵀ·scale)·v over q [..., Nq, dh], k/v [..., Nk, dh]. */
export function sdpa(q: Tensor, k: Tensor, v: Tensor, scale: number): Tensor {
  if (useFused) return fusedOp!(q, k, v, scale);
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
