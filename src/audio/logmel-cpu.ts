/**
 * Float64 CPU reference of the log-mel front end (spec section 2). It is the ground truth the GPU
 * kernel is tested against, and the fallback for tools that run without a GPU.
 */
import { FftPlan } from './fft';
import { hannWindow, melFilterbank } from './mel-filters';

/** Every parameter of the front end; defaults are the spec's. */
export interface LogMelConfig {
  sampleRate: number;
  nFft: number;
  /** Window length (≤ nFft; a shorter window is centred in the FFT frame, as librosa does). */
  winLength: number;
  hopLength: number;
  nMels: number;
  fMin: number;
  fMax: number;
  /** Added to the mel power before the log: float32 machine epsilon. */
  logEps: number;
  /** Normalisation (x − mean) / std; mean 0, std 1 gives the raw log-mel. */
  mean: number;
  std: number;
}

export const DEFAULT_LOGMEL_CONFIG: LogMelConfig = {
  sampleRate: 16000, nFft: 400, winLength: 400, hopLength: 160,
  nMels: 80, fMin: 50, fMax: 8000, logEps: 1.1920929e-7, mean: -7.1, std: 4.2,
};

/** A log-mel spectrogram, row-major [nMels, nFrames] (mel bin major). */
export interface LogMel<A extends Float32Array | Float64Array = Float64Array> {
  data: A;
  nMels: number;
  nFrames: number;
}

/** Frames produced by a centred STFT: 1 + floor(n / hop) (10 s at 16 kHz → 1001). */
export function numFrames(nSamples: number, hopLength = DEFAULT_LOGMEL_CONFIG.hopLength): number {
  return 1 + Math.floor(nSamples / hopLength);
}

/**
 * Index into a signal of length n with reflect padding (edge sample not repeated), bouncing as
 * often as needed like numpy's 'reflect' so very short clips still work.
 */
function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - j;
}

/**
 * Compute the normalised log-mel spectrogram of mono audio already at `cfg.sampleRate`:
 * centred reflect-padded STFT with a periodic Hann window, power 2, Slaney mel filters,
 * ln(mel + eps), then (x − mean) / std.
 */
export function logMelCpu(samples: Float32Array | Float64Array, cfg: Partial<LogMelConfig> = {}): LogMel {
  const c = { ...DEFAULT_LOGMEL_CONFIG, ...cfg };
  const n = samples.length;
  if (n === 0) throw new Error('logMelCpu: empty signal');
  if (c.winLength > c.nFft) throw new Error(`logMelCpu: winLength ${c.winLength} > nFft ${c.nFft}`);
  const nBins = Math.floor(c.nFft / 2) + 1;
  const filters = melFilterbank({ sampleRate: c.sampleRate, nFft: c.nFft, nMels: c.nMels, fMin: c.fMin, fMax: c.fMax });
  const window = new Float64Array(c.nFft);
  window.set(hannWindow(c.winLength), Math.floor((c.nFft - c.winLength) / 2));
  const pad = Math.floor(c.nFft / 2);
  const nFrames = 1 + Math.floor((n + 2 * pad - c.nFft) / c.hopLength);
  const plan = new FftPlan(c.nFft);
  const frRe = new Float64Array(c.nFft), frIm = new Float64Array(c.nFft);
  const spRe = new Float64Array(c.nFft), spIm = new Float64Array(c.nFft);
  const power = new Float64Array(nBins);
  const out = new Float64Array(c.nMels * nFrames);
  const invStd = 1 / c.std;
  for (let t = 0; t < nFrames; t++) {
    const start = t * c.hopLength - pad;
    for (let k = 0; k < c.nFft; k++) {
      const idx = start + k;
      const x = idx >= 0 && idx < n ? samples[idx] : samples[reflectIndex(idx, n)];
      frRe[k] = x * window[k];
    }
    frIm.fill(0);
    plan.forward(frRe, frIm, spRe, spIm);
    for (let k = 0; k < nBins; k++) power[k] = spRe[k] * spRe[k] + spIm[k] * spIm[k];
    for (let m = 0; m < c.nMels; m++) {
      let acc = 0;
      const row = m * nBins;
      for (let k = 0; k < nBins; k++) acc += filters[row + k] * power[k];
      out[m * nFrames + t] = (Math.log(acc + c.logEps) - c.mean) * invStd;
    }
  }
  return { data: out, nMels: c.nMels, nFrames };
}
