/**
 * Transformer pieces shared by the encoder and the predictor (spec 4, 5.5), with the spec's exact
 * parameter names: `mlp.fc1/fc2`, `attn.qkv/proj`, `xattn.q/kv/proj`, `norm1/norm2/norm_q/norm_kv`.
 * Every LayerNorm has eps 1e-6; every GELU is the exact erf GELU.
 */
import { scope, type Tensor } from '../tensor/tensor';
import { Module } from '../nn/module';
import { mlp } from '../ops';
import { LayerNorm, Linear } from '../nn/layers';
import type { Rng } from '../util/rng';
import { multiHeadCross, multiHeadSelf } from './attention';

export const LN_EPS = 1e-6;

/**
 * fc2(GELU(fc1(x))) (+ residual) as one op (src/ops/linear.ts `mlp`): the GELU in fc1's matmul
 * epilogue, the residual in fc2's, and in the backward the GELU's gradient in the matmul that makes
 * fc1's output gradient (one dispatch and one activation fewer each).
 */
export class Mlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(dim: number, hidden: number, rng: Rng, out = dim) {
    super();
    this.fc1 = this.child('fc1', new Linear(dim, hidden, rng));
    this.fc2 = this.child('fc2', new Linear(hidden, out, rng));
  }
  forward(x: Tensor, residual?: Tensor): Tensor {
    return mlp(x, this.fc1.p('weight'), this.fc1.p('bias'), this.fc2.p('weight'), this.fc2.p('bias'), { residual });
  }
}

/** Self-attention: `qkv` Linear(D → 3D) with rows all q, then all k, then all v; `proj`. */
export class SelfAttention extends Module {
  readonly qkv: Linear;
  readonly proj: Linear;
  constructor(readonly dim: number, readonly heads: number, rng: Rng) {
    super();
    this.qkv = this.child('qkv', new Linear(dim, 3 * dim, rng));
    this.proj = this.child('proj', new Linear(dim, dim, rng));
  }
  forward(x: Tensor, residual?: Tensor): Tensor {
    return scope(() => this.proj.forward(multiHeadSelf(this.qkv.forward(x), this.heads), { residual }));
  }
}

/** Cross-attention: queries from `q` Linear(Dp → Dp), keys/values from `kv` Linear(Dp → 2Dp) (all k rows, then all v rows). */
export class CrossAttention extends Module {
  readonly q: Linear;
  readonly kv: Linear;
  readonly proj: Linear;
  constructor(readonly dim: number, readonly heads: number, rng: Rng) {
    super();
    this.q = this.child('q', new Linear(dim, dim, rng));
    this.kv = this.child('kv', new Linear(dim, 2 * dim, rng));
    this.proj = this.child('proj', new Linear(dim, dim, rng));
  }
  forward(xq: Tensor, xkv: Tensor, residual?: Tensor): Tensor {
    return scope(() => this.proj.forward(multiHeadCross(this.q.forward(xq), this.kv.forward(xkv), this.heads), { residual }));
  }
}

/**
 * x through `blocks` in order (the PyTorch loop `for blk in blocks: x = step(blk, x)`): each
 * intermediate is freed once the next exists; the input and the result are not.
 */
export function throughBlocks<B>(x: Tensor, blocks: readonly B[], step: (blk: B, h: Tensor, i: number) => Tensor): Tensor {
  let h = x;
  blocks.forEach((blk, i) => {
    const next = step(blk, h, i);
    if (h !== x) h.dispose();
    h = next;
  });
  return h;
}

/**
 * x + f(norm(x)), the intermediates freed. f gets x as its second argument and adds it in its last
 * matmul's epilogue (the skip connection costs no pass of its own).
 */
export function residual(x: Tensor, f: (h: Tensor, skip: Tensor) => Tensor, norm: LayerNorm): Tensor {
  return scope(() => f(norm.forward(x), x));
}

/** Pre-LN ViT block (`blocks.{i}.`): x += attn(norm1(x)); x += mlp(norm2(x)). */
export class Block extends Module {
  readonly norm1: LayerNorm;
  readonly attn: SelfAttention;
  readonly norm2: LayerNorm;
  readonly mlp: Mlp;
  constructor(dim: number, heads: number, rng: Rng) {
    super();
    this.norm1 = this.child('norm1', new LayerNorm(dim, LN_EPS));
    this.attn = this.child('attn', new SelfAttention(dim, heads, rng));
    this.norm2 = this.child('norm2', new LayerNorm(dim, LN_EPS));
    this.mlp = this.child('mlp', new Mlp(dim, 4 * dim, rng));
  }
  forward(x: Tensor): Tensor {
    return scope(() => {
      const a = residual(x, (t, skip) => this.attn.forward(t, skip), this.norm1);
      return residual(a, (t, skip) => this.mlp.forward(t, skip), this.norm2);
    });
  }
}

/** Predictor block (`predictor.blocks.{j}.`): q += xattn(norm_q(q), norm_kv(kv)); q += mlp(norm2(q)). */
export class PredictorBlock extends Module {
  readonly norm_q: LayerNorm;
  readonly norm_kv: LayerNorm;
  readonly xattn: CrossAttention;
  readonly norm2: LayerNorm;
  readonly mlp: Mlp;
  constructor(dim: number, heads: number, rng: Rng) {
    super();
    this.norm_q = this.child('norm_q', new LayerNorm(dim, LN_EPS));
    this.norm_kv = this.child('norm_kv', new LayerNorm(dim, LN_EPS));
    this.xattn = this.child('xattn', new CrossAttention(dim, heads, rng));
    this.norm2 = this.child('norm2', new LayerNorm(dim, LN_EPS));
    this.mlp = this.child('mlp', new Mlp(dim, 4 * dim, rng));
  }
  forward(q: Tensor, kv: Tensor): Tensor {
    return scope(() => {
      const kvn = this.norm_kv.forward(kv);
      const a = residual(q, (t, skip) => this.xattn.forward(t, kvn, skip), this.norm_q);
      return residual(a, (t, skip) => this.mlp.forward(t, skip), this.norm2);
    });
  }
}
