/**
 * Fixing the time length of normalised log-mel spectrograms: random crops for pre-training and
 * end padding for evaluation (spec sections 2 and 6). Padding is zeros in the normalised domain,
 * i.e. "average loudness", not silence, exactly as the spec's recipe does.
 */
import type { Rng } from '../util/rng';
import type { LogMel } from './logmel-cpu';

/** A fixed-length crop and where it came from. */
export interface CroppedLogMel extends LogMel<Float32Array> {
  /** First source frame of the crop (0 when the clip was padded). */
  offset: number;
  /** How many frames at the end are padding. */
  padded: number;
}

function copyFrames(src: LogMel<Float32Array | Float64Array>, offset: number, nOut: number): Float32Array {
  const { nMels, nFrames, data } = src;
  const out = new Float32Array(nMels * nOut);
  const take = Math.max(0, Math.min(nOut, nFrames - offset));
  for (let m = 0; m < nMels; m++) {
    const s = m * nFrames + offset;
    for (let t = 0; t < take; t++) out[m * nOut + t] = data[s + t];
  }
  return out;
}

/**
 * Crop (uniformly random start) or end-pad a [nMels, nFrames] log-mel to `targetFrames`.
 * Exactly one draw is taken from `rng` whatever the clip length, so the generator's position does
 * not depend on the data: that keeps runs with different clip lengths in step and resumes exact.
 */
export function cropOrPadFrames(mel: LogMel<Float32Array | Float64Array>, targetFrames: number, rng: Rng): CroppedLogMel {
  if (!Number.isInteger(targetFrames) || targetFrames <= 0) {
    throw new Error(`cropOrPadFrames: targetFrames must be a positive integer, got ${targetFrames}`);
  }
  const slack = mel.nFrames - targetFrames;
  const offset = rng.int(Math.max(1, slack + 1));
  const start = slack > 0 ? offset : 0;
  return {
    data: copyFrames(mel, start, targetFrames),
    nMels: mel.nMels,
    nFrames: targetFrames,
    offset: start,
    padded: Math.max(0, -slack),
  };
}

/** End-pad with zeros (normalised domain) to the next multiple of `multiple` frames (evaluation). */
export function padFramesToMultiple(mel: LogMel<Float32Array | Float64Array>, multiple = 16): LogMel<Float32Array> {
  const nOut = Math.ceil(mel.nFrames / multiple) * multiple;
  return { data: copyFrames(mel, 0, nOut), nMels: mel.nMels, nFrames: nOut };
}
