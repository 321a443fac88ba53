/**
 * AaPE, the aliasing-aware patch embedding (spec 3): the standard 16×16 patch tokens plus an alias
 * branch (Lambda Encoder → SBLU → `aape.patch` → LayerNorm → zero-initialised Linear) fused by
 * addition, plus the fixed 2-D sin-cos position embedding. Parameter names follow the spec:
 * `patch_embed.proj.*` and `aape.{lambda_enc,sblu,patch,fuse_norm,fuse}.*`.
 *
 * An encoder keeps these names at its root by extending `AaPE` (adding `blocks`, `norm`), or by
 * registering `patchEmbed` as child 'patch_embed' and `aape` as child 'aape' of its own.
 *
 * The stride-16 patch convolutions run as patch rows (`patchRows`, one gather) + matmul: the matmul
 * kernel is register-blocked and the result lands directly in token order [B, N, D], while the
 * parameters keep PyTorch's Conv2d layout [D, C, 16, 16] (reshaped views share their storage).
 */
import { Module } from '../nn/module';
import { Conv2d, LayerNorm, Linear } from '../nn/layers';
import { add, concat, linear, mul, patchRows, reshape, slice, ones, type TokenPick } from '../ops';
import { runtime } from '../gpu/runtime';
import { bucketSize } from '../gpu/pool';
import { scope, tensor, type Tensor } from '../tensor/tensor';
import type { Rng } from '../util/rng';
import { LambdaEncoder } from './lambda-encoder';
import { sblu } from './sblu';
import { posEmbed2dTensor } from './pos-embed';

export interface AaPEConfig {
  /** Token width. */
  D: number;
  /** Mel bands (default 80). */
  F?: number;
  /** SBLU modes (default 4). */
  M?: number;
  /** SBLU kernel length (default 33). */
  K?: number;
  /** Patch size (default 16). */
  patch?: number;
  /** The alias branch on/off (default on). Off: standard patch embedding + position only. */
  aape?: boolean;
}

/** rows [R, C·P·P] · weight [D, C, P, P]ᵀ + bias → [R, D] (one linear: the bias in the matmul's epilogue). */
function patchLinear(rows: Tensor, conv: Conv2d): Tensor {
  return scope(() => {
    const w = conv.p('weight');
    return linear(rows, reshape(w, [w.shape[0], w.size / w.shape[0]]), conv.p('bias'));
  });
}

/** `patch_embed`: Conv2d(1 → D, k P, s P) over the log-mel, as tokens [B, N, D]. */
export class PatchEmbed extends Module {
  readonly proj: Conv2d;
  constructor(readonly D: number, readonly P: number, rng: Rng) {
    super();
    this.proj = this.child('proj', new Conv2d(1, D, P, rng, { stride: P, init: 'xavier_uniform' }));
  }

  forward(x: Tensor): Tensor {
    const [B, F, T] = x.shape, P = this.P, Fp = Math.floor(F / P), Tp = Math.floor(T / P);
    return scope(() => reshape(patchLinear(patchRows(x, P), this.proj), [B, Fp * Tp, this.D]));
  }
}

/** `aape.sblu`: holds the gain g [F, M] (init 1) and applies the fused SBLU op. */
export class Sblu extends Module {
  constructor(readonly F: number, readonly M: number, readonly K: number) {
    super();
    this.param('gain', ones([F, M]));
  }
  forward(u: Tensor, alpha: Tensor, omega: Tensor): Tensor {
    return sblu(u, alpha, omega, this.p('gain'), this.K);
  }
}

export interface AliasFeatures { alpha: Tensor; omega: Tensor; S: Tensor; zAlias: Tensor }

/** The picks of clips b0..b1 (for a forward split into chunks of clips). */
function pickRange(t: TokenPick, b0: number, b1: number): TokenPick {
  const n = t.shape[1];
  return { data: t.data.subarray(b0 * n, b1 * n), shape: [b1 - b0, n] };
}

/** `aape`: the alias branch and the fusion layers; forward gives fuse(fuse_norm(Z_alias)). */
export class AliasBranch extends Module {
  readonly lambda_enc: LambdaEncoder;
  readonly sblu: Sblu;
  readonly patch: Conv2d;
  readonly fuse_norm: LayerNorm;
  readonly fuse: Linear;

  constructor(readonly D: number, readonly F: number, readonly M: number, readonly K: number, readonly P: number, rng: Rng) {
    super();
    this.lambda_enc = this.child('lambda_enc', new LambdaEncoder(F, M, K, rng));
    this.sblu = this.child('sblu', new Sblu(F, M, K));
    this.patch = this.child('patch', new Conv2d(M, D, P, rng, { stride: P, init: 'xavier_uniform' }));
    this.fuse_norm = this.child('fuse_norm', new LayerNorm(D, 1e-6));
    // Zero-initialised, so at init AaPE equals the standard patch embedding.
    this.fuse = this.child('fuse', new Linear(D, D, rng, { init: 'zeros' }));
  }

  /**
   * x [B, F, T] → α, ω [B, F, M], S [B, F, M, T] and Z_alias [B, N, D] (before fuse_norm); with
   * `tokens`, Z_alias [B, n, D] of the picked tokens only (the rows are picked before the matmul).
   */
  features(x: Tensor, tokens?: TokenPick): AliasFeatures {
    const [B, F, T] = x.shape, P = this.P, Fp = Math.floor(F / P), Tp = Math.floor(T / P);
    return scope(() => {
      const { alpha, omega } = this.lambda_enc.forward(x);
      const S = this.sblu.forward(x, alpha, omega);
      // S [B, F, M, T] seen as M channels over (F, T): patch rows flattened as (m, f-in-patch, t-in-patch).
      // The branch is per patch from here, so picked tokens (the student's visible ones) are the only
      // rows that go through `aape.patch`, `fuse_norm` and `fuse`.
      const n = tokens ? tokens.shape[1] : Fp * Tp;
      const zAlias = reshape(patchLinear(patchRows(S, P, tokens), this.patch), [B, n, this.D]);
      return { alpha, omega, S, zAlias };
    });
  }

  /**
   * Clips per pass such that the largest intermediate (the Lambda Encoder's 16-channel conv1 output,
   * or S) fits one storage binding (128 MiB on lavapipe: about 40 clips of 80 × 608).
   */
  maxClips(F: number, T: number): number {
    const limit = runtime().device.limits.maxStorageBufferBindingSize;
    const perClip = 4 * F * T * Math.max(16, this.M);
    let n = Math.max(1, Math.floor(limit / perClip));
    while (n > 1 && bucketSize(n * perClip) > limit) n--;
    return n;
  }

  /** fuse(fuse_norm(Z_alias)) [B, N, D], or [B, n, D] of the picked `tokens` only. */
  forward(x: Tensor, tokens?: TokenPick): Tensor {
    const B = x.shape[0], chunk = this.maxClips(x.shape[1], x.shape[2]);
    if (chunk < B) {
      return scope(() => {
        const parts: Tensor[] = [];
        for (let b0 = 0; b0 < B; b0 += chunk) {
          const b1 = Math.min(B, b0 + chunk);
          parts.push(this.forward(slice(x, 0, b0, b1), tokens && pickRange(tokens, b0, b1)));
        }
        return concat(parts, 0);
      });
    }
    return scope(() => this.fuse.forward(this.fuse_norm.forward(this.features(x, tokens).zAlias)));
  }
}

export interface AaPEForwardOptions {
  /**
   * Input of the alias branch instead of X (same shape), e.g. `zeroMaskedCells(X, masked)` for the
   * leak-free student of spec 5.2. The standard branch always sees X (it is per patch). Ignored
   * when AaPE is off.
   */
  aliasInput?: Tensor;
}

export class AaPE extends Module {
  readonly patchEmbed: PatchEmbed;
  readonly aape: AliasBranch | null;
  readonly D: number;
  readonly F: number;
  readonly M: number;
  readonly K: number;
  readonly P: number;
  private posCache = new Map<string, Tensor>();

  /** Draws from `rng` in order: patch_embed.proj, aape.lambda_enc.{conv1, conv2, head}, aape.patch. */
  constructor(cfg: AaPEConfig, rng: Rng) {
    super();
    this.D = cfg.D; this.F = cfg.F ?? 80; this.M = cfg.M ?? 4; this.K = cfg.K ?? 33; this.P = cfg.patch ?? 16;
    if (this.D % 4 !== 0) throw new Error(`AaPE: D = ${this.D} must be a multiple of 4 (position embedding)`);
    this.patchEmbed = this.child('patch_embed', new PatchEmbed(this.D, this.P, rng));
    this.aape = cfg.aape === false ? null : this.child('aape', new AliasBranch(this.D, this.F, this.M, this.K, this.P, rng));
  }

  /** Token grid (F', T') for an input of F bands and T frames. */
  grid(F: number, T: number): [number, number] { return [Math.floor(F / this.P), Math.floor(T / this.P)]; }

  /** The fixed position embedding [F'·T', D] (cached per grid; owned by the module). */
  pos(Fp: number, Tp: number): Tensor {
    const key = `${Fp}x${Tp}`;
    let t = this.posCache.get(key);
    if (!t) {
      t = this.buffer(`pos_${key}`, posEmbed2dTensor(this.D, Fp, Tp));
      this.posCache.set(key, t);
    }
    return t;
  }

  /** Z_std [B, N, D]: the standard branch alone (no position embedding). */
  standard(x: Tensor): Tensor { return this.patchEmbed.forward(x); }

  /**
   * fuse(fuse_norm(Z_alias)) [B, N, D] of the alias branch on `x`, or [B, n, D] of the picked
   * `tokens` only (throws when AaPE is off).
   */
  alias(x: Tensor, tokens?: TokenPick): Tensor {
    if (!this.aape) throw new Error('AaPE: the alias branch is switched off (aape: false)');
    return this.aape.forward(x, tokens);
  }

  /** X [B, F, T] → Z [B, N, D] = Z_std + fuse(fuse_norm(Z_alias)) + pos, tokens in (F', T') row-major order. */
  forward(x: Tensor, opts: AaPEForwardOptions = {}): Tensor {
    if (x.rank !== 3 || x.shape[1] !== this.F) throw new Error(`AaPE: input must be [B, ${this.F}, T], got [${x.shape}]`);
    const a = opts.aliasInput;
    if (a && (a.rank !== 3 || a.shape.some((d, i) => d !== x.shape[i]))) throw new Error(`AaPE: aliasInput [${a.shape}] must match X [${x.shape}]`);
    const [Fp, Tp] = this.grid(x.shape[1], x.shape[2]);
    if (Fp < 1 || Tp < 1) throw new Error(`AaPE: input [${x.shape}] is smaller than one ${this.P}×${this.P} patch`);
    return scope(() => {
      let z = this.standard(x);
      if (this.aape) z = add(z, this.alias(a ?? x));
      return add(z, this.pos(Fp, Tp));
    });
  }
}

/**
 * X [B, F, T] with the 16×16 cells of the given tokens set to 0 (spec 5.2's leak-free alias input).
 * `masked[b]` lists the masked token indices p·T' + q of batch element b. Gradient flows to X
 * (zero on the masked cells).
 */
export function zeroMaskedCells(x: Tensor, masked: ArrayLike<number>[], patch = 16): Tensor {
  const [B, F, T] = x.shape, P = patch, Fp = Math.floor(F / P), Tp = Math.floor(T / P), N = Fp * Tp;
  if (masked.length !== B) throw new Error(`zeroMaskedCells: ${masked.length} mask lists for a batch of ${B}`);
  const keep = new Float32Array(B * N).fill(1);
  masked.forEach((list, b) => {
    for (let i = 0; i < list.length; i++) {
      const t = list[i];
      if (!Number.isInteger(t) || t < 0 || t >= N) throw new Error(`zeroMaskedCells: token ${t} outside [0, ${N})`);
      keep[b * N + t] = 0;
    }
  });
  return scope(() => {
    if (F === Fp * P && T === Tp * P) {
      // Broadcast a [B, F', 1, T', 1] keep-mask over the patch cells: a tiny upload.
      const m = tensor(keep, [B, Fp, 1, Tp, 1]);
      return reshape(mul(reshape(x, [B, Fp, P, Tp, P]), m), [B, F, T]);
    }
    // Ragged edges (cells outside the grid are kept): a full-size mask.
    const full = new Float32Array(B * F * T).fill(1);
    for (let b = 0; b < B; b++) for (let f = 0; f < Fp * P; f++) for (let t = 0; t < Tp * P; t++) {
      if (keep[b * N + Math.floor(f / P) * Tp + Math.floor(t / P)] === 0) full[(b * F + f) * T + t] = 0;
    }
    return mul(x, tensor(full, [B, F, T]));
  });
}
