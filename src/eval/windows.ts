/**
 * The time bookkeeping of clip embeddings (spec 6), kept free of the GPU so it can be tested alone:
 * pad a log-mel at the end to a multiple of the patch size, cut it into consecutive windows of at
 * most the pre-training length (608 frames) because the encoder never saw longer inputs, and put the
 * per-window token outputs back together as frame features [T', F'·D]. Platform-neutral.
 */

/** One window: frames [start, start + frames) of the padded clip. */
export interface EvalWindow { start: number; frames: number }

export interface WindowPlan {
  /** Frames of the clip itself. */
  nFrames: number;
  /** After end padding to a multiple of the patch size. */
  paddedFrames: number;
  windows: EvalWindow[];
}

/** Where to cut a clip of `nFrames` frames: windows of `maxFrames` and a shorter last one. */
export function planWindows(nFrames: number, patch = 16, maxFrames = 608): WindowPlan {
  if (!Number.isInteger(nFrames) || nFrames < 1) throw new Error(`planWindows: need at least one frame, got ${nFrames}`);
  if (!Number.isInteger(patch) || patch < 1) throw new Error(`planWindows: bad patch size ${patch}`);
  if (!Number.isInteger(maxFrames) || maxFrames < patch || maxFrames % patch) {
    throw new Error(`planWindows: window length ${maxFrames} must be a positive multiple of the patch size ${patch}`);
  }
  const paddedFrames = Math.ceil(nFrames / patch) * patch;
  const windows: EvalWindow[] = [];
  for (let s = 0; s < paddedFrames; s += maxFrames) windows.push({ start: s, frames: Math.min(maxFrames, paddedFrames - s) });
  return { nFrames, paddedFrames, windows };
}

/** A row-major [nMels, nFrames] log-mel (mel bin major), float32 or float64. */
export interface MelLike { data: ArrayLike<number>; nMels: number; nFrames: number }

/**
 * Frames [start, start + frames) of a log-mel as float32 [nMels, frames]; frames past the clip's
 * end are 0, i.e. the padding is applied in the normalised domain as the spec says.
 */
export function sliceFrames(mel: MelLike, start: number, frames: number, out = new Float32Array(mel.nMels * frames), outOffset = 0): Float32Array {
  const take = Math.max(0, Math.min(frames, mel.nFrames - start));
  for (let m = 0; m < mel.nMels; m++) {
    const src = m * mel.nFrames + start, dst = outOffset + m * frames;
    for (let t = 0; t < take; t++) out[dst + t] = mel.data[src + t];
    for (let t = take; t < frames; t++) out[dst + t] = 0;
  }
  return out;
}

/**
 * Scatter one window's tokens [F'·Tw, D] (token p·Tw + q) into frame features [T'_total, F'·D] at
 * time column `colOffset`: column q gets the F' tokens of that column concatenated, p = 0 first.
 */
export function tokensToFrames(
  tokens: ArrayLike<number>, Fp: number, Tw: number, D: number,
  out: Float32Array, totalCols: number, colOffset: number, tokenOffset = 0,
): void {
  if (colOffset + Tw > totalCols) throw new Error(`tokensToFrames: columns ${colOffset}..${colOffset + Tw} exceed ${totalCols}`);
  const row = Fp * D;
  if (out.length < totalCols * row) throw new Error(`tokensToFrames: output holds ${out.length} values, need ${totalCols * row}`);
  for (let q = 0; q < Tw; q++) {
    const dst = (colOffset + q) * row;
    for (let p = 0; p < Fp; p++) {
      const src = tokenOffset + (p * Tw + q) * D;
      for (let d = 0; d < D; d++) out[dst + p * D + d] = tokens[src + d];
    }
  }
}

/**
 * How frame features become one clip feature. 'mean' is the spec's protocol (docs/model.md §6).
 * 'mean+std' appends the standard deviation over time: a linear patch projection of a periodic
 * envelope changes sign with the envelope's phase from patch to patch, so its mean over time
 * cancels while its spread keeps the envelope's energy at that rate (docs/results.md, modulation).
 */
export type Pooling = 'mean' | 'mean+std';
export const POOLINGS: readonly Pooling[] = ['mean', 'mean+std'];

/** [mean over time, std over time] of frame features [nTimes, dim] → [2·dim] (population std). */
export function meanStdOverTime(frames: ArrayLike<number>, nTimes: number, dim: number): Float32Array {
  const mean = meanOverTime(frames, nTimes, dim);
  const acc = new Float64Array(dim);
  for (let t = 0; t < nTimes; t++) for (let d = 0; d < dim; d++) { const e = frames[t * dim + d] - mean[d]; acc[d] += e * e; }
  const out = new Float32Array(2 * dim);
  out.set(mean, 0);
  for (let d = 0; d < dim; d++) out[dim + d] = Math.sqrt(acc[d] / nTimes);
  return out;
}

/** Mean over the time axis of frame features [nTimes, dim] → [dim] (the clip feature). */
export function meanOverTime(frames: ArrayLike<number>, nTimes: number, dim: number): Float32Array {
  if (frames.length !== nTimes * dim) throw new Error(`meanOverTime: ${frames.length} values for [${nTimes}, ${dim}]`);
  const acc = new Float64Array(dim);
  for (let t = 0; t < nTimes; t++) for (let d = 0; d < dim; d++) acc[d] += frames[t * dim + d];
  const out = new Float32Array(dim);
  for (let d = 0; d < dim; d++) out[d] = acc[d] / nTimes;
  return out;
}
