/**
 * A model-free baseline for the proxy benchmark: fixed statistics of the log-mel front end, so the
 * table shows what a linear probe gets without any encoder. Per mel band the mean and standard
 * deviation over time (spectral envelope and its variability), and the modulation spectrum: the
 * magnitude of each band's mean-removed trajectory at 1, 2, …, 48 Hz (a Hann-windowed DFT over the
 * 100 frames/s sequence, the first and last 2 frames left out: the STFT's edge padding makes them
 * spikes that would leak into every rate), averaged within 4 groups of bands, on a log scale. If a probe reads the modulation
 * rate from these but not from an encoder's embedding, the information reaches the model and is
 * lost there; if not even these carry it, the front end (25 ms windows, 10 ms hop) is the limit.
 * Platform-neutral.
 */
import type { LogMel } from '../audio/logmel-cpu';

export const MODULATION_HZ = Array.from({ length: 48 }, (_, k) => k + 1);
const BAND_GROUPS = 4;
const FRAME_RATE = 100;

/** Feature length for `nMels` bands: 2·nMels + 4·48. */
export function logMelStatsDim(nMels: number): number {
  return 2 * nMels + BAND_GROUPS * MODULATION_HZ.length;
}

export function logMelStatsFeatures(mel: LogMel<Float32Array | Float64Array>, frameRate = FRAME_RATE): Float32Array {
  const { nMels, nFrames, data } = mel;
  if (nFrames < 2) throw new Error(`log-mel baseline: need at least 2 frames, got ${nFrames}`);
  const edge = nFrames > 10 ? 2 : 0, T = nFrames - 2 * edge;
  const out = new Float32Array(logMelStatsDim(nMels));
  const hann = Float64Array.from({ length: T }, (_, t) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (t + 0.5)) / T));
  const wsum = hann.reduce((p, v) => p + v, 0);
  const cos = MODULATION_HZ.map((f) => Float64Array.from({ length: T }, (_, t) => (hann[t] * Math.cos((2 * Math.PI * f * t) / frameRate)) / wsum));
  const sin = MODULATION_HZ.map((f) => Float64Array.from({ length: T }, (_, t) => (hann[t] * Math.sin((2 * Math.PI * f * t) / frameRate)) / wsum));
  const groupSize = Math.ceil(nMels / BAND_GROUPS);
  const x = new Float64Array(T);
  for (let b = 0; b < nMels; b++) {
    let m = 0;
    for (let t = 0; t < T; t++) { x[t] = data[b * nFrames + edge + t]; m += x[t]; }
    m /= T;
    let v = 0;
    for (let t = 0; t < T; t++) { x[t] -= m; v += x[t] * x[t]; }
    out[b] = m;
    out[nMels + b] = Math.sqrt(v / T);
    const g = Math.min(BAND_GROUPS - 1, Math.floor(b / groupSize));
    const nInGroup = Math.min(groupSize, nMels - g * groupSize);
    for (let k = 0; k < MODULATION_HZ.length; k++) {
      let re = 0, im = 0;
      const c = cos[k], s = sin[k];
      for (let t = 0; t < T; t++) { re += x[t] * c[t]; im += x[t] * s[t]; }
      out[2 * nMels + g * MODULATION_HZ.length + k] += Math.hypot(re, im) / nInGroup;
    }
  }
  for (let i = 2 * nMels; i < out.length; i++) out[i] = Math.log(1e-6 + out[i]);
  return out;
}
