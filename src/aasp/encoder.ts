/**
 * The ViT encoder of spec 4 with its patch embedding: everything that has a teacher copy
 * (`patch_embed`, `aape`, `blocks`, `norm`). The token embedding (standard branch, AaPE alias branch,
 * position embedding) is supplied by an `Embedder` so the AaPE module stays in its own files.
 */
import { Tensor, tensor } from '../tensor/tensor';
import { Module, ModuleList } from '../nn/module';
import { LayerNorm } from '../nn/layers';
import { add, div, indexSelect, reshape } from '../ops';
import type { Rng } from '../util/rng';
import type { AaspConfig } from './config';
import { Block, LN_EPS } from './blocks';
import { maskedAliasInput, type MaskSet } from './masking';

/** Token embedding of X [B, F, T] → [B, N, D] in token order p·T' + q. */
export interface Embedder {
  /** Modules mounted at the encoder root under these names (`patch_embed`, `aape`). */
  readonly mounts: [string, Module][];
  /** Is the alias branch on? */
  readonly aapeOn: boolean;
  /** Standard branch + position embedding: Z_std + pos [B, N, D]. */
  standard(x: Tensor): Tensor;
  /** The alias branch's fused term fuse(fuse_norm(Z_alias)) [G, N, D] for an alias input [G, F, T]. */
  alias(xa: Tensor): Tensor;
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

  /** All N tokens of X (the teacher's view): Z_std + alias(X) + pos, [B, N, D]. */
  embedFull(x: Tensor): Tensor {
    const zs = this.embedder.standard(x);
    if (!this.embedder.aapeOn) return zs;
    const za = this.embedder.alias(x);
    const z = add(zs, za);
    zs.dispose();
    za.dispose();
    return z;
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
    const zs = this.embedder.standard(x);
    // [B, M·n_v] indices select each clip's visible tokens for all its masks at once.
    const idxB = tensor(ms.vis, [B, masks * nv], 'i32');
    const sel = indexSelect(zs, 1, idxB);
    const vs = reshape(sel, [G, nv, D]);
    for (const t of [zs, idxB, sel]) t.dispose();
    if (!this.embedder.aapeOn) return vs;
    const xa = maskedAliasInput(x, ms, this.cfg.patch);
    const za = this.embedder.alias(xa);
    xa.dispose();
    const idxG = tensor(ms.vis, [G, nv], 'i32');
    const va = indexSelect(za, 1, idxG);
    const z = add(vs, va);
    for (const t of [vs, za, idxG, va]) t.dispose();
    return z;
  }

  /**
   * Blocks then `norm`. With targetLayers L > 1: the mean of `norm` applied to each of the last L
   * block outputs (used for teacher targets).
   */
  encode(z: Tensor, targetLayers = 1): Tensor {
    const depth = this.blocks.items.length;
    const outs: Tensor[] = [];
    let h = z;
    this.blocks.items.forEach((blk, i) => {
      const next = blk.forward(h);
      if (h !== z && !outs.includes(h)) h.dispose();
      h = next;
      if (i >= depth - targetLayers && targetLayers > 1) outs.push(this.norm.forward(h));
    });
    if (targetLayers <= 1) {
      const y = this.norm.forward(h);
      if (h !== z) h.dispose();
      return y;
    }
    if (h !== z) h.dispose();
    let acc = outs[0];
    for (let i = 1; i < outs.length; i++) { const s = add(acc, outs[i]); if (i > 1) acc.dispose(); acc = s; }
    const y = div(acc, outs.length);
    acc.dispose();
    for (const t of outs) t.dispose();
    return y;
  }
}
