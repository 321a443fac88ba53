/**
 * Window and mel filterbank of the front end (spec section 2), matching librosa's defaults
 * (`librosa.filters.mel(htk=False, norm='slaney')`) so features agree with the PyTorch recipes the
 * spec follows. Shared by the CPU reference and the GPU kernel, which uploads these arrays.
 */

/**
 * Hann window of length n. Periodic (the default, as `torch.hann_window(n)` and
 * `scipy.signal.get_window('hann', n)`) means w[i] = 0.5 − 0.5·cos(2πi/n): the window of length n+1
 * with its last sample dropped, which is what makes overlapped STFT frames sum to a constant.
 */
export function hannWindow(n: number, periodic = true): Float64Array {
  const w = new Float64Array(n);
  const denom = periodic ? n : n - 1;
  if (denom === 0) { w.fill(1); return w; }
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / denom);
  return w;
}

// Slaney's Auditory Toolbox mel scale: linear (3 mels per 200 Hz) below 1 kHz, logarithmic above
// with 27 mels per factor 6.4 in frequency. These constants are librosa's.
const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOGSTEP = Math.log(6.4) / 27;

/** Hz → mel on the Slaney scale (librosa `hz_to_mel(htk=False)`). */
export function hzToMelSlaney(hz: number): number {
  return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOGSTEP : hz / F_SP;
}

/** Mel → Hz on the Slaney scale (librosa `mel_to_hz(htk=False)`). */
export function melToHzSlaney(mel: number): number {
  return mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOGSTEP * (mel - MIN_LOG_MEL)) : F_SP * mel;
}

/** numpy.linspace(start, stop, num) with its exact endpoint convention. */
function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) { out[0] = start; return out; }
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = start + i * step;
  out[num - 1] = stop;
  return out;
}

/** Parameters of the mel filterbank. */
export interface MelFilterConfig {
  sampleRate: number;
  nFft: number;
  nMels: number;
  fMin: number;
  fMax: number;
}

/** The spec's filterbank: 80 bins from 50 to 8000 Hz for a 400-point FFT at 16 kHz. */
export const DEFAULT_MEL_FILTER_CONFIG: MelFilterConfig = { sampleRate: 16000, nFft: 400, nMels: 80, fMin: 50, fMax: 8000 };

/**
 * Triangular Slaney-scale mel filters with Slaney area normalisation (each triangle is scaled by
 * 2 / (its bandwidth in Hz), so bands have equal area and wide high bands are not over-weighted).
 * @returns row-major [nMels, nFft/2 + 1] weights, float64
 */
export function melFilterbank(cfg: Partial<MelFilterConfig> = {}): Float64Array {
  const { sampleRate, nFft, nMels, fMin, fMax } = { ...DEFAULT_MEL_FILTER_CONFIG, ...cfg };
  if (!(fMax > fMin && fMin >= 0 && fMax <= sampleRate / 2)) {
    throw new Error(`melFilterbank: need 0 ≤ fMin < fMax ≤ sampleRate/2, got ${fMin}..${fMax} at ${sampleRate} Hz`);
  }
  const nBins = Math.floor(nFft / 2) + 1;
  const fftFreqs = linspace(0, sampleRate / 2, nBins);
  const mels = linspace(hzToMelSlaney(fMin), hzToMelSlaney(fMax), nMels + 2);
  const melF = mels.map(melToHzSlaney);
  const w = new Float64Array(nMels * nBins);
  for (let i = 0; i < nMels; i++) {
    const lowDiff = melF[i + 1] - melF[i];
    const highDiff = melF[i + 2] - melF[i + 1];
    const enorm = 2 / (melF[i + 2] - melF[i]);
    for (let k = 0; k < nBins; k++) {
      const lower = (fftFreqs[k] - melF[i]) / lowDiff;
      const upper = (melF[i + 2] - fftFreqs[k]) / highDiff;
      w[i * nBins + k] = Math.max(0, Math.min(lower, upper)) * enorm;
    }
  }
  return w;
}
