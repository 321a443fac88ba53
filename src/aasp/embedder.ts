/**
 * Adapts the AaPE module (src/aasp/aape.ts: standard branch `patch_embed`, alias branch `aape`,
 * position table) to the encoder's Embedder interface. Its two submodules are mounted at the
 * encoder root, so parameter names stay `patch_embed.proj.*` and `aape.*` as the spec fixes them.
 */
import { add } from '../ops';
import type { Tensor } from '../tensor/tensor';
import type { Rng } from '../util/rng';
import type { Module } from '../nn/module';
import { AaPE } from './aape';
import type { AaspConfig } from './config';
import type { Embedder } from './encoder';

export function makeEmbedder(cfg: AaspConfig, rng: Rng): Embedder {
  const m = new AaPE({ D: cfg.D, F: cfg.nMels, M: cfg.modes, K: cfg.K, patch: cfg.patch, aape: cfg.aape }, rng);
  const mounts: [string, Module][] = [['patch_embed', m.patchEmbed]];
  if (m.aape) mounts.push(['aape', m.aape]);
  return {
    mounts,
    aapeOn: m.aape !== null,
    standard(x: Tensor): Tensor {
      // The grid comes from the input, so evaluation windows shorter than the crop work too
      // (time positions count from 0 in every window, spec 6).
      const [Fp, Tp] = m.grid(x.shape[1], x.shape[2]);
      const z = m.standard(x);
      const y = add(z, m.pos(Fp, Tp));
      z.dispose();
      return y;
    },
    alias: (xa, tokens) => m.alias(xa, tokens),
    // The position table is a buffer of the AaPE module itself, which is not mounted.
    dispose: () => m.dispose(),
  };
}
