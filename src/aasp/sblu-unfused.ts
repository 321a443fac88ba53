/**
 * The SBLU composed from ordinary engine ops, with everything materialised: the taps [B, F, 2M, K],
 * the unfolded windows [B·F, K, T] (K× the input), the complex response, its magnitude and log1p.
 * It is the check for the fused kernel (tests: fused == unfused) and its baseline in kernels-bench.
 * Autograd comes from the ops themselves, so its gradients are independent of the fused backward.
 */
import { runtime } from '../gpu/runtime';
import { bucketSize } from '../gpu/pool';
import { scope, tensor, type Tensor } from '../tensor/tensor';
import { add, concat, cos, div, exp, log1p, matmul, mul, neg, reshape, sin, slice, sqrt, stack, sub, zeros } from '../ops';

/** The complex scale C = 2 sinh(Λ/2)/Λ as (Re, Im) tensors shaped like α. */
function complexScale(alpha: Tensor, omega: Tensor): [Tensor, Tensor] {
  const ha = mul(alpha, 0.5), hw = mul(omega, 0.5);
  const ep = exp(ha), em = exp(neg(ha));
  const sinhA = mul(sub(ep, em), 0.5), coshA = mul(add(ep, em), 0.5);
  const shr = mul(sinhA, cos(hw)), shi = mul(coshA, sin(hw));
  const den = add(mul(alpha, alpha), mul(omega, omega));
  const cr = div(mul(add(mul(shr, alpha), mul(shi, omega)), 2), den);
  const ci = div(mul(sub(mul(shi, alpha), mul(shr, omega)), 2), den);
  return [cr, ci];
}

function sbluUnfusedChunk(u: Tensor, alpha: Tensor, omega: Tensor, gain: Tensor, K: number): Tensor {
  return scope(() => {
    const [B, F, T] = u.shape, M = alpha.shape[2], R = B * F, c = Math.floor(K / 2);
    // Taps exp(−Λ|k − c|) = e^{−α|k−c|}(cos ω|k−c| − j sin ω|k−c|), materialised [R, 2M, K].
    const dist = tensor(Float32Array.from({ length: K }, (_, k) => Math.abs(k - c)), [K]);
    const a4 = reshape(alpha, [B, F, M, 1]), w4 = reshape(omega, [B, F, M, 1]);
    const env = exp(neg(mul(a4, dist)));
    const ph = mul(w4, dist);
    const hr = mul(env, cos(ph)), hi = neg(mul(env, sin(ph)));
    const taps = reshape(concat([hr, hi], 2), [R, 2 * M, K]);
    // Unfolded windows: wins[r, k, n] = u[r, n + k − c] (zero outside [0, T)).
    const parts = [];
    if (c > 0) parts.push(zeros([R, c]));
    parts.push(reshape(u, [R, T]));
    if (K - 1 - c > 0) parts.push(zeros([R, K - 1 - c]));
    const upad = concat(parts, 1);
    const wins = stack(Array.from({ length: K }, (_, k) => slice(upad, 1, k, k + T)), 1);
    const z = matmul(taps, wins); // [R, 2M, T]
    const zr = slice(z, 1, 0, M), zi = slice(z, 1, M, 2 * M);
    const [cr, ci] = complexScale(alpha, omega);
    const qr = reshape(mul(cr, gain), [R, M, 1]), qi = reshape(mul(ci, gain), [R, M, 1]);
    const yr = sub(mul(qr, zr), mul(qi, zi)), yi = add(mul(qr, zi), mul(qi, zr));
    const mag = sqrt(add(add(mul(yr, yr), mul(yi, yi)), 1e-6));
    return reshape(log1p(mag), [B, F, M, T]);
  });
}

/**
 * Same contract as `sblu` (u [B, F, T], α, ω [B, F, M], g [F, M] → S [B, F, M, T]). The batch is
 * processed in chunks small enough that the unfolded windows fit one storage binding
 * (maxStorageBufferBindingSize), or `maxChunk` clips; each chunk still materialises its K× windows.
 */
export function sbluUnfused(u: Tensor, alpha: Tensor, omega: Tensor, gain: Tensor, K = 33, opts: { maxChunk?: number } = {}): Tensor {
  const [B, F, T] = u.shape;
  const limit = runtime().device.limits.maxStorageBufferBindingSize;
  let chunk = Math.min(B, opts.maxChunk ?? B);
  while (chunk > 1 && bucketSize(chunk * F * K * T * 4) > limit) chunk = Math.ceil(chunk / 2);
  if (chunk >= B) return sbluUnfusedChunk(u, alpha, omega, gain, K);
  return scope(() => {
    const outs: Tensor[] = [];
    for (let b0 = 0; b0 < B; b0 += chunk) {
      const b1 = Math.min(B, b0 + chunk);
      outs.push(sbluUnfusedChunk(slice(u, 0, b0, b1), slice(alpha, 0, b0, b1), slice(omega, 0, b0, b1), gain, K));
    }
    return concat(outs, 0);
  });
}
