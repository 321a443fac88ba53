/**
 * Lambda Encoder (spec 3.2): predicts the decay α and frequency ω of every SBLU mode per clip and
 * mel band. Shared across bands: the B·F band signals run as one batch of one-channel signals.
 * Names: `conv1`, `conv2`, `head`, `band_bias` (under `aape.lambda_enc.` in the full model).
 */
import { Module } from '../nn/module';
import { Conv1d, Linear } from '../nn/layers';
import { add, gelu, mul, reshape, sigmoid, slice, softplus } from '../ops';
import { scope, tensor, type Tensor } from '../tensor/tensor';
import { lambdaConv1d } from './lambda-conv';
import { meanStdPool } from './lambda-pool';
import { lambdaConvPool } from './lambda-fused';
import { runtime } from '../gpu/runtime';
import { tuningFor } from '../gpu/tuning';
import type { Rng } from '../util/rng';

/** softplus⁻¹(0.1) = ln(e^0.1 − 1), as a literal so every platform starts from the same bits. */
export const SOFTPLUS_INV_0_1 = -2.2521684610440906;
export const OMEGA_LO = Math.PI / 16;
export const OMEGA_HI = Math.PI;

export interface LambdaOutput { alpha: Tensor; omega: Tensor }

export class LambdaEncoder extends Module {
  readonly conv1: Conv1d;
  readonly conv2: Conv1d;
  readonly head: Linear;

  /** F mel bands, M modes, K SBLU taps (α's floor is 1/K). */
  constructor(readonly F: number, readonly M: number, readonly K: number, rng: Rng) {
    super();
    // Draw order (conv1, conv2, head) fixes the init for a given seed.
    this.conv1 = this.child('conv1', new Conv1d(1, 16, 9, rng, { padding: 4 }));
    this.conv2 = this.child('conv2', new Conv1d(16, 16, 9, rng, { stride: 2, padding: 4 }));
    this.head = this.child('head', new Linear(32, 2 * M, rng, { init: 'normal', std: 0.02 }));
    // a-part: softplus(a) = 0.1; w-part: sigmoid(w_i) = (i + 0.5)/M spreads the modes over (ω_lo, ω_hi).
    const bb = new Float32Array(F * 2 * M);
    for (let f = 0; f < F; f++) for (let i = 0; i < M; i++) {
      const q = (i + 0.5) / M;
      bb[f * 2 * M + i] = SOFTPLUS_INV_0_1;
      bb[f * 2 * M + M + i] = Math.log(q / (1 - q));
    }
    this.param('band_bias', tensor(bb, [F, 2 * M]));
  }

  /** x [B, F, T] → α, ω [B, F, M]. */
  forward(x: Tensor): LambdaOutput {
    if (x.rank !== 3 || x.shape[1] !== this.F) throw new Error(`LambdaEncoder: input must be [B, ${this.F}, T], got [${x.shape}]`);
    const [B, F, T] = x.shape, M = this.M;
    return scope(() => {
      // The convs run on the dedicated small-channel kernel (same parameters as the Conv1d modules).
      const c1 = this.conv1, c2 = this.conv2;
      const xr = reshape(x, [B * F, 1, T]);
      // [B·F, 32]: means over time, then sqrt(population variance + 1e-5), of gelu(conv2(gelu(conv1(x)))).
      let pooled: Tensor;
      if (tuningFor(runtime()).lambdaFused) {
        pooled = lambdaConvPool(xr, c1.p('weight'), c1.p('bias'), c2.p('weight'), c2.p('bias'), { stride: c2.opts.stride ?? 1, padding: c2.opts.padding ?? 0, eps: 1e-5 });
      } else {
        const h1 = gelu(lambdaConv1d(xr, c1.p('weight'), c1.p('bias'), c1.opts));
        const h2 = gelu(lambdaConv1d(h1, c2.p('weight'), c2.p('bias'), c2.opts)); // [B·F, 16, T2]
        pooled = meanStdPool(h2, 1e-5);
      }
      const o = add(reshape(this.head.forward(pooled), [B, F, 2 * M]), this.p('band_bias'));
      const alpha = add(softplus(slice(o, 2, 0, M)), 1 / this.K);
      const omega = add(mul(sigmoid(slice(o, 2, M, 2 * M)), OMEGA_HI - OMEGA_LO), OMEGA_LO);
      return { alpha, omega };
    });
  }
}
