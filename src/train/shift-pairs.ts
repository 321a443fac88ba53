/**
 * Band-shifted hard negatives (config `shiftPairs`, not in spec 5). A batch of B clips is made of
 * B − P crops from the data stream followed by P copies of its first P crops, each moved up or down
 * the mel axis by 1..shiftMaxBands bands. InfoNCE treats every other clip of the batch as a
 * negative, so a clip and its shifted copy must get different clip embeddings: the encoder has to
 * keep where a clip's harmonics fall, which the spec's objective does not ask for (docs/results.md,
 * "Band-shifted negatives"). Above about 1 kHz the mel axis is close to logarithmic, so a shift of
 * k bands there is close to one pitch ratio; below, it is not, which is why this is called a band
 * shift and not a pitch shift.
 */
import type { Rng } from '../util/rng';
import type { AaspConfig } from '../aasp/config';
import type { DataStream } from './data';

/**
 * Move a normalised log-mel [nMels, frames] by k bands: k > 0 moves content to higher bands.
 * Bands that the shift empties repeat the nearest edge band, values the clip itself has, rather
 * than a constant the encoder could spot.
 */
export function shiftBands(mel: Float32Array, nMels: number, frames: number, k: number): Float32Array {
  if (mel.length !== nMels * frames) throw new Error(`shiftBands: ${mel.length} values are not ${nMels} bands × ${frames} frames`);
  if (!Number.isInteger(k) || Math.abs(k) >= nMels) throw new Error(`shiftBands: shift ${k} must be an integer with |k| < ${nMels}`);
  const out = new Float32Array(mel.length);
  for (let m = 0; m < nMels; m++) {
    const from = Math.min(nMels - 1, Math.max(0, m - k));
    out.set(mel.subarray(from * frames, (from + 1) * frames), m * frames);
  }
  return out;
}

/** Why a batch of B clips cannot hold the config's shifted copies, or null when it can. */
export function shiftPairsProblem(pairs: number, B: number): string | null {
  return 2 * pairs > B ? `shiftPairs ${pairs} needs a batch of at least ${2 * pairs} clips, got ${B}` : null;
}

/**
 * Fill the last `pairs` clips of a [B, nMels, frames] batch with shifted copies of its first
 * `pairs` clips, in place. Draws two numbers per pair from `rng` (magnitude, then sign), in order,
 * so a run resumed from a checkpoint draws the same shifts. Returns the shifts (the tests check
 * them against the copies).
 */
export function addShiftedCopies(batch: Float32Array, B: number, nMels: number, frames: number, pairs: number, maxBands: number, rng: Rng): number[] {
  const problem = pairs < 0 ? `shiftPairs ${pairs} is negative` : shiftPairsProblem(pairs, B);
  if (problem) throw new Error(problem);
  const per = nMels * frames;
  const shifts: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const mag = 1 + rng.int(maxBands);
    const k = rng.int(2) === 0 ? mag : -mag;
    batch.set(shiftBands(batch.subarray(i * per, (i + 1) * per), nMels, frames, k), (B - pairs + i) * per);
    shifts.push(k);
  }
  return shifts;
}

/** B clips for one training step: the stream's B − P crops, then (config shiftPairs P) the P shifted copies. */
export async function trainingBatch(stream: DataStream, B: number, cfg: AaspConfig, rng: Rng): Promise<{ data: Float32Array; nMels: number }> {
  const P = cfg.shiftPairs;
  if (P === 0) return stream.nextBatch(B, rng);
  const got = await stream.nextBatch(B - P, rng);
  const data = new Float32Array(B * got.nMels * cfg.cropFrames);
  data.set(got.data);
  addShiftedCopies(data, B, got.nMels, cfg.cropFrames, P, cfg.shiftMaxBands, rng);
  return { data, nMels: got.nMels };
}
