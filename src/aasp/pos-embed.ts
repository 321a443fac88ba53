/**
 * The fixed 2-D sin-cos position embedding of spec section 4, shared by the AaPE tokens, the encoder
 * and the predictor (pos_Dp). Token (p, q) is row p·Tp + q; with d4 = D/4 and ω_d = 10000^(−d/d4):
 * dims [0, d4) sin(q·ω_d), [d4, 2d4) cos(q·ω_d), [2d4, 3d4) sin(p·ω_d), [3d4, D) cos(p·ω_d).
 * Computed in float64 (as the PyTorch reference) and rounded once to float32.
 */
import { tensor, type Tensor } from '../tensor/tensor';

/** [Fp·Tp, D] row-major, token index p·Tp + q. */
export function posEmbed2d(D: number, Fp: number, Tp: number): Float32Array {
  if (!Number.isInteger(D) || D <= 0 || D % 4 !== 0) throw new Error(`posEmbed2d: D = ${D} must be a positive multiple of 4`);
  const d4 = D / 4;
  const out = new Float32Array(Fp * Tp * D);
  const omega = Array.from({ length: d4 }, (_, d) => Math.pow(10000, -d / d4));
  for (let p = 0; p < Fp; p++) for (let q = 0; q < Tp; q++) {
    const row = (p * Tp + q) * D;
    for (let d = 0; d < d4; d++) {
      out[row + d] = Math.sin(q * omega[d]);
      out[row + d4 + d] = Math.cos(q * omega[d]);
      out[row + 2 * d4 + d] = Math.sin(p * omega[d]);
      out[row + 3 * d4 + d] = Math.cos(p * omega[d]);
    }
  }
  return out;
}

/** The same as a GPU tensor [Fp·Tp, D] (the caller owns it). */
export function posEmbed2dTensor(D: number, Fp: number, Tp: number): Tensor {
  return tensor(posEmbed2d(D, Fp, Tp), [Fp * Tp, D]);
}
