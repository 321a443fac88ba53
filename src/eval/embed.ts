/**
 * Clip embeddings (spec 6): a frozen encoder run on whole clips without masking. Each clip's
 * normalised log-mel is end-padded to a multiple of 16 frames and cut into ≤ 608-frame windows;
 * every window is embedded on its own with time positions from 0 (the encoder never saw longer
 * inputs), the token outputs are concatenated along time into frame features [T', F'·D], and the
 * clip feature is their mean over time. Windows of equal length from many clips share one batch.
 *
 * Platform-neutral on purpose (no Node imports): the CLIs, the fine-tuning code and the browser
 * demo all call this.
 */
import { tensor, scope, keep, type Tensor } from '../tensor/tensor';
import { noGrad } from '../tensor/autograd';
import { meanOverTime, planWindows, sliceFrames, tokensToFrames, type MelLike, type WindowPlan } from './windows';

/** What the embedding code needs from an encoder (AaPE or plain patch embedding + ViT blocks + norm). */
export interface TokenEncoder {
  /** Token width D. */
  readonly dim: number;
  /** Mel bins F the encoder expects. */
  readonly nMels: number;
  /** Patch size (16): windows are padded to a multiple of it. */
  readonly patch: number;
  /** Longest window in frames (the pre-training crop, 608). */
  readonly maxFrames: number;
  /**
   * The block after which the encoder is cut, when it is (absent: all blocks, the spec's protocol),
   * or the blocks read side by side (their features concatenated: `dim` is then k·D).
   */
  readonly layer?: number | readonly number[];
  /**
   * x [B, F, T] (T a multiple of `patch`, ≤ maxFrames) → tokens [B, (F/patch)·(T/patch), D] in
   * row-major (p, q) order, position embedding counted from time 0. Called under noGrad.
   */
  tokens(x: Tensor): Tensor;
}

/** One clip's embedding. */
export interface ClipEmbedding {
  /** Frame features, row-major [nTimes, dim]. */
  frames: Float32Array;
  /** T': time columns after padding (padded frames / patch). */
  nTimes: number;
  /** F'·D. */
  dim: number;
  /** Mean of the frame features over time [dim]. */
  clip: Float32Array;
  plan: WindowPlan;
}

export interface EmbedOptions {
  /** Windows per encoder call (default 8): bounds GPU memory. */
  maxBatch?: number;
  /** Called after each encoder call with (windows done, windows total). */
  onProgress?: (done: number, total: number) => void;
}

interface Job { clip: number; start: number; frames: number; col: number }

function checkMel(enc: TokenEncoder, mel: MelLike, i: number): void {
  if (mel.nMels !== enc.nMels) throw new Error(`embed: clip ${i} has ${mel.nMels} mel bins, the encoder expects ${enc.nMels}`);
  if (mel.data.length !== mel.nMels * mel.nFrames) throw new Error(`embed: clip ${i} holds ${mel.data.length} values for [${mel.nMels}, ${mel.nFrames}]`);
  if (enc.nMels % enc.patch) throw new Error(`embed: ${enc.nMels} mel bins are not a multiple of the patch size ${enc.patch}`);
}

/** Run the encoder on one batch of equal-length windows and read the tokens back. */
async function runBatch(enc: TokenEncoder, mels: readonly MelLike[], jobs: Job[], frames: number): Promise<Float32Array> {
  const F = enc.nMels;
  const x = new Float32Array(jobs.length * F * frames);
  jobs.forEach((j, b) => sliceFrames(mels[j.clip], j.start, frames, x, b * F * frames));
  const out = noGrad(() => scope(() => {
    const t = enc.tokens(tensor(x, [jobs.length, F, frames]));
    const want = [jobs.length, (F / enc.patch) * (frames / enc.patch), enc.dim];
    if (t.rank !== 3 || t.shape.some((d, k) => d !== want[k])) throw new Error(`embed: encoder returned [${t.shape}], expected [${want}]`);
    return keep(t);
  }));
  try {
    return await out.toFloat32();
  } finally {
    out.dispose();
  }
}

/** Embed many clips (normalised log-mels [F, T]); results follow the input order. */
export async function embedClips(enc: TokenEncoder, mels: readonly MelLike[], opts: EmbedOptions = {}): Promise<ClipEmbedding[]> {
  const maxBatch = Math.max(1, Math.floor(opts.maxBatch ?? 8));
  const Fp = enc.nMels / enc.patch, D = enc.dim, row = Fp * D;
  const results: ClipEmbedding[] = mels.map((mel, i) => {
    checkMel(enc, mel, i);
    const plan = planWindows(mel.nFrames, enc.patch, enc.maxFrames);
    const nTimes = plan.paddedFrames / enc.patch;
    return { frames: new Float32Array(nTimes * row), nTimes, dim: row, clip: new Float32Array(0), plan };
  });
  // Group windows by length so each encoder call has one shape (most windows are full length).
  const groups = new Map<number, Job[]>();
  results.forEach((r, clip) => {
    for (const w of r.plan.windows) {
      const list = groups.get(w.frames) ?? [];
      list.push({ clip, start: w.start, frames: w.frames, col: w.start / enc.patch });
      groups.set(w.frames, list);
    }
  });
  const total = [...groups.values()].reduce((a, g) => a + g.length, 0);
  let done = 0;
  for (const [frames, jobs] of [...groups.entries()].sort((a, b) => b[0] - a[0])) {
    const Tw = frames / enc.patch, per = Fp * Tw * D;
    for (let i = 0; i < jobs.length; i += maxBatch) {
      const chunk = jobs.slice(i, i + maxBatch);
      const tok = await runBatch(enc, mels, chunk, frames);
      const bad = tok.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new Error(`embed: the encoder's output holds ${tok[bad]} (clip ${chunk[Math.floor(bad / per)].clip}): its weights or input are not finite`);
      chunk.forEach((j, b) => tokensToFrames(tok, Fp, Tw, D, results[j.clip].frames, results[j.clip].nTimes, j.col, b * per));
      done += chunk.length;
      opts.onProgress?.(done, total);
    }
  }
  for (const r of results) r.clip = meanOverTime(r.frames, r.nTimes, r.dim);
  return results;
}

/** Embed one clip. */
export async function embedClip(enc: TokenEncoder, mel: MelLike, opts: EmbedOptions = {}): Promise<ClipEmbedding> {
  return (await embedClips(enc, [mel], opts))[0];
}

/** Cosine similarity of two vectors, each norm floored at 1e-8 as elsewhere in the project. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cosine: lengths ${a.length} and ${b.length} differ`);
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return ab / (Math.max(Math.sqrt(aa), 1e-8) * Math.max(Math.sqrt(bb), 1e-8));
}
