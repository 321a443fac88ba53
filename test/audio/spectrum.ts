/** Spectral measurements shared by the audio tests. */
import { FftPlan } from '../../src/audio/fft';

/** 4-term Blackman-Harris window: sidelobes at −92 dB, so it can measure −60 dB residues. */
function blackmanHarris(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * i) / (n - 1);
    w[i] = 0.35875 - 0.48829 * Math.cos(a) + 0.14128 * Math.cos(2 * a) - 0.01168 * Math.cos(3 * a);
  }
  return w;
}

/** Amplitude spectrum (peak amplitude of a sinusoid per bin) of x, zero-padded ×4. */
export function amplitudeSpectrum(x: ArrayLike<number>, rate: number): { freqs: Float64Array; amp: Float64Array } {
  const n = x.length;
  const nfft = 4 * n;
  const w = blackmanHarris(n);
  let wsum = 0;
  const re = new Float64Array(nfft), im = new Float64Array(nfft);
  for (let i = 0; i < n; i++) { re[i] = x[i] * w[i]; wsum += w[i]; }
  const oRe = new Float64Array(nfft), oIm = new Float64Array(nfft);
  new FftPlan(nfft).forward(re, im, oRe, oIm);
  const nb = nfft / 2 + 1;
  const freqs = new Float64Array(nb), amp = new Float64Array(nb);
  for (let k = 0; k < nb; k++) {
    freqs[k] = (k * rate) / nfft;
    amp[k] = (2 * Math.hypot(oRe[k], oIm[k])) / wsum;
  }
  return { freqs, amp };
}

/** Frequency of the strongest spectral peak. */
export function dominantFrequency(x: ArrayLike<number>, rate: number): number {
  const { freqs, amp } = amplitudeSpectrum(x, rate);
  let best = 1;
  for (let k = 1; k < amp.length; k++) if (amp[k] > amp[best]) best = k;
  return freqs[best];
}

/** Largest sinusoid amplitude anywhere in the spectrum (optionally within [fLo, fHi]). */
export function peakAmplitude(x: ArrayLike<number>, rate: number, fLo = 0, fHi = Infinity): number {
  const { freqs, amp } = amplitudeSpectrum(x, rate);
  let m = 0;
  for (let k = 0; k < amp.length; k++) if (freqs[k] >= fLo && freqs[k] <= fHi) m = Math.max(m, amp[k]);
  return m;
}

/** A sine of `seconds` at `rate` Hz. */
export function sine(freq: number, rate: number, seconds: number, amplitude = 0.5): Float32Array {
  const n = Math.round(rate * seconds);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return x;
}

/**
 * Least-squares fit of a·sin + b·cos + c at a known frequency, skipping `skip` leading samples.
 * Returns the fitted amplitude and the RMS of what the sinusoid does not explain.
 */
export function fitSine(x: ArrayLike<number>, rate: number, freq: number, skip = 0): { amplitude: number; residualRms: number } {
  // Normal equations for the 3 regressors, solved by Cramer's rule (3×3 is plenty here).
  const s = new Float64Array(9), r = new Float64Array(3);
  const n = x.length;
  for (let i = skip; i < n; i++) {
    const v = [Math.sin((2 * Math.PI * freq * i) / rate), Math.cos((2 * Math.PI * freq * i) / rate), 1];
    for (let a = 0; a < 3; a++) {
      r[a] += v[a] * x[i];
      for (let b = 0; b < 3; b++) s[a * 3 + b] += v[a] * v[b];
    }
  }
  const det3 = (m: ArrayLike<number>): number =>
    m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
  const d = det3(s);
  const coef = [0, 1, 2].map((k) => {
    const m = Array.from(s);
    for (let a = 0; a < 3; a++) m[a * 3 + k] = r[a];
    return det3(m) / d;
  });
  let e = 0;
  for (let i = skip; i < n; i++) {
    const fit = coef[0] * Math.sin((2 * Math.PI * freq * i) / rate) + coef[1] * Math.cos((2 * Math.PI * freq * i) / rate) + coef[2];
    e += (x[i] - fit) ** 2;
  }
  return { amplitude: Math.hypot(coef[0], coef[1]), residualRms: Math.sqrt(e / (n - skip)) };
}

/**
 * Fundamental by harmonic summation: the f0 (searched on a 0.1-semitone grid over MIDI lo..hi)
 * whose first `harmonics` multiples collect the most spectral amplitude. Unlike the strongest
 * peak, this is not fooled by a fundamental weaker than its overtones (as in plucked strings).
 */
export function harmonicPitchMidi(x: ArrayLike<number>, rate: number, lo = 30, hi = 96, harmonics = 5): number {
  const { amp } = amplitudeSpectrum(x, rate);
  const df = rate / (2 * (amp.length - 1));
  const at = (f: number): number => {
    const k = Math.round(f / df);
    if (k + 1 >= amp.length) return 0;
    return Math.max(amp[k - 1] ?? 0, amp[k], amp[k + 1]);
  };
  let best = lo, bestScore = -1;
  for (let m = lo; m <= hi; m += 0.1) {
    const f0 = 440 * Math.pow(2, (m - 69) / 12);
    let s = 0;
    for (let k = 1; k <= harmonics; k++) s += at(k * f0);
    if (s > bestScore) { bestScore = s; best = m; }
  }
  return best;
}
