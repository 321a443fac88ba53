/**
 * Band-limited sample-rate conversion for arbitrary integer rates: a Kaiser-windowed sinc low-pass
 * evaluated in polyphase form. Everything above the lower of the two Nyquist frequencies is removed
 * before it can alias, which matters here: the model studies modulation structure, and aliased
 * partials would be fake structure.
 */

/** Filter design knobs. The defaults give ≥ 80 dB stop-band rejection from the lower Nyquist up. */
export interface ResampleOptions {
  /** Stop-band attenuation in dB (Kaiser design target). Default 80. */
  attenuationDb?: number;
  /**
   * Transition band width as a fraction of the lower Nyquist frequency: the pass band ends at
   * (1 - transition)·Nyquist and the stop band starts at the Nyquist. Default 0.1.
   */
  transition?: number;
}

/** Above this many distinct phases a table of exact polyphase filters would be too large. */
const MAX_EXACT_PHASES = 4096;
/** Oversampling of the interpolated kernel table (samples per input sample) for odd ratios. */
const TABLE_OVERSAMPLE = 1024;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (power series, converges fast). */
export function besselI0(x: number): number {
  let sum = 1, term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Kaiser β for a target attenuation (Kaiser's empirical formula). */
export function kaiserBeta(attenuationDb: number): number {
  const a = attenuationDb;
  if (a > 50) return 0.1102 * (a - 8.7);
  if (a >= 21) return 0.5842 * Math.pow(a - 21, 0.4) + 0.07886 * (a - 21);
  return 0;
}

/** A designed low-pass kernel, continuous in t (measured in input samples). */
interface Kernel {
  /** Half-width in input samples; the kernel is zero for |t| ≥ halfWidth. */
  halfWidth: number;
  at(t: number): number;
}

function designKernel(fromRate: number, toRate: number, opts: ResampleOptions): Kernel {
  const atten = opts.attenuationDb ?? 80;
  const tb = opts.transition ?? 0.1;
  if (!(tb > 0 && tb < 1)) throw new Error(`resample: transition must be in (0, 1), got ${tb}`);
  const nyqLow = Math.min(fromRate, toRate) / 2;
  // Cut-off (−6 dB) in the middle of the transition band, in cycles per input sample.
  const fc = ((1 - tb / 2) * nyqLow) / fromRate;
  const deltaF = (tb * nyqLow) / fromRate;
  // Kaiser's length estimate for the given attenuation and transition width.
  const taps = (atten - 7.95) / (2.285 * 2 * Math.PI * deltaF) + 1;
  const halfWidth = taps / 2;
  const beta = kaiserBeta(atten);
  const i0b = besselI0(beta);
  return {
    halfWidth,
    at(t: number): number {
      const r = t / halfWidth;
      if (r <= -1 || r >= 1) return 0;
      const x = 2 * fc * t;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      return 2 * fc * sinc * (besselI0(beta * Math.sqrt(1 - r * r)) / i0b);
    },
  };
}

/** Number of output samples for n input samples: ceil(n · to / from), in exact integer arithmetic. */
export function resampledLength(n: number, fromRate: number, toRate: number): number {
  const g = gcd(fromRate, toRate);
  const up = toRate / g, down = fromRate / g;
  return Math.floor((n * up + down - 1) / down);
}

/**
 * Resample mono audio from `fromRate` to `toRate` (positive integers, any ratio). The filter is
 * zero-phase (no delay); samples beyond either end are taken as zero.
 * When the rates are equal the input array itself is returned.
 */
export function resample(x: Float32Array, fromRate: number, toRate: number, opts: ResampleOptions = {}): Float32Array {
  if (!Number.isInteger(fromRate) || !Number.isInteger(toRate) || fromRate <= 0 || toRate <= 0) {
    throw new Error(`resample: rates must be positive integers, got ${fromRate} → ${toRate}`);
  }
  if (fromRate === toRate) return x;
  const g = gcd(fromRate, toRate);
  const up = toRate / g, down = fromRate / g;
  const kernel = designKernel(fromRate, toRate, opts);
  const nOut = resampledLength(x.length, fromRate, toRate);
  const out = new Float32Array(nOut);
  // Output n sits at input time n·down/up = i + p/up; taps cover input indices i + j, j ∈ [j0, j1].
  const j0 = -Math.ceil(kernel.halfWidth);
  const j1 = Math.ceil(kernel.halfWidth);
  const width = j1 - j0 + 1;
  const phaseTaps = (frac: number, dst: Float64Array): void => {
    let sum = 0;
    for (let j = 0; j < width; j++) {
      const v = kernel.at(frac - (j + j0));
      dst[j] = v;
      sum += v;
    }
    // Exact unit DC gain per phase, so a constant signal stays constant (no phase-dependent ripple).
    for (let j = 0; j < width; j++) dst[j] /= sum;
  };
  let getTaps: (p: number) => Float64Array;
  if (up <= MAX_EXACT_PHASES) {
    const table = Array.from({ length: up }, (_, p) => {
      const t = new Float64Array(width);
      phaseTaps(p / up, t);
      return t;
    });
    getTaps = (p) => table[p];
  } else {
    // Odd rate pairs (e.g. 44101 → 16000) would need thousands of phases: interpolate linearly in a
    // finely sampled copy of the kernel instead (error ≈ (π/1024)²/8, far below the stop band).
    const half = Math.ceil(kernel.halfWidth) + 1;
    const fine = new Float64Array(2 * half * TABLE_OVERSAMPLE + 1);
    for (let k = 0; k < fine.length; k++) fine[k] = kernel.at(k / TABLE_OVERSAMPLE - half);
    const scratch = new Float64Array(width);
    getTaps = (p) => {
      const frac = p / up;
      let sum = 0;
      for (let j = 0; j < width; j++) {
        const pos = (frac - (j + j0) + half) * TABLE_OVERSAMPLE;
        const k = Math.floor(pos);
        const v = k >= 0 && k + 1 < fine.length ? fine[k] + (pos - k) * (fine[k + 1] - fine[k]) : 0;
        scratch[j] = v;
        sum += v;
      }
      for (let j = 0; j < width; j++) scratch[j] /= sum;
      return scratch;
    };
  }
  const nIn = x.length;
  let i = 0, p = 0;
  for (let n = 0; n < nOut; n++) {
    const taps = getTaps(p);
    const base = i + j0;
    const lo = Math.max(0, -base);
    const hi = Math.min(width, nIn - base);
    let acc = 0;
    for (let j = lo; j < hi; j++) acc += x[base + j] * taps[j];
    out[n] = acc;
    p += down;
    i += Math.floor(p / up);
    p %= up;
  }
  return out;
}
