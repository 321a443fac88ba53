/**
 * SGD and AdamW updating parameters in place on the GPU, plus global-norm clipping (the clip scale
 * is applied inside the update kernel, so no scaled copy of the gradients is made).
 */
import { Tensor, scope } from '../tensor/tensor';
import { noGrad } from '../tensor/autograd';
import { optimK } from '../ops/kernels';
import { grid, runtime } from '../ops/util';
import { zeros, sum, square, concat, reshape } from '../ops';

export interface ParamGroup { params: [string, Tensor][]; weightDecay: number }

/** sqrt(Σ‖g‖²) over the gradients present, computed on the GPU; one read-back. */
export async function globalGradNorm(params: Tensor[]): Promise<number> {
  const grads = params.map((p) => p.grad).filter((g): g is Tensor => !!g);
  if (!grads.length) return 0;
  const total = scope(() => noGrad(() => {
    const parts = grads.map((g) => reshape(sum(square(g)), [1]));
    return sum(concat(parts, 0));
  }));
  const v = await total.item();
  total.dispose();
  return Math.sqrt(v);
}

/** Scale factor for clipping at `maxNorm`: min(1, maxNorm / (norm + 1e-6)). */
export function clipScale(norm: number, maxNorm: number): number {
  return Math.min(1, maxNorm / (norm + 1e-6));
}

export class SGD {
  constructor(private params: Tensor[], public lr: number, public weightDecay = 0) {}
  step(gradScale = 1): void {
    for (const p of this.params) {
      if (!p.grad) continue;
      runtime().dispatch(optimK('sgd'), {
        buffers: { param: p.buffer, grad: p.grad.buffer },
        uniforms: { n: p.size, lr: this.lr, beta1: 0, beta2: 0, eps: 0, wd: this.weightDecay, bc1: 1, bc2: 1, gscale: gradScale },
        workgroups: grid(p.size),
      });
    }
  }
}

export interface AdamWOptions { lr: number; betas?: [number, number]; eps?: number }

export class AdamW {
  readonly exp_avg = new Map<string, Tensor>();
  readonly exp_avg_sq = new Map<string, Tensor>();
  /** Number of updates taken (bias correction uses step + 1 during an update). */
  stepCount = 0;
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;

  constructor(readonly groups: ParamGroup[], opts: AdamWOptions) {
    this.lr = opts.lr;
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    for (const g of groups) for (const [name, p] of g.params) {
      this.exp_avg.set(name, zeros(p.shape));
      this.exp_avg_sq.set(name, zeros(p.shape));
    }
  }

  step(gradScale = 1): void {
    this.stepCount++;
    const [b1, b2] = this.betas;
    const bc1 = 1 - b1 ** this.stepCount, bc2 = 1 - b2 ** this.stepCount;
    for (const g of this.groups) for (const [name, p] of g.params) {
      if (!p.grad) continue;
      runtime().dispatch(optimK('adamw'), {
        buffers: { param: p.buffer, grad: p.grad.buffer, m: this.exp_avg.get(name)!.buffer, v: this.exp_avg_sq.get(name)!.buffer },
        uniforms: { n: p.size, lr: this.lr, beta1: b1, beta2: b2, eps: this.eps, wd: g.weightDecay, bc1, bc2, gscale: gradScale },
        workgroups: grid(p.size),
      });
    }
  }

  dispose(): void {
    for (const t of [...this.exp_avg.values(), ...this.exp_avg_sq.values()]) t.dispose();
  }
}

/** teacher ← tau·teacher + (1 − tau)·student, parameter by parameter (same order and shapes). */
export function emaUpdate(teacher: Tensor[], student: Tensor[], tau: number): void {
  if (teacher.length !== student.length) throw new Error(`emaUpdate: ${teacher.length} teacher vs ${student.length} student tensors`);
  teacher.forEach((t, i) => {
    const s = student[i];
    if (t.size !== s.size) throw new Error(`emaUpdate: tensor ${i} has shapes [${t.shape}] and [${s.shape}]`);
    runtime().dispatch(optimK('ema'), {
      buffers: { param: t.buffer, grad: s.buffer },
      uniforms: { n: t.size, lr: 0, beta1: tau, beta2: 0, eps: 0, wd: 0, bc1: 1, bc2: 1, gscale: 1 },
      workgroups: grid(t.size),
    });
  });
}
