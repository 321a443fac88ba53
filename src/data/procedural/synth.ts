/**
 * Sound-synthesis primitives for the procedural corpus. All are deterministic functions of their
 * arguments (randomness comes in only through an explicit Rng), so clips are reproducible.
 */
import type { Rng } from '../../util/rng';

/** Uniform in [lo, hi). */
export const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng.uniform();

/** Log-uniform in [lo, hi): equal probability per octave, the natural prior for rates and pitches. */
export const logUniform = (rng: Rng, lo: number, hi: number): number => lo * Math.pow(hi / lo, rng.uniform());

/** One element of a non-empty array. */
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

/** MIDI note number → Hz (A4 = 69 = 440 Hz). */
export const midiToHz = (m: number): number => 440 * Math.pow(2, (m - 69) / 12);

/** ADSR envelope parameters, times in seconds. */
export interface Adsr {
  attack: number;
  decay: number;
  sustain: number;
  release: number;
}

/** A random but plausible ADSR. */
export function randomAdsr(rng: Rng): Adsr {
  return {
    attack: logUniform(rng, 0.003, 0.2),
    decay: logUniform(rng, 0.03, 0.6),
    sustain: uniform(rng, 0.15, 1),
    release: logUniform(rng, 0.03, 0.8),
  };
}

/** Envelope value at time t (s) for a note held for `hold` seconds (release starts at `hold`). */
export function adsrAt(e: Adsr, t: number, hold: number): number {
  const before = (tt: number): number => {
    if (tt < e.attack) return tt / e.attack;
    if (tt < e.attack + e.decay) return 1 - (1 - e.sustain) * ((tt - e.attack) / e.decay);
    return e.sustain;
  };
  if (t < 0) return 0;
  if (t < hold) return before(t);
  const r = t - hold;
  return r >= e.release ? 0 : before(hold) * (1 - r / e.release);
}

/** Spectral recipe of a harmonic sound: amplitude of harmonic k (1-based). */
export interface HarmonicRecipe {
  amps: number[];
}

/** A random harmonic spectrum: tilt, odd-only or full, a few dropped partials. */
export function randomRecipe(rng: Rng, maxHarmonics = 16, minTilt = 0.4): HarmonicRecipe {
  const n = 1 + rng.int(maxHarmonics);
  const tilt = uniform(rng, minTilt, 2.5);
  const oddOnly = rng.uniform() < 0.25;
  const amps: number[] = [];
  for (let k = 1; k <= n; k++) {
    const keep = k === 1 || (!(oddOnly && k % 2 === 0) && rng.uniform() > 0.1);
    amps.push(keep ? Math.pow(k, -tilt) : 0);
  }
  return { amps };
}

/**
 * Add a harmonic tone with a time-varying fundamental into `out` (from sample `start`):
 * phase is integrated sample by sample, so glides and vibrato stay continuous, and partials that
 * would cross Nyquist are muted rather than aliased.
 * @param f0 fundamental in Hz for each output sample index (relative to `start`)
 * @param env amplitude envelope per sample (relative to `start`)
 */
export function addHarmonic(out: Float32Array, start: number, f0: (i: number) => number, env: (i: number) => number, recipe: HarmonicRecipe, sr: number, length: number, phase0 = 0): void {
  const nyq = sr / 2;
  let phase = phase0;
  const end = Math.min(out.length, start + length);
  for (let j = start; j < end; j++) {
    const i = j - start;
    const f = f0(i);
    const a = env(i);
    if (a !== 0) {
      let s = 0;
      for (let k = 0; k < recipe.amps.length; k++) {
        const amp = recipe.amps[k];
        if (amp === 0) continue;
        const fk = f * (k + 1);
        if (fk >= nyq * 0.95) break;
        s += amp * Math.sin((k + 1) * phase);
      }
      out[j] += a * s;
    }
    phase += (2 * Math.PI * f) / sr;
    if (phase > 2 * Math.PI * 1e6) phase %= 2 * Math.PI;
  }
}

/** RBJ-cookbook biquad coefficients. */
export interface Biquad {
  b0: number; b1: number; b2: number; a1: number; a2: number;
}

/** Band-pass (constant 0 dB peak gain) at `fc` with quality `q`. */
export function bandpass(fc: number, q: number, sr: number): Biquad {
  const w = (2 * Math.PI * Math.min(fc, sr * 0.49)) / sr;
  const alpha = Math.sin(w) / (2 * q);
  const a0 = 1 + alpha;
  return { b0: alpha / a0, b1: 0, b2: -alpha / a0, a1: (-2 * Math.cos(w)) / a0, a2: (1 - alpha) / a0 };
}

/** Low-pass (q = 0.707 is Butterworth) at `fc`. */
export function lowpass(fc: number, q: number, sr: number): Biquad {
  const w = (2 * Math.PI * Math.min(fc, sr * 0.49)) / sr;
  const alpha = Math.sin(w) / (2 * q);
  const c = Math.cos(w), a0 = 1 + alpha;
  return { b0: (1 - c) / 2 / a0, b1: (1 - c) / a0, b2: (1 - c) / 2 / a0, a1: (-2 * c) / a0, a2: (1 - alpha) / a0 };
}

/** High-pass at `fc`. */
export function highpass(fc: number, q: number, sr: number): Biquad {
  const w = (2 * Math.PI * Math.min(fc, sr * 0.49)) / sr;
  const alpha = Math.sin(w) / (2 * q);
  const c = Math.cos(w), a0 = 1 + alpha;
  return { b0: (1 + c) / 2 / a0, b1: -(1 + c) / a0, b2: (1 + c) / 2 / a0, a1: (-2 * c) / a0, a2: (1 - alpha) / a0 };
}

/** Filter `x` in place (direct form I). */
export function applyBiquad(x: Float32Array, f: Biquad): Float32Array {
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i];
    const y0 = f.b0 * x0 + f.b1 * x1 + f.b2 * x2 - f.a1 * y1 - f.a2 * y2;
    x2 = x1; x1 = x0; y2 = y1; y1 = y0;
    x[i] = y0;
  }
  return x;
}

/** n samples of Gaussian white noise (σ = 1). */
export function whiteNoise(rng: Rng, n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.normal();
  return x;
}

/**
 * Karplus-Strong plucked string: a noise burst circulating in a delay line through a two-point
 * averaging low-pass; `decay` < 1 sets how fast the string dies out. A first-order all-pass supplies
 * the fractional part of the delay so the pitch is accurate (integer delays go sharp or flat).
 */
export function karplusStrong(rng: Rng, f0: number, n: number, sr: number, decay = 0.996, brightness = 0.5): Float32Array {
  const period = sr / f0 - 0.5; // the averaging filter adds half a sample of delay
  const len = Math.max(2, Math.floor(period));
  const frac = period - len;
  const apC = (1 - frac) / (1 + frac);
  const line = new Float32Array(len);
  // Pre-filter the excitation: lower brightness, a duller pick.
  let prev = 0;
  for (let i = 0; i < len; i++) {
    const w = rng.uniform() * 2 - 1;
    prev = brightness * w + (1 - brightness) * prev;
    line[i] = prev;
  }
  // Remove the excitation's mean: DC circulates almost undamped and would dominate the spectrum.
  let mean = 0;
  for (let i = 0; i < len; i++) mean += line[i];
  mean /= len;
  for (let i = 0; i < len; i++) line[i] -= mean;
  const out = new Float32Array(n);
  let p = 0, last = 0, apX1 = 0, apY1 = 0;
  for (let i = 0; i < n; i++) {
    const cur = line[p];
    const avg = decay * 0.5 * (cur + last);
    last = cur;
    const ap = apC * avg + apX1 - apC * apY1;
    apX1 = avg; apY1 = ap;
    line[p] = ap;
    out[i] = cur;
    p = p + 1 === len ? 0 : p + 1;
  }
  return out;
}

/** Scale so that the peak magnitude is `peak` (silence stays silence). */
export function normalizePeak(x: Float32Array, peak: number): Float32Array {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  if (m > 0) {
    const g = peak / m;
    for (let i = 0; i < x.length; i++) x[i] *= g;
  }
  return x;
}

/** out[start + i] += g · x[i], clipped to out's bounds. */
export function mixInto(out: Float32Array, x: Float32Array, start: number, g = 1): void {
  const end = Math.min(out.length, start + x.length);
  for (let j = Math.max(0, start); j < end; j++) out[j] += g * x[j - start];
}
