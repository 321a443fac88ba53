/**
 * Aliasing stability (spec 6): how much a clip embedding changes when the input moves by s frames,
 * s = 1..15, i.e. by less than one 16-frame patch. A patch embedding that aliases the 3–50 Hz
 * modulations gives embeddings that depend on where the patch grid falls; AaPE should make them
 * steadier.
 *
 * Both views have the same length L (default: the clip minus the largest shift, rounded down to a
 * whole number of patches, at most one window), so padding never differs between them:
 * reference = frames [0, L), shifted = frames [s, s + L). s = 0 compares the reference with itself
 * (cosine 1). Platform-neutral.
 */
import { embedClips, cosine, type TokenEncoder } from './embed';
import { sliceFrames, type MelLike } from './windows';
import { meanCI, type MeanCI } from './stats';

export interface StabilityOptions {
  /** Largest shift in frames (default 15). */
  maxShift?: number;
  /** View length in frames (multiple of the patch size); default as described above. */
  length?: number;
  maxBatch?: number;
}

export interface StabilityCurve {
  /** 0..maxShift. */
  shifts: number[];
  /** Mean over clips of cos(embedding(shifted by s), embedding(reference)). */
  mean: number[];
  /** Standard deviation over clips (population). */
  std: number[];
  /** [clip][s] cosine values. */
  perClip: number[][];
  /** View length used per clip. */
  lengths: number[];
}

/** The view length for a clip of `nFrames`. */
export function viewLength(nFrames: number, maxShift: number, patch: number, maxFrames: number): number {
  const usable = Math.floor((nFrames - maxShift) / patch) * patch;
  return Math.max(patch, Math.min(maxFrames, usable));
}

function view(mel: MelLike, start: number, frames: number): MelLike {
  return { data: sliceFrames(mel, start, frames), nMels: mel.nMels, nFrames: frames };
}

export async function stabilityCurve(enc: TokenEncoder, mels: readonly MelLike[], opts: StabilityOptions = {}): Promise<StabilityCurve> {
  const maxShift = opts.maxShift ?? 15;
  if (!Number.isInteger(maxShift) || maxShift < 0) throw new Error(`stability: maxShift must be a non-negative integer, got ${maxShift}`);
  if (opts.length !== undefined && (opts.length % enc.patch || opts.length <= 0)) throw new Error(`stability: length ${opts.length} must be a positive multiple of ${enc.patch}`);
  if (mels.length === 0) throw new Error('stability: no clips');
  const shifts = Array.from({ length: maxShift + 1 }, (_, s) => s);
  const lengths = mels.map((m) => opts.length ?? viewLength(m.nFrames, maxShift, enc.patch, enc.maxFrames));
  const views: MelLike[] = [];
  mels.forEach((m, i) => { for (const s of shifts) views.push(view(m, s, lengths[i])); });
  const embs = await embedClips(enc, views, { maxBatch: opts.maxBatch });
  const perClip = mels.map((_, i) => {
    const ref = embs[i * shifts.length].clip;
    return shifts.map((s) => cosine(embs[i * shifts.length + s].clip, ref));
  });
  const mean = shifts.map((s) => perClip.reduce((a, c) => a + c[s], 0) / perClip.length);
  const std = shifts.map((s) => Math.sqrt(perClip.reduce((a, c) => a + (c[s] - mean[s]) ** 2, 0) / perClip.length));
  return { shifts, mean, std, perClip, lengths };
}

/** One number per curve: the mean cosine over s = 1..maxShift. */
export function stabilitySummary(c: StabilityCurve): number {
  const vals = c.mean.slice(1);
  return vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : 1;
}

/** Per clip, the mean cosine over s = 1..maxShift: the samples behind the summary's interval. */
export function clipSummaries(c: StabilityCurve): number[] {
  return c.perClip.map((row) => (row.length > 1 ? row.slice(1).reduce((a, b) => a + b, 0) / (row.length - 1) : 1));
}

/** The summary with a 95 % CI (Student t) over clips; the mean equals `stabilitySummary`. */
export function stabilityCI(c: StabilityCurve, level = 0.95): MeanCI {
  return meanCI(clipSummaries(c), level);
}

/**
 * Paired difference a − b over the same clips (per-clip summaries), with its 95 % CI. Two models'
 * summaries differ by far less than either varies over clips, so only the paired interval can say
 * which one is steadier: an interval above 0 means a is.
 */
export function pairedStabilityCI(a: StabilityCurve, b: StabilityCurve, level = 0.95): MeanCI {
  const x = clipSummaries(a), y = clipSummaries(b);
  if (x.length !== y.length || a.shifts.length !== b.shifts.length || a.lengths.some((l, i) => l !== b.lengths[i])) {
    throw new Error(`stability: a paired comparison needs the same clips, views and shifts (${x.length} vs ${y.length} clips, ${a.shifts.length} vs ${b.shifts.length} shifts)`);
  }
  return meanCI(x.map((v, i) => v - y[i]), level);
}

/** Which model a paired interval a − b shows steadier: 1 = a, −1 = b, 0 = neither, null = no interval. */
export function pairedSign(d: MeanCI): 1 | -1 | 0 | null {
  if (!Number.isFinite(d.half)) return null;
  return d.lo > 0 ? 1 : d.hi < 0 ? -1 : 0;
}

/** CSV with one row per shift and a column per named curve. */
export function stabilityCsv(curves: { name: string; curve: StabilityCurve }[]): string {
  const head = ['shift', ...curves.flatMap((c) => [`${c.name}_mean`, `${c.name}_std`])];
  const rows = curves[0].curve.shifts.map((s, k) => [s, ...curves.flatMap((c) => [c.curve.mean[k].toFixed(6), c.curve.std[k].toFixed(6)])].join(','));
  return [head.join(','), ...rows].join('\n') + '\n';
}
