/** Layers with PyTorch names and initialisations: Linear, LayerNorm, Conv1d, Conv2d. */
import { Tensor, tensor } from '../tensor/tensor';
import { Module } from './module';
import { conv1d, conv2d, layerNorm, linear, ones, truncNormal, zeros, type LinearOptions } from '../ops';
import type { Rng } from '../util/rng';

export type LinearInit = 'trunc_normal' | 'xavier_uniform' | 'zeros' | 'normal';

function uniform(shape: number[], bound: number, rng: Rng): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = (2 * rng.uniform() - 1) * bound;
  return tensor(d, shape);
}

export function initWeight(shape: number[], fanIn: number, fanOut: number, init: LinearInit, rng: Rng, std = 0.02): Tensor {
  switch (init) {
    case 'trunc_normal': return truncNormal(shape, rng, std);
    case 'xavier_uniform': return uniform(shape, Math.sqrt(6 / (fanIn + fanOut)), rng);
    case 'zeros': return zeros(shape);
    case 'normal': {
      const n = shape.reduce((a, b) => a * b, 1);
      const d = new Float32Array(n);
      for (let i = 0; i < n; i++) d[i] = std * rng.normal();
      return tensor(d, shape);
    }
  }
}

/** y = x·Wᵀ + b with W [out, in]; `{ gelu: true }` applies the exact GELU in the same kernel. */
export class Linear extends Module {
  constructor(readonly inFeatures: number, readonly outFeatures: number, rng: Rng, opts: { bias?: boolean; init?: LinearInit; std?: number } = {}) {
    super();
    this.param('weight', initWeight([outFeatures, inFeatures], inFeatures, outFeatures, opts.init ?? 'trunc_normal', rng, opts.std), true);
    if (opts.bias !== false) this.param('bias', zeros([outFeatures]));
  }

  forward(x: Tensor, opts: LinearOptions = {}): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) throw new Error(`Linear(${this.inFeatures} → ${this.outFeatures}): input has shape [${x.shape}]`);
    // One fused kernel: x·Wᵀ + b (+ GELU) (+ residual) (src/ops/linear.ts).
    return linear(x, this.p('weight'), this.hasParam('bias') ? this.p('bias') : null, opts);
  }
}

export class LayerNorm extends Module {
  constructor(readonly dim: number, readonly eps = 1e-6) {
    super();
    this.param('weight', ones([dim]));
    this.param('bias', zeros([dim]));
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.p('weight'), this.p('bias'), this.eps);
  }
}

/** PyTorch's default conv init: kaiming-uniform with a = √5, i.e. bound 1/√fan_in (bias 0 per the spec). */
function convWeight(shape: number[], rng: Rng): Tensor {
  return uniform(shape, 1 / Math.sqrt(shape.slice(1).reduce((a, b) => a * b, 1)), rng);
}

export class Conv1d extends Module {
  constructor(readonly cin: number, readonly cout: number, readonly k: number, rng: Rng, readonly opts: { stride?: number; padding?: number } = {}) {
    super();
    this.param('weight', convWeight([cout, cin, k], rng), true);
    this.param('bias', zeros([cout]));
  }
  forward(x: Tensor): Tensor {
    return conv1d(x, this.p('weight'), this.p('bias'), this.opts);
  }
}

export class Conv2d extends Module {
  constructor(readonly cin: number, readonly cout: number, readonly k: number, rng: Rng, readonly opts: { stride?: number; padding?: number; init?: 'torch_default' | 'xavier_uniform' } = {}) {
    super();
    const shape = [cout, cin, k, k];
    // xavier over the flattened kernel (as a Linear of cin·k·k → cout).
    const w = opts.init === 'xavier_uniform' ? uniform(shape, Math.sqrt(6 / (cin * k * k + cout)), rng) : convWeight(shape, rng);
    this.param('weight', w, true);
    this.param('bias', zeros([cout]));
  }
  forward(x: Tensor): Tensor {
    return conv2d(x, this.p('weight'), this.p('bias'), { stride: this.opts.stride, padding: this.opts.padding });
  }
}
