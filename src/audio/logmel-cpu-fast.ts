/**
 * A faster CPU log-mel than the float64 reference (logmel-cpu.ts), for the benchmark's CPU baseline
 * and for tools without a GPU: same formulas and float64 arithmetic, float32 output, but
 * - the real 400-point frame goes through one 200-point complex FFT (even samples as the real part,
 *   odd as the imaginary part) and a split step, half the work of a complex 400-point FFT;
 * - the mel filterbank is applied through each filter's nonzero range (~2 weights per FFT bin
 *   instead of 80).
 * It falls back to the reference for odd n_fft.
 */
import { FftPlan } from './fft';
import { DEFAULT_LOGMEL_CONFIG, logMelCpu, type LogMel, type LogMelConfig } from './logmel-cpu';
import { hannWindow, melFilterbank } from './mel-filters';

interface Plan {
  c: LogMelConfig;
  half: FftPlan;
  window: Float64Array;
  twRe: Float64Array;
  twIm: Float64Array;
  lo: Int32Array;
  hi: Int32Array;
  fb: Float64Array;
  nBins: number;
}

const plans = new Map<string, Plan>();

function planFor(cfg: Partial<LogMelConfig>): Plan {
  const c = { ...DEFAULT_LOGMEL_CONFIG, ...cfg };
  const key = JSON.stringify(c);
  let p = plans.get(key);
  if (p) return p;
  const N = c.nFft, M = N / 2, nBins = M + 1;
  const window = new Float64Array(N);
  window.set(hannWindow(c.winLength), Math.floor((N - c.winLength) / 2));
  const twRe = new Float64Array(M), twIm = new Float64Array(M);
  for (let k = 0; k < M; k++) { twRe[k] = Math.cos((-2 * Math.PI * k) / N); twIm[k] = Math.sin((-2 * Math.PI * k) / N); }
  const fb = melFilterbank({ sampleRate: c.sampleRate, nFft: N, nMels: c.nMels, fMin: c.fMin, fMax: c.fMax });
  const lo = new Int32Array(c.nMels), hi = new Int32Array(c.nMels);
  for (let m = 0; m < c.nMels; m++) {
    lo[m] = nBins; hi[m] = -1;
    for (let k = 0; k < nBins; k++) if (fb[m * nBins + k] !== 0) { lo[m] = Math.min(lo[m], k); hi[m] = k; }
  }
  p = { c, half: new FftPlan(M), window, twRe, twIm, lo, hi, fb, nBins };
  plans.set(key, p);
  return p;
}

function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - j;
}

/** Normalised log-mel [nMels, nFrames] as float32; equal to `logMelCpu` up to float32 rounding. */
export function logMelCpuFast(samples: Float32Array | Float64Array, cfg: Partial<LogMelConfig> = {}): LogMel<Float32Array> {
  const c0 = { ...DEFAULT_LOGMEL_CONFIG, ...cfg };
  if (c0.nFft % 2 !== 0) {
    const r = logMelCpu(samples, cfg);
    return { data: Float32Array.from(r.data), nMels: r.nMels, nFrames: r.nFrames };
  }
  const p = planFor(cfg);
  const { c, window, twRe, twIm, lo, hi, fb, nBins } = p;
  const n = samples.length;
  if (n === 0) throw new Error('logMelCpuFast: empty signal');
  const N = c.nFft, M = N / 2, pad = Math.floor(N / 2);
  const nFrames = 1 + Math.floor(n / c.hopLength);
  const zRe = new Float64Array(M), zIm = new Float64Array(M), fRe = new Float64Array(M), fIm = new Float64Array(M);
  const power = new Float64Array(nBins);
  const out = new Float32Array(c.nMels * nFrames);
  const invStd = 1 / c.std;
  for (let t = 0; t < nFrames; t++) {
    const start = t * c.hopLength - pad;
    const interior = start >= 0 && start + N <= n;
    for (let j = 0; j < M; j++) {
      const i0 = start + 2 * j, i1 = i0 + 1;
      zRe[j] = (interior ? samples[i0] : samples[reflectIndex(i0, n)]) * window[2 * j];
      zIm[j] = (interior ? samples[i1] : samples[reflectIndex(i1, n)]) * window[2 * j + 1];
    }
    p.half.forward(zRe, zIm, fRe, fIm);
    // X[k] = E[k] + W^k·O[k], with E = (Z[k] + conj Z[M−k]) / 2 and O = (Z[k] − conj Z[M−k]) / 2i.
    for (let k = 0; k <= M; k++) {
      const a = k % M, b = (M - k) % M;
      const er = 0.5 * (fRe[a] + fRe[b]), ei = 0.5 * (fIm[a] - fIm[b]);
      const or = 0.5 * (fIm[a] + fIm[b]), oi = -0.5 * (fRe[a] - fRe[b]);
      const wr = k === M ? -1 : twRe[k], wi = k === M ? 0 : twIm[k];
      const xr = er + wr * or - wi * oi, xi = ei + wr * oi + wi * or;
      power[k] = xr * xr + xi * xi;
    }
    for (let m = 0; m < c.nMels; m++) {
      let acc = 0;
      const row = m * nBins;
      for (let k = lo[m]; k <= hi[m]; k++) acc += fb[row + k] * power[k];
      out[m * nFrames + t] = (Math.log(acc + c.logEps) - c.mean) * invStd;
    }
  }
  return { data: out, nMels: c.nMels, nFrames };
}
