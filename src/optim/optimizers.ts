/**
 * SGD and AdamW updating parameters in place on the GPU, plus global-norm clipping (the clip scale
 * is applied inside the update kernel, so no scaled copy of the gradients is made).
 *
 * Multi-tensor updates (AdamW.step, emaUpdate; shaders/optim_multi.wgsl): parameters, gradients and
 * moments stay separate named tensors (the model owns its parameters; checkpoints store moments by
 * name), and one dispatch updates as many tensors as the adapter's storage-buffer limit allows (4
 * buffers each for AdamW, 2 for EMA: 4 and 8 tensors per dispatch with lavapipe's 16), each with its
 * own weight decay. Measured (kernels-bench `adamw`): a first design that gathered everything into
 * packed arenas with buffer copies and ran one dispatch was 2x slower in wall time on lavapipe than
 * a dispatch per tensor (the copies are memcpys of every parameter, 7 per step), so no copies here.
 */
import { Tensor, scope } from '../tensor/tensor';
import { noGrad } from '../tensor/autograd';
import { optimK, optimMultiSource, templateKernel } from '../ops/kernels';
import { grid, runtime } from '../ops/util';
import { zeros, sum, square, concat, reshape } from '../ops';

/** Parameters sharing a weight decay and a learning-rate factor (lrScale, default 1: the optimiser's lr). */
export interface ParamGroup { params: [string, Tensor][]; weightDecay: number; lrScale?: number }

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

  /** Multi-tensor dispatches (false: one dispatch per parameter, kept for comparison in kernels-bench). */
  packed = true;

  step(gradScale = 1): void {
    this.stepCount++;
    const [b1, b2] = this.betas;
    const bc1 = 1 - b1 ** this.stepCount, bc2 = 1 - b2 ** this.stepCount;
    // One multi-tensor pass per learning-rate factor: the kernel takes one lr per dispatch.
    const byScale = new Map<number, { p: Tensor; g: Tensor; m: Tensor; v: Tensor; wd: number }[]>();
    for (const g of this.groups) for (const [name, p] of g.params) {
      if (!p.grad || p.size === 0) continue;
      const scale = g.lrScale ?? 1;
      if (!byScale.has(scale)) byScale.set(scale, []);
      byScale.get(scale)!.push({ p, g: p.grad, m: this.exp_avg.get(name)!, v: this.exp_avg_sq.get(name)!, wd: g.weightDecay });
    }
    for (const [scale, items] of byScale) {
      const uni = { lr: this.lr * scale, beta1: b1, beta2: b2, eps: this.eps, bc1, bc2, gscale: gradScale };
      if (!this.packed) {
        for (const it of items) {
          runtime().dispatch(optimK('adamw'), {
            buffers: { param: it.p.buffer, grad: it.g.buffer, m: it.m.buffer, v: it.v.buffer },
            uniforms: { n: it.p.size, ...uni, wd: it.wd }, workgroups: grid(it.p.size),
          });
        }
      } else {
        multiDispatch(items.map((it) => ({ n: it.p.size, wd: it.wd, buffers: [it.p, it.g, it.m, it.v] })), true, uni);
      }
    }
  }

  dispose(): void {
    for (const t of [...this.exp_avg.values(), ...this.exp_avg_sq.values()]) t.dispose();
  }
}

/** teacher ← tau·teacher + (1 − tau)·student (same order and shapes), several tensors per dispatch. */
export function emaUpdate(teacher: Tensor[], student: Tensor[], tau: number): void {
  if (teacher.length !== student.length) throw new Error(`emaUpdate: ${teacher.length} teacher vs ${student.length} student tensors`);
  teacher.forEach((t, i) => {
    if (t.size !== student[i].size) throw new Error(`emaUpdate: tensor ${i} has shapes [${t.shape}] and [${student[i].shape}]`);
  });
  const items = teacher.map((t, i) => ({ n: t.size, wd: 0, buffers: [t, student[i]] })).filter((it) => it.n > 0);
  multiDispatch(items, false, { lr: 0, beta1: tau, beta2: 0, eps: 0, bc1: 1, bc2: 1, gscale: 1 });
}

/** Dispatch optim_multi over `items`, as many tensors per dispatch as the storage-buffer limit allows. */
function multiDispatch(items: { n: number; wd: number; buffers: Tensor[] }[], adam: boolean, uni: Record<string, number>): void {
  const rt = runtime();
  const per = adam ? 4 : 2;
  const maxNT = Math.max(1, Math.min(8, Math.floor(rt.device.limits.maxStorageBuffersPerShaderStage / per)));
  const names = adam ? ['p', 'g', 'm', 'v'] : ['p', 's'];
  for (let c = 0; c < items.length; c += maxNT) {
    const chunk = items.slice(c, c + maxNT);
    const buffers: Record<string, GPUBuffer> = {};
    const n: number[] = [], start: number[] = [0], wd: number[] = [];
    chunk.forEach((it, t) => {
      it.buffers.forEach((b, k) => { buffers[`${names[k]}${t}`] = b.buffer; });
      n.push(it.n);
      wd.push(it.wd);
      start.push(start[t] + Math.ceil(it.n / 256));
    });
    const total = start[chunk.length];
    rt.dispatch(templateKernel('optim_multi', optimMultiSource, { NT: chunk.length, ADAM: adam ? 1 : 0 }), {
      buffers, uniforms: { ...uni, _p0: 0, n, start, wd }, workgroups: grid(total * 256),
    });
  }
}
