/**
 * The op cases of kernels-bench: matmul (every layout, the model's Linear shapes, a matrix-vector
 * product), fused linear+GELU, softmax, layer norm, a long reduction, a broadcast multiply, fused attention forward and
 * forward+backward (self and cross). Each gives our implementation, a float64 check of our result
 * where affordable (sampled for big shapes), and the same computation in tfjs and jax-js.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { Tensor, tensor, scope } from '../src/tensor/tensor';
import { backward, noGrad } from '../src/tensor/autograd';
import { erf, nd } from '../src/tensor/ndarray';
import { matmul, linear, softmax, layerNorm, sum, attention, attentionRef, mul } from '../src/ops';
import { rand } from './harness';
import { tfRead, jaxRead, type Tf, type Jax } from './peers';

export interface OursImpl { run(): void; result(): Promise<Float32Array>; check?(out: Float32Array): number | Promise<number>; dispose(): void }
/** One iteration of a peer, resolving with its result read back (the read is the queue sync). */
export interface PeerImpl { step(): Promise<Float32Array>; dispose(): void }

export interface BenchCase {
  name: string;
  shape: string;
  /** Floating-point operations of one iteration (for GFLOP/s). */
  flops: number;
  /** Only with --full (big shapes). */
  full?: boolean;
  ours(): OursImpl;
  tfjs?(tf: Tf): PeerImpl;
  jax?(jax: Jax): PeerImpl;
  /** Peers' outputs in another layout: map them to ours before comparing. */
  peerToOurs?(out: Float32Array): Float32Array;
}

const raw = (f: () => Tensor) => () => { scope(() => noGrad(f)); };
const read = (f: () => Tensor) => () => scope(() => noGrad(f)).toFloat32().then((x) => x);

/** Sampled float64 check: max |got − want| / max |want| over `samples` entries computed by `ref(i)`. */
function sampled(n: number, ref: (i: number) => number, samples = 256) {
  return (out: Float32Array): number => {
    let err = 0, scale = 1e-30;
    for (let s = 0; s < Math.min(samples, n); s++) {
      const i = n <= samples ? s : Math.floor((s * 2654435761) % n);
      const w = ref(i);
      scale = Math.max(scale, Math.abs(w));
      err = Math.max(err, Math.abs(out[i] - w));
    }
    return err / scale;
  };
}

function mmCase(name: string, M: number, N: number, K: number, tA: boolean, tB: boolean, full = false): BenchCase {
  const a = rand(M * K, 11), b = rand(K * N, 12);
  const aShape = tA ? [K, M] : [M, K], bShape = tB ? [N, K] : [K, N];
  const ga = (i: number, k: number) => (tA ? a[k * M + i] : a[i * K + k]);
  const gb = (k: number, j: number) => (tB ? b[j * K + k] : b[k * N + j]);
  return {
    name, full, flops: 2 * M * N * K,
    shape: `${M}x${K}${tA ? 'ᵀ' : ''} · ${K}x${N}${tB ? 'ᵀ' : ''}`,
    ours() {
      const A = tensor(a, aShape), B = tensor(b, bShape);
      const f = () => matmul(A, B, { transA: tA, transB: tB });
      return {
        run: raw(f), result: read(f), dispose: () => { A.dispose(); B.dispose(); },
        check: sampled(M * N, (i) => { const r = Math.floor(i / N), c = i % N; let s = 0; for (let k = 0; k < K; k++) s += ga(r, k) * gb(k, c); return s; }),
      };
    },
    tfjs(tf) {
      const A = tf.tensor(a, aShape), B = tf.tensor(b, bShape);
      return { step: async () => { const y = tf.matMul(A, B, tA, tB); const o = await tfRead(y); y.dispose(); return o; }, dispose: () => { A.dispose(); B.dispose(); } };
    },
    jax(jax) {
      const np = jax.numpy;
      const A = np.array(a).reshape(aShape), B = np.array(b).reshape(bShape);
      const f = jax.jit((x: any, y: any) => np.matmul(tA ? np.matrixTranspose(x) : x, tB ? np.matrixTranspose(y) : y));
      return { step: () => jaxRead(f(A.ref, B.ref)), dispose: () => { A.dispose(); B.dispose(); } };
    },
  };
}

function linearGeluCase(rows: number, inF: number, out: number, full = false): BenchCase {
  const x = rand(rows * inF, 21), w = rand(out * inF, 22, -0.1, 0.1), bb = rand(out, 23);
  const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
  return {
    name: 'linear+gelu', full, flops: 2 * rows * inF * out, shape: `${rows}x${inF} → ${out}`,
    ours() {
      const X = tensor(x, [rows, inF]), W = tensor(w, [out, inF]), B = tensor(bb, [out]);
      const f = () => linear(X, W, B, { gelu: true });
      return {
        run: raw(f), result: read(f), dispose: () => { X.dispose(); W.dispose(); B.dispose(); },
        check: sampled(rows * out, (i) => { const r = Math.floor(i / out), c = i % out; let s = bb[c]; for (let k = 0; k < inF; k++) s += x[r * inF + k] * w[c * inF + k]; return gelu(s); }),
      };
    },
    tfjs(tf) {
      const X = tf.tensor(x, [rows, inF]), W = tf.tensor(w, [out, inF]), B = tf.tensor(bb, [out]);
      return {
        step: async () => {
          const y = tf.tidy(() => { const z = tf.add(tf.matMul(X, W, false, true), B); return tf.mul(tf.mul(z, 0.5), tf.add(tf.erf(tf.mul(z, Math.SQRT1_2)), 1)); });
          const o = await tfRead(y); y.dispose(); return o;
        },
        dispose: () => { X.dispose(); W.dispose(); B.dispose(); },
      };
    },
    jax(jax) {
      const np = jax.numpy;
      const X = np.array(x).reshape([rows, inF]), W = np.array(w).reshape([out, inF]), B = np.array(bb);
      const f = jax.jit((xx: any, ww: any, b: any) => jax.nn.gelu(np.matmul(xx, np.matrixTranspose(ww)).add(b), { approximate: false }));
      return { step: () => jaxRead(f(X.ref, W.ref, B.ref)), dispose: () => { X.dispose(); W.dispose(); B.dispose(); } };
    },
  };
}

function softmaxCase(rows: number, cols: number): BenchCase {
  const x = rand(rows * cols, 31, -4, 4);
  return {
    name: 'softmax', flops: 5 * rows * cols, shape: `${rows}x${cols}`,
    ours() {
      const X = tensor(x, [rows, cols]);
      const f = () => softmax(X);
      return {
        run: raw(f), result: read(f), dispose: () => X.dispose(),
        check: sampled(rows * cols, (i) => { const r = Math.floor(i / cols); let m = -Infinity, s = 0; for (let j = 0; j < cols; j++) m = Math.max(m, x[r * cols + j]); for (let j = 0; j < cols; j++) s += Math.exp(x[r * cols + j] - m); return Math.exp(x[i] - m) / s; }),
      };
    },
    tfjs(tf) { const X = tf.tensor(x, [rows, cols]); return { step: async () => { const y = tf.softmax(X); const o = await tfRead(y); y.dispose(); return o; }, dispose: () => X.dispose() }; },
    jax(jax) { const X = jax.numpy.array(x).reshape([rows, cols]); const f = jax.jit((a: any) => jax.nn.softmax(a, -1)); return { step: () => jaxRead(f(X.ref)), dispose: () => X.dispose() }; },
  };
}

function layerNormCase(rows: number, cols: number): BenchCase {
  const x = rand(rows * cols, 41, -2, 2), w = rand(cols, 42, 0.5, 1.5), bb = rand(cols, 43);
  const eps = 1e-6;
  return {
    name: 'layernorm', flops: 8 * rows * cols, shape: `${rows}x${cols}`,
    ours() {
      const X = tensor(x, [rows, cols]), W = tensor(w, [cols]), B = tensor(bb, [cols]);
      const f = () => layerNorm(X, W, B, eps);
      return {
        run: raw(f), result: read(f), dispose: () => { X.dispose(); W.dispose(); B.dispose(); },
        check: sampled(rows * cols, (i) => {
          const r = Math.floor(i / cols), c = i % cols;
          let m = 0; for (let j = 0; j < cols; j++) m += x[r * cols + j]; m /= cols;
          let v = 0; for (let j = 0; j < cols; j++) v += (x[r * cols + j] - m) ** 2; v /= cols;
          return (x[i] - m) / Math.sqrt(v + eps) * w[c] + bb[c];
        }),
      };
    },
    tfjs(tf) {
      const X = tf.tensor(x, [rows, cols]), W = tf.tensor(w, [cols]), B = tf.tensor(bb, [cols]);
      return {
        step: async () => {
          const y = tf.tidy(() => { const { mean, variance } = tf.moments(X, -1, true); return tf.add(tf.mul(tf.mul(tf.sub(X, mean), tf.rsqrt(tf.add(variance, eps))), W), B); });
          const o = await tfRead(y); y.dispose(); return o;
        },
        dispose: () => { X.dispose(); W.dispose(); B.dispose(); },
      };
    },
    jax(jax) {
      const np = jax.numpy;
      const X = np.array(x).reshape([rows, cols]), W = np.array(w), B = np.array(bb);
      const f = jax.jit((a: any, ww: any, b: any) => {
        const m = np.mean(a.ref, -1, { keepdims: true });
        const d = a.sub(m);
        const v = np.mean(d.ref.mul(d.ref), -1, { keepdims: true });
        return d.mul(np.reciprocal(np.sqrt(v.add(eps)))).mul(ww).add(b);
      });
      return { step: () => jaxRead(f(X.ref, W.ref, B.ref)), dispose: () => { X.dispose(); W.dispose(); B.dispose(); } };
    },
  };
}

/** a ⊙ b with numpy broadcasting over [B, F, T] (b is [B, 1, T]: one mask row per clip and frame). */
function broadcastMulCase(B: number, F: number, T: number): BenchCase {
  const a = rand(B * F * T, 71), b = rand(B * T, 72);
  const ref = (i: number) => a[i] * b[Math.floor(i / (F * T)) * T + (i % T)];
  return {
    name: 'mul (broadcast)', flops: B * F * T, shape: `[${B},${F},${T}]·[${B},1,${T}]`,
    ours() {
      const A = tensor(a, [B, F, T]), M = tensor(b, [B, 1, T]);
      const f = () => mul(A, M);
      return { run: raw(f), result: read(f), dispose: () => { A.dispose(); M.dispose(); }, check: sampled(B * F * T, ref) };
    },
    tfjs(tf) { const A = tf.tensor(a, [B, F, T]), M = tf.tensor(b, [B, 1, T]); return { step: async () => { const y = tf.mul(A, M); const o = await tfRead(y); y.dispose(); return o; }, dispose: () => { A.dispose(); M.dispose(); } }; },
    jax(jax) {
      const np = jax.numpy;
      const A = np.array(a).reshape([B, F, T]), M = np.array(b).reshape([B, 1, T]);
      const f = jax.jit((x: any, m: any) => x.mul(m));
      return { step: () => jaxRead(f(A.ref, M.ref)), dispose: () => { A.dispose(); M.dispose(); } };
    },
  };
}

function sumCase(n: number): BenchCase {
  const x = rand(n, 51);
  let want = 0;
  for (let i = 0; i < n; i++) want += x[i];
  return {
    name: 'sum (two-stage)', flops: n, shape: `${n}`,
    ours() {
      const X = tensor(x, [n]);
      const f = () => sum(X);
      return { run: raw(f), result: read(f), dispose: () => X.dispose(), check: (o) => Math.abs(o[0] - want) / Math.max(Math.abs(want), 1) };
    },
    tfjs(tf) { const X = tf.tensor(x, [n]); return { step: async () => { const y = tf.sum(X); const o = await tfRead(y); y.dispose(); return o; }, dispose: () => X.dispose() }; },
    jax(jax) { const X = jax.numpy.array(x); const f = jax.jit((a: any) => jax.numpy.sum(a)); return { step: () => jaxRead(f(X.ref)), dispose: () => X.dispose() }; },
  };
}

function attentionCase(B: number, H: number, Nq: number, Nk: number, dh: number, withGrad: boolean, full = false): BenchCase {
  const q = rand(B * H * Nq * dh, 61), k = rand(B * H * Nk * dh, 62), v = rand(B * H * Nk * dh, 63), r = rand(B * H * Nq * dh, 64);
  const scale = 1 / Math.sqrt(dh);
  const qs = [B, H, Nq, dh], ks = [B, H, Nk, dh];
  const fwdFlops = 4 * B * H * Nq * Nk * dh;
  return {
    name: withGrad ? 'attention fwd+bwd' : 'attention fwd', full,
    flops: withGrad ? fwdFlops * 3.5 : fwdFlops,
    shape: `B${B} H${H} ${Nq}x${Nk} dh${dh}`,
    ours() {
      const Q = tensor(q, qs), K = tensor(k, ks), V = tensor(v, ks), R = tensor(r, qs);
      if (!withGrad) {
        const f = () => attention(Q, K, V, scale);
        return {
          run: raw(f), result: read(f), dispose: () => { for (const t of [Q, K, V, R]) t.dispose(); },
          check: (o) => {
            const want = attentionRef(nd(qs, q), nd(ks, k), nd(ks, v), scale).data;
            let e = 0, s = 1e-30;
            for (let i = 0; i < want.length; i++) { e = Math.max(e, Math.abs(o[i] - want[i])); s = Math.max(s, Math.abs(want[i])); }
            return e / s;
          },
        };
      }
      for (const t of [Q, K, V]) t.requireGrad();
      const grads = () => {
        scope(() => backward(attention(Q, K, V, scale), R));
        const g = [Q.grad!, K.grad!, V.grad!];
        Q.grad = K.grad = V.grad = null;
        return g;
      };
      return {
        run: () => { for (const g of grads()) g.dispose(); },
        result: async () => { const g = grads(); const o = await Promise.all(g.map((t) => t.toFloat32())); for (const t of g) t.dispose(); return concat(o); },
        dispose: () => { for (const t of [Q, K, V, R]) t.dispose(); },
      };
    },
    tfjs(tf) {
      const Q = tf.tensor(q, qs), K = tf.tensor(k, ks), V = tf.tensor(v, ks), R = tf.tensor(r, qs);
      const f = (a: any, b: any, c: any) => tf.matMul(tf.softmax(tf.mul(tf.matMul(a, b, false, true), scale)), c);
      const g = tf.grads((a: any, b: any, c: any) => f(a, b, c));
      return {
        step: async () => {
          const y = withGrad ? g([Q, K, V], R) : tf.tidy(() => f(Q, K, V));
          const o = await tfRead(y); for (const t of Array.isArray(y) ? y : [y]) t.dispose(); return o;
        },
        dispose: () => { for (const t of [Q, K, V, R]) t.dispose(); },
      };
    },
    jax(jax) {
      // jax.nn.dotProductAttention needs Node >= 22 (einsum uses iterator helpers): the same
      // composition as tfjs instead, in our [B, H, N, dh] layout, jit-compiled (jax-js fuses it).
      const np = jax.numpy;
      const Q = np.array(q).reshape(qs), K = np.array(k).reshape(ks), V = np.array(v).reshape(ks), R = np.array(r).reshape(qs);
      const fwd = (a: any, b: any, c: any) => np.matmul(jax.nn.softmax(np.matmul(a, np.matrixTranspose(b)).mul(scale), -1), c);
      const f = withGrad
        ? jax.jit(jax.grad((a: any, b: any, c: any, rr: any) => np.sum(fwd(a, b, c).mul(rr)), { argnums: [0, 1, 2] }))
        : jax.jit(fwd);
      return {
        step: () => jaxRead(withGrad ? f(Q.ref, K.ref, V.ref, R.ref) : f(Q.ref, K.ref, V.ref)),
        dispose: () => { for (const t of [Q, K, V, R]) t.dispose(); },
      };
    },
  };
}

export function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const att = (B: number, H: number, Nq: number, Nk: number, dh: number, g: boolean, full = false) => attentionCase(B, H, Nq, Nk, dh, g, full);

/** The case table. Model shapes: tiny D 192 (3 heads), base D 768 (12 heads), 190 tokens, 57 visible. */
export function opCases(): BenchCase[] {
  return [
    mmCase('matmul', 1024, 1024, 1024, false, false),
    mmCase('matmul A·Bᵀ', 1024, 1024, 1024, false, true),
    mmCase('matmul Aᵀ·B', 1024, 1024, 1024, true, false),
    mmCase('matmul (tiny qkv)', 8 * 190, 576, 192, false, true),
    mmCase('matmul (tiny fc2 dW)', 192, 768, 8 * 190, true, false),
    mmCase('matvec', 1, 3072, 768, false, true),
    mmCase('matmul (base fc1)', 8 * 190, 3072, 768, false, true, true),
    mmCase('matmul', 2048, 2048, 2048, false, false, true),
    linearGeluCase(8 * 190, 192, 768),
    linearGeluCase(8 * 190, 768, 3072, true),
    softmaxCase(8 * 3 * 190, 190),
    layerNormCase(8 * 190, 192),
    layerNormCase(64 * 190, 768),
    sumCase(1 << 22),
    broadcastMulCase(8, 80, 608),
    att(8, 3, 190, 190, 64, false),
    att(8, 3, 190, 190, 64, true),
    att(8 * 4, 4, 133, 57, 32, false),
    att(8 * 4, 4, 133, 57, 32, true),
    att(8, 12, 190, 190, 64, true, true),
  ].map((c) => c);
}
