/**
 * The cross-attention predictor (spec 5.5, names under `predictor.`) and the projection head of the
 * contrastive loss (spec 5.7, `proj.fc1` / `proj.fc2`).
 */
import { scope, tensor, type Tensor } from '../tensor/tensor';
import { Module, ModuleList } from '../nn/module';
import { LayerNorm, Linear, initWeight } from '../nn/layers';
import { add, indexSelect, l2Normalize, mean, reshape } from '../ops';
import type { Rng } from '../util/rng';
import { LN_EPS, Mlp, PredictorBlock, throughBlocks } from './blocks';
import { posEmbed2dTensor } from './pos-embed';

export interface PredictorDims { D: number; Dp: number; depth: number; heads: number; Fp: number; Tp: number }

/**
 * kv = embed(V) + pos_Dp(visible), fixed across blocks (each block applies its own norm_kv);
 * queries = mask_token + pos_Dp(masked), one per masked token; queries never attend to each other,
 * so every masked token is predicted independently.
 */
export class Predictor extends Module {
  readonly embed: Linear;
  readonly blocks: ModuleList<PredictorBlock>;
  readonly norm: LayerNorm;
  readonly head: Linear;
  private readonly pos: Tensor;

  constructor(readonly dims: PredictorDims, rng: Rng) {
    super();
    const { D, Dp } = dims;
    this.embed = this.child('embed', new Linear(D, Dp, rng));
    this.param('mask_token', initWeight([Dp], Dp, Dp, 'normal', rng, 0.02));
    this.blocks = this.child('blocks', new ModuleList(Array.from({ length: dims.depth }, () => new PredictorBlock(Dp, dims.heads, rng))));
    this.norm = this.child('norm', new LayerNorm(Dp, LN_EPS));
    this.head = this.child('head', new Linear(Dp, D, rng));
    this.pos = this.buffer('pos', posEmbed2dTensor(Dp, dims.Fp, dims.Tp));
  }

  /** V [G, n_v, D], visible / masked indices ([G·n_v] / [G·n_m] flat, row-major) → P [G, n_m, D]. */
  forward(V: Tensor, vis: Int32Array, masked: Int32Array): Tensor {
    const G = V.shape[0];
    return scope(() => {
      // Own scopes free the embedding and the gathered positions before the blocks run.
      const kv = scope(() => add(this.embed.forward(V), this.posAt(vis, G)));
      const q0 = scope(() => add(this.posAt(masked, G), this.p('mask_token')));
      const q = throughBlocks(q0, this.blocks.items, (blk, h) => blk.forward(h, kv));
      return this.head.forward(this.norm.forward(q));
    });
  }

  /** pos_Dp at flat token indices, as [G, n, Dp] (freed with the caller's scope). */
  private posAt(idx: Int32Array, G: number): Tensor {
    return reshape(indexSelect(this.pos, 0, tensor(idx, [idx.length], 'i32')), [G, idx.length / G, this.dims.Dp]);
  }
}

/** g [G, D] → L2-normalised fc2(GELU(fc1(g))) [G, projDim]: the MLP of the blocks, then the norm. */
export class ProjHead extends Mlp {
  constructor(D: number, projDim: number, rng: Rng) {
    super(D, 2 * D, rng, projDim);
  }
  override forward(g: Tensor): Tensor {
    return scope(() => l2Normalize(super.forward(g), -1, 1e-8));
  }
}

/** Clip-and-mask embedding: mean of V [G, n_v, D] over the visible tokens → [G, D]. */
export function meanPool(V: Tensor): Tensor {
  return mean(V, 1);
}
