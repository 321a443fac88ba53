/**
 * A float64 mixed-radix FFT for any length (fast when the length has small prime factors, as the
 * front end's 400 = 2⁴·5² does). Written out here because the reference log-mel must be exact and
 * dependency-free, and 400 is not a power of two.
 */

function factorize(n: number): number[] {
  const f: number[] = [];
  // Radix 4 first: fewer passes than two radix-2 passes for the same work.
  while (n % 4 === 0) { f.push(4); n /= 4; }
  for (let p = 2; n > 1; p++) {
    while (n % p === 0) { f.push(p); n /= p; }
    if (p * p > n && n > 1) { f.push(n); break; }
  }
  return f;
}

/** A precomputed plan for complex FFTs of one length. */
export class FftPlan {
  readonly n: number;
  private readonly factors: number[];
  private readonly twRe: Float64Array;
  private readonly twIm: Float64Array;
  private readonly tmpRe: Float64Array;
  private readonly tmpIm: Float64Array;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`FftPlan: length must be a positive integer, got ${n}`);
    this.n = n;
    this.factors = factorize(n);
    this.twRe = new Float64Array(n);
    this.twIm = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      this.twRe[k] = Math.cos((-2 * Math.PI * k) / n);
      this.twIm[k] = Math.sin((-2 * Math.PI * k) / n);
    }
    const maxR = Math.max(1, ...this.factors);
    this.tmpRe = new Float64Array(maxR);
    this.tmpIm = new Float64Array(maxR);
  }

  /**
   * Forward transform X[k] = Σ x[j]·exp(−2πi·jk/n). Inputs are read with no modification;
   * outputs must not alias the inputs.
   */
  forward(inRe: Float64Array, inIm: Float64Array, outRe: Float64Array, outIm: Float64Array): void {
    this.rec(inRe, inIm, 0, 1, this.n, 0, outRe, outIm, 0);
  }

  private rec(
    inRe: Float64Array, inIm: Float64Array, inOff: number, stride: number, n: number,
    level: number, outRe: Float64Array, outIm: Float64Array, outOff: number,
  ): void {
    if (n === 1) {
      outRe[outOff] = inRe[inOff];
      outIm[outOff] = inIm[inOff];
      return;
    }
    const r = this.factors[level];
    const m = n / r;
    // Decimation in time: r interleaved sub-sequences, each transformed into a contiguous block.
    for (let q = 0; q < r; q++) {
      this.rec(inRe, inIm, inOff + q * stride, stride * r, m, level + 1, outRe, outIm, outOff + q * m);
    }
    const N = this.n;
    const scale = N / n; // W_n^e = W_N^(e·N/n)
    const tRe = this.tmpRe, tIm = this.tmpIm;
    for (let k = 0; k < m; k++) {
      for (let q = 0; q < r; q++) {
        tRe[q] = outRe[outOff + q * m + k];
        tIm[q] = outIm[outOff + q * m + k];
      }
      for (let s = 0; s < r; s++) {
        const idx = k + s * m;
        let accRe = tRe[0], accIm = tIm[0];
        for (let q = 1; q < r; q++) {
          const e = ((q * idx) % n) * scale;
          const wr = this.twRe[e], wi = this.twIm[e];
          accRe += tRe[q] * wr - tIm[q] * wi;
          accIm += tRe[q] * wi + tIm[q] * wr;
        }
        outRe[outOff + idx] = accRe;
        outIm[outOff + idx] = accIm;
      }
    }
  }
}
