/**
 * SGD and AdamW updating parameters in place on the GPU, plus global-norm clipping (the clip scale
 * is applied inside the update kernel, so no scaled copy of the gradients is made).
 *
 * Multi-tensor updates (AdamW.step, emaUpdate): parameters, gradients and moments stay separate named
 * tensors (the model owns its parameters; checkpoints store moments by name), and each step gathers
 * them into packed arenas with buffer copies, runs ONE update dispatch over the arenas, and scatters
 * the results back. On CPU adapters a copy is a memcpy on the queue thread while a dispatch wakes the
 * compute thread pool, so 7 copies per parameter cost far less than a dispatch per parameter
 * (kernels-bench case `adamw`). Groups are laid out consecutively; the kernel picks each element's
 * weight decay from the group bounds (at most 4 groups per dispatch; more groups take more dispatches).
 */
import { Tensor, scope, empty } from '../tensor/tensor';
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

  /** Per-parameter dispatches instead of the packed update (kept for comparison in kernels-bench). */
  packed = true;

  step(gradScale = 1): void {
    this.stepCount++;
    const [b1, b2] = this.betas;
    const bc1 = 1 - b1 ** this.stepCount, bc2 = 1 - b2 ** this.stepCount;
    if (this.packed) { this.stepPacked(gradScale, bc1, bc2); return; }
    for (const g of this.groups) for (const [name, p] of g.params) {
      if (!p.grad) continue;
      runtime().dispatch(optimK('adamw'), {
        buffers: { param: p.buffer, grad: p.grad.buffer, m: this.exp_avg.get(name)!.buffer, v: this.exp_avg_sq.get(name)!.buffer },
        uniforms: { n: p.size, lr: this.lr, beta1: b1, beta2: b2, eps: this.eps, wd: g.weightDecay, bc1, bc2, gscale: gradScale },
        workgroups: grid(p.size),
      });
    }
  }

  private stepPacked(gscale: number, bc1: number, bc2: number): void {
    const rt = runtime();
    // Up to 4 groups per dispatch; only parameters that have a gradient take part.
    for (let g0 = 0; g0 < this.groups.length; g0 += 4) {
      const groups = this.groups.slice(g0, g0 + 4);
      const items: { name: string; p: Tensor; off: number }[] = [];
      const bounds = [0, 0, 0, 0], wds = [0, 0, 0, 0];
      let n = 0;
      groups.forEach((g, gi) => {
        for (const [name, p] of g.params) if (p.grad && p.size > 0) { items.push({ name, p, off: n }); n += p.size; }
        bounds[gi] = n;
        wds[gi] = g.weightDecay;
      });
      for (let gi = groups.length; gi < 4; gi++) bounds[gi] = n;
      if (n === 0) continue;
      const P = empty([n]), G = empty([n]), M = empty([n]), V = empty([n]);
      for (const it of items) {
        const bytes = it.p.size * 4, off = it.off * 4;
        rt.copy(it.p.buffer, 0, P.buffer, off, bytes);
        rt.copy(it.p.grad!.buffer, 0, G.buffer, off, bytes);
        rt.copy(this.exp_avg.get(it.name)!.buffer, 0, M.buffer, off, bytes);
        rt.copy(this.exp_avg_sq.get(it.name)!.buffer, 0, V.buffer, off, bytes);
      }
      rt.dispatch(optimK('adamw_packed'), {
        buffers: { param: P.buffer, grad: G.buffer, m: M.buffer, v: V.buffer },
        uniforms: { n, lr: this.lr, beta1: this.betas[0], beta2: this.betas[1], eps: this.eps, bc1, bc2, gscale, bounds, wds },
        workgroups: grid(n),
      });
      for (const it of items) {
        const bytes = it.p.size * 4, off = it.off * 4;
        rt.copy(P.buffer, off, it.p.buffer, 0, bytes);
        rt.copy(M.buffer, off, this.exp_avg.get(it.name)!.buffer, 0, bytes);
        rt.copy(V.buffer, off, this.exp_avg_sq.get(it.name)!.buffer, 0, bytes);
      }
      for (const t of [P, G, M, V]) t.dispose();
    }
  }

  dispose(): void {
    for (const t of [...this.exp_avg.values(), ...this.exp_avg_sq.values()]) t.dispose();
  }
}

/** teacher ← tau·teacher + (1 − tau)·student (same order and shapes): packed into arenas, one dispatch. */
export function emaUpdate(teacher: Tensor[], student: Tensor[], tau: number): void {
  if (teacher.length !== student.length) throw new Error(`emaUpdate: ${teacher.length} teacher vs ${student.length} student tensors`);
  let n = 0;
  const offs = teacher.map((t, i) => {
    const s = student[i];
    if (t.size !== s.size) throw new Error(`emaUpdate: tensor ${i} has shapes [${t.shape}] and [${s.shape}]`);
    const o = n;
    n += t.size;
    return o;
  });
  if (n === 0) return;
  const rt = runtime();
  const T = empty([n]), S = empty([n]);
  teacher.forEach((t, i) => {
    if (t.size === 0) return;
    rt.copy(t.buffer, 0, T.buffer, offs[i] * 4, t.size * 4);
    rt.copy(student[i].buffer, 0, S.buffer, offs[i] * 4, t.size * 4);
  });
  rt.dispatch(optimK('ema_packed'), {
    buffers: { param: T.buffer, grad: S.buffer },
    uniforms: { n, lr: 0, beta1: tau, beta2: 0, eps: 0, bc1: 1, bc2: 1, gscale: 1, bounds: [n, n, n, n], wds: [0, 0, 0, 0] },
    workgroups: grid(n),
  });
  teacher.forEach((t, i) => { if (t.size) rt.copy(T.buffer, offs[i] * 4, t.buffer, 0, t.size * 4); });
  T.dispose();
  S.dispose();
}
