/**
 * The ViT encoder of spec 4 with its patch embedding: everything that has a teacher copy
 * (`patch_embed`, `aape`, `blocks`, `norm`). The token embedding (standard branch, AaPE alias branch,
 * position embedding) is supplied by an `Embedder` so the AaPE module stays in its own files.
 */
import { scope, type Tensor } from '../tensor/tensor';
import { Module, ModuleList } from '../nn/module';
import { LayerNorm } from '../nn/layers';
import { add, concat, div, indexSelect, reshape, type TokenPick } from '../ops';
import type { Rng } from '../util/rng';
import type { AaspConfig } from './config';
import { Block, LN_EPS, throughBlocks } from './blocks';
import { maskedAliasInput, type MaskSet } from './masking';

/** Token embedding of X [B, F, T] → [B, N, D] in token order p·T' + q. */
export interface Embedder {
  /** Modules mounted at the encoder root under these names (`patch_embed`, `aape`). */
  readonly mounts: [string, Module][];
  /** Is the alias branch on? */
  readonly aapeOn: boolean;
  /** Standard branch + position embedding: Z_std + pos [B, N, D]. */
  standard(x: Tensor): Tensor;
  /**
   * The alias branch's fused term fuse(fuse_norm(Z_alias)) [G, N, D] for an alias input [G, F, T];
   * with `tokens`, [G, n, D] of the picked tokens only.
   */
  alias(xa: Tensor, tokens?: TokenPick): Tensor;
  /** Free what the mounted modules do not own (e.g. a position table). */
  dispose?(): void;
}

export type EmbedderFactory = (cfg: AaspConfig, rng: Rng) => Embedder;

export class AaspEncoder extends Module {
  readonly embedder: Embedder;
  readonly blocks: ModuleList<Block>;
  readonly norm: LayerNorm;

  constructor(readonly cfg: AaspConfig, rng: Rng, makeEmbedder: EmbedderFactory) {
    super();
    this.embedder = makeEmbedder(cfg, rng);
    for (const [name, m] of this.embedder.mounts) this.child(name, m);
    this.blocks = this.child('blocks', new ModuleList(Array.from({ length: cfg.depth }, () => new Block(cfg.D, cfg.heads, rng))));
    this.norm = this.child('norm', new LayerNorm(cfg.D, LN_EPS));
  }

  override dispose(): void {
    super.dispose();
    this.embedder.dispose?.();
  }

  /** All N tokens of X (the teacher's view): Z_std + pos + alias(X), [B, N, D]. */
  embedFull(x: Tensor): Tensor {
    return scope(() => {
      const zs = this.embedder.standard(x);
      return this.embedder.aapeOn ? add(zs, this.embedder.alias(x)) : zs;
    });
  }

  /**
   * The student's leak-free visible tokens (spec 5.2): per mask, the alias branch sees X with the
   * masked patches zeroed; the standard branch is per patch, so it runs once per clip. Returns
   * [B·M, n_v, D] in the ascending order of `ms.vis`.
   */
  embedVisible(x: Tensor, ms: MaskSet): Tensor {
    const [B] = x.shape;
    const { masks, nVisible: nv } = ms;
    const G = B * masks, D = this.cfg.D;
    return scope(() => {
      // [B, M·n_v] indices select each clip's visible tokens for all its masks at once (a scope of
      // its own frees the full standard tokens before the alias branch runs).
      // Host indices (not tensors): their backward then visits only each token's matches.
      const vs = scope(() => reshape(indexSelect(this.embedder.standard(x), 1, { data: ms.vis, shape: [B, masks * nv] }), [G, nv, D]));
      if (!this.embedder.aapeOn) return vs;
      // The alias branch is per patch after SBLU: only the visible patch rows go through its
      // matmuls (a mask ratio of 0.7 leaves 30 % of them).
      return add(vs, this.embedder.alias(maskedAliasInput(x, ms, this.cfg.patch), { data: ms.vis, shape: [G, nv] }));
    });
  }

  /**
   * Blocks then `norm`. With targetLayers L > 1: the mean of `norm` applied to each of the last L
   * block outputs (used for teacher targets).
   */
  encode(z: Tensor, targetLayers = 1): Tensor {
    const depth = this.blocks.items.length;
    return scope(() => {
      const outs: Tensor[] = [];
      const h = throughBlocks(z, this.blocks.items, (blk, x, i) => {
        const y = blk.forward(x);
        if (targetLayers > 1 && i >= depth - targetLayers) outs.push(this.norm.forward(y));
        return y;
      });
      if (targetLayers <= 1) return this.norm.forward(h);
      return div(outs.reduce((acc, o) => add(acc, o)), outs.length);
    });
  }

  /**
   * The encoder cut after block `layer`: `norm` of that block's output (0: of the token embedding
   * itself; depth: the same as `encode`). Probing each depth shows where pre-training adds or
   * discards what a task needs; `norm` is applied as `encode`'s multi-layer targets apply it.
   */
  encodeUpTo(z: Tensor, layer: number): Tensor {
    const blocks = this.blocks.items;
    if (!Number.isInteger(layer) || layer < 0 || layer > blocks.length) throw new Error(`layer ${layer} is outside 0..${blocks.length} (the encoder has ${blocks.length} blocks)`);
    return scope(() => this.norm.forward(throughBlocks(z, blocks.slice(0, layer), (blk, x) => blk.forward(x))));
  }

  /**
   * The encoder read at several cuts side by side: `norm` of each listed block's output (as
   * `encodeUpTo` gives it), concatenated along the feature axis → [B, N, k·D], in one pass through
   * the blocks. A linear probe on it can weigh an early block's detail against the last block's
   * abstraction, as layer-weighted read-outs of speech and audio encoders do.
   */
  encodeCuts(z: Tensor, layers: readonly number[]): Tensor {
    const blocks = this.blocks.items;
    const bad = layers.find((l) => !Number.isInteger(l) || l < 0 || l > blocks.length);
    if (bad !== undefined) throw new Error(`layer ${bad} is outside 0..${blocks.length} (the encoder has ${blocks.length} blocks)`);
    if (layers.length === 0 || layers.some((l, i) => i > 0 && l <= layers[i - 1])) throw new Error(`layers [${layers.join(', ')}]: give at least one block, in ascending order, each once`);
    return scope(() => {
      const outs = layers[0] === 0 ? [this.norm.forward(z)] : [];
      throughBlocks(z, blocks.slice(0, layers[layers.length - 1]), (blk, x, i) => {
        const y = blk.forward(x);
        if (layers.includes(i + 1)) outs.push(this.norm.forward(y));
        return y;
      });
      return outs.length === 1 ? outs[0] : concat(outs, 2);
    });
  }
}
