/**
 * Whole-step cases: one pre-LN transformer block (spec section 4) forward + backward at the tiny shape
 * (D 192, 3 heads, 190 tokens) and a base-like shape (D 768, 12 heads), ours vs jax-js `grad` over the
 * same function (the gradients of every parameter and of the input are compared); and the optimizer
 * updates over the tiny encoder's parameter set, packed (one dispatch) vs per parameter.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { Tensor, tensor, scope } from '../src/tensor/tensor';
import { backward } from '../src/tensor/autograd';
import { add, layerNorm, linear, selfAttention } from '../src/ops';
import { AdamW, emaUpdate } from '../src/optim/optimizers';
import { rand } from './harness';
import { jaxRead, type Jax } from './peers';
import { concat, type BenchCase } from './cases';

interface BlockShape { B: number; N: number; D: number; H: number }

const PARAMS = (D: number): [string, number[]][] => [
  ['n1w', [D]], ['n1b', [D]], ['qkvw', [3 * D, D]], ['qkvb', [3 * D]], ['projw', [D, D]], ['projb', [D]],
  ['n2w', [D]], ['n2b', [D]], ['fc1w', [4 * D, D]], ['fc1b', [4 * D]], ['fc2w', [D, 4 * D]], ['fc2b', [D]],
];

function blockInit(s: BlockShape) {
  const { B, N, D } = s;
  const params = PARAMS(D).map(([name, shape], i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = name.endsWith('w') && shape.length === 1 ? rand(n, 100 + i, 0.8, 1.2) : rand(n, 100 + i, -0.05, 0.05);
    return { name, shape, data };
  });
  return { params, x: rand(B * N * D, 90), r: rand(B * N * D, 91) };
}

/** x + attn(LN1 x); + mlp(LN2 ·), in our ops (heads read from the packed qkv by strides). */
function blockOurs(s: BlockShape, x: Tensor, p: Record<string, Tensor>): Tensor {
  const { D, H } = s, dh = D / H;
  const h = layerNorm(x, p.n1w, p.n1b, 1e-6);
  const o = selfAttention(linear(h, p.qkvw, p.qkvb), H, 1 / Math.sqrt(dh));
  const x1 = add(x, linear(o, p.projw, p.projb));
  const m = linear(linear(layerNorm(x1, p.n2w, p.n2b, 1e-6), p.fc1w, p.fc1b, { gelu: true }), p.fc2w, p.fc2b);
  return add(x1, m);
}

function blockJax(jax: Jax, s: BlockShape) {
  const np = jax.numpy;
  const { B, N, D, H } = s, dh = D / H;
  const ln = (x: any, w: any, b: any) => {
    const m = np.mean(x.ref, -1, { keepdims: true });
    const d = x.sub(m);
    const v = np.mean(d.ref.mul(d.ref), -1, { keepdims: true });
    return d.mul(np.reciprocal(np.sqrt(v.add(1e-6)))).mul(w).add(b);
  };
  const lin = (x: any, w: any, b: any) => np.matmul(x, np.matrixTranspose(w)).add(b);
  // Loss Σ block(x)·r; gradients for the input and all 12 parameters.
  return (x: any, r: any, n1w: any, n1b: any, qkvw: any, qkvb: any, projw: any, projb: any, n2w: any, n2b: any, fc1w: any, fc1b: any, fc2w: any, fc2b: any) => {
    const qkv = lin(ln(x.ref, n1w, n1b), qkvw, qkvb).reshape([B, N, 3, H, dh]);
    // [B, N, 3, H, dh] → q, k, v [B, H, N, dh]; softmax(q kᵀ/√dh) v composed (jax.nn.dotProductAttention
    // needs Node >= 22 for its einsum), jit fuses what it can.
    const heads = (i: number, t: any) => t.slice([], [], [i, i + 1]).reshape([B, N, H, dh]).transpose([0, 2, 1, 3]);
    const q = heads(0, qkv.ref), k = heads(1, qkv.ref), v = heads(2, qkv);
    const att = jax.nn.softmax(np.matmul(q, np.matrixTranspose(k)).mul(1 / Math.sqrt(dh)), -1);
    const o = np.matmul(att, v).transpose([0, 2, 1, 3]).reshape([B, N, D]);
    const x1 = x.add(lin(o, projw, projb));
    const m = lin(jax.nn.gelu(lin(ln(x1.ref, n2w, n2b), fc1w, fc1b), { approximate: false }), fc2w, fc2b);
    return np.sum(x1.add(m).mul(r));
  };
}

export function blockCase(s: BlockShape, full = false): BenchCase {
  const { B, N, D, H } = s;
  const init = blockInit(s);
  const T = B * N;
  // forward ≈ 24·T·D² (linears) + 4·T·N·D (attention); backward ≈ 2× forward.
  const flops = 3 * (24 * T * D * D + 4 * T * N * D);
  return {
    name: 'block fwd+bwd', full, flops, shape: `B${B} N${N} D${D} H${H}`,
    ours() {
      const x = tensor(init.x, [B, N, D]).requireGrad(), r = tensor(init.r, [B, N, D]);
      const p: Record<string, Tensor> = {};
      for (const q of init.params) p[q.name] = tensor(q.data, q.shape).requireGrad();
      const order = [x, ...init.params.map((q) => p[q.name])];
      const step = () => {
        scope(() => backward(blockOurs(s, x, p), r));
        const g = order.map((t) => t.grad!);
        for (const t of order) t.grad = null;
        return g;
      };
      return {
        run: () => { for (const g of step()) g.dispose(); },
        result: async () => { const g = step(); const o = await Promise.all(g.map((t) => t.toFloat32())); for (const t of g) t.dispose(); return concat(o); },
        dispose: () => { for (const t of [...order, r]) t.dispose(); },
      };
    },
    jax(jax) {
      const np = jax.numpy;
      const x = np.array(init.x).reshape([B, N, D]), r = np.array(init.r).reshape([B, N, D]);
      const ps = init.params.map((q) => np.array(q.data).reshape(q.shape));
      const argnums = [0, ...init.params.map((_, i) => i + 2)];
      const f = jax.jit(jax.grad(blockJax(jax, s), { argnums }));
      return {
        step: () => jaxRead(f(x.ref, r.ref, ...ps.map((q: any) => q.ref))),
        dispose: () => { for (const t of [x, r, ...ps]) t.dispose(); },
      };
    },
  };
}

/** The tiny encoder's parameters (4 blocks of D 192): AdamW and EMA over all of them. */
function tinyParamShapes(): number[][] {
  const out: number[][] = [];
  for (let b = 0; b < 4; b++) for (const [, s] of PARAMS(192)) out.push(s);
  out.push([192], [192]);
  return out;
}

export function optimizerCases(): BenchCase[] {
  const shapes = tinyParamShapes();
  const n = shapes.reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
  const setup = (packed: boolean) => {
    const ps = shapes.map((s, i) => { const t = tensor(rand(s.reduce((a, b) => a * b, 1), 200 + i), s).requireGrad(); t.grad = tensor(rand(t.size, 300 + i), s); return t; });
    const opt = new AdamW([{ params: ps.slice(0, 20).map((t, i) => [`a${i}`, t]), weightDecay: 0.05 }, { params: ps.slice(20).map((t, i) => [`b${i}`, t]), weightDecay: 0 }], { lr: 1e-3, betas: [0.9, 0.95] });
    opt.packed = packed;
    return { ps, opt, read: async () => concat(await Promise.all(ps.map((t) => t.toFloat32()))), dispose: () => { opt.dispose(); for (const t of ps) t.dispose(); } };
  };
  const mk = (packed: boolean): BenchCase => ({
    name: packed ? 'adamw (multi-tensor)' : 'adamw (per parameter)', flops: 12 * n, shape: `${shapes.length} tensors, ${n} values`,
    ours() {
      const a = setup(packed);
      return {
        run: () => a.opt.step(0.5),
        result: async () => { a.opt.step(0.5); return a.read(); },
        // Second path: the per-parameter kernel from the same start, one step.
        check: async (out) => {
          const b = setup(!packed);
          b.opt.step(0.5);
          const want = await b.read();
          b.dispose();
          let e = 0, sc = 1e-30;
          for (let i = 0; i < want.length; i++) { e = Math.max(e, Math.abs(out[i] - want[i])); sc = Math.max(sc, Math.abs(want[i])); }
          return e / sc;
        },
        dispose: a.dispose,
      };
    },
  });
  const ema: BenchCase = {
    name: 'ema (multi-tensor)', flops: 3 * n, shape: `${shapes.length} tensors, ${n} values`,
    ours() {
      const te = shapes.map((s, i) => tensor(rand(s.reduce((a, b) => a * b, 1), 400 + i), s));
      const st = shapes.map((s, i) => tensor(rand(s.reduce((a, b) => a * b, 1), 500 + i), s));
      const want = concat(shapes.map((s, i) => { const m = s.reduce((a, b) => a * b, 1); const t0 = rand(m, 400 + i), s0 = rand(m, 500 + i); return t0.map((v, j) => 0.99 * v + 0.01 * s0[j]); }));
      return {
        run: () => emaUpdate(te, st, 0.99),
        result: async () => { emaUpdate(te, st, 0.99); return concat(await Promise.all(te.map((t) => t.toFloat32()))); },
        check: (out) => { let e = 0; for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(out[i] - want[i])); return e; },
        dispose: () => { for (const t of [...te, ...st]) t.dispose(); },
      };
    },
  };
  return [mk(true), mk(false), ema];
}
