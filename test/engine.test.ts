// Runtime, ownership, autograd and error behaviour of the engine core.
import { describe, expect, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { Kernel } from '../src/gpu/kernel';
import { tensor, scope, keep, fromBuffer, empty, type Tensor } from '../src/tensor/tensor';
import { backward, noGrad } from '../src/tensor/autograd';
import { add, mul, matmul, linear, sum, exp, conv2d, layerNorm, indexSelect, randn, reshape } from '../src/ops';
import { Rng } from '../src/util/rng';

const { rt } = useGpu();

describe('errors', () => {
  it('shape mismatch names the op and both shapes', () => {
    const a = tensor(new Float32Array(6), [2, 3]), b = tensor(new Float32Array(4), [4]);
    expect(() => add(a, b)).toThrow('add: shapes [2,3] and [4] cannot be broadcast');
    expect(() => matmul(a, tensor(new Float32Array(8), [4, 2]))).toThrow(/matmul: inner dimensions differ for shapes \[2,3\] and \[4,2\]/);
    expect(() => conv2d(tensor(new Float32Array(16), [1, 1, 4, 4]), tensor(new Float32Array(18), [1, 2, 3, 3]), null)).toThrow(/conv2d: input \[1,1,4,4\] has 1 channels but weight \[1,2,3,3\]/);
    expect(() => layerNorm(a, tensor([1, 1]), tensor([0, 0]))).toThrow('layerNorm: weight has shape [2], expected [3]');
    expect(() => reshape(a, [4, 2])).toThrow('reshape: cannot view shape [2,3] as [4,2]');
  });
  it('using a disposed tensor throws', async () => {
    const a = tensor([1, 2, 3]);
    a.dispose();
    expect(() => exp(a)).toThrow(/used after dispose/);
    await expect(a.toArray()).rejects.toThrow(/used after dispose/);
  });
  it('an invalid kernel reports the shader name (async compile and sync dispatch)', async () => {
    const bad = new Kernel('broken-shader:main', `
      @group(0) @binding(0) var<storage, read_write> y: array<f32>;
      @compute @workgroup_size(64) fn main() { y[0] = undefined_name; }`);
    await expect(rt().compile(bad)).rejects.toThrow(/kernel broken-shader:main: WGSL compilation failed/);
    const y = empty([4]);
    rt().dispatch(bad, { buffers: { y: y.buffer }, workgroups: [1] });
    await expect(y.toArray()).rejects.toThrow(/broken-shader:main/);
  });
  it('index out of range is an error on the CPU path', () => {
    expect(() => indexSelect(tensor([1, 2, 3]), 0, [0, 3])).toThrow('indexSelect: index 3 out of range [0, 3)');
  });
});

describe('ownership', () => {
  it('scope disposes what it created except its result and kept tensors', () => {
    const before = rt().stats().liveBuffers;
    let kept!: ReturnType<typeof tensor>;
    const r = scope(() => {
      const a = tensor([1, 2]), b = tensor([3, 4]);
      kept = keep(mul(a, b));
      return add(a, b);
    });
    expect(rt().stats().liveBuffers).toBe(before + 2);
    r.dispose(); kept.dispose();
    expect(rt().stats().liveBuffers).toBe(before);
  });
  it('reshape shares storage; the buffer is freed with the last reference', () => {
    const before = rt().stats().liveBuffers;
    const a = tensor([1, 2, 3, 4]);
    const v = reshape(a, [2, 2]);
    a.dispose();
    expect(rt().stats().liveBuffers).toBe(before + 1);
    v.dispose();
    expect(rt().stats().liveBuffers).toBe(before);
  });
  it('wraps a host GPUBuffer without copying and never frees it', async () => {
    const dev = rt().device;
    const buf = dev.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    dev.queue.writeBuffer(buf, 0, new Float32Array([1, 2, 3, 4]));
    const t = fromBuffer(buf, [4]);
    const y = mul(t, 2);
    expect([...(await y.toArray())]).toEqual([2, 4, 6, 8]);
    t.dispose(); y.dispose();
    dev.queue.writeBuffer(buf, 0, new Float32Array([5, 5, 5, 5])); // still valid
    await rt().sync();
    buf.destroy();
  });
});

describe('autograd', () => {
  it('accumulates gradients across backward calls; noGrad records nothing; detach cuts the graph', async () => {
    const x = tensor([1, 2, 3]).requireGrad();
    for (let i = 0; i < 2; i++) scope(() => backward(sum(mul(x, x))));
    expect([...(await x.grad!.toArray())]).toEqual([4, 8, 12]);
    const y = noGrad(() => mul(x, x));
    expect(y.requiresGrad).toBe(false);
    const d = x.detach();
    expect(mul(d, 2).requiresGrad).toBe(false);
  });
  it('backward frees the graph (saved tensors released)', () => {
    const x = randn([64, 64], new Rng(1)).requireGrad();
    const before = rt().stats().liveBuffers;
    scope(() => backward(sum(exp(matmul(x, x)))));
    expect(rt().stats().liveBuffers).toBe(before + 1); // only x.grad
    x.grad!.dispose(); x.grad = null;
  });
  it('matmul and linear compute only the gradients their inputs need, and the same ones', async () => {
    const rng = new Rng(5);
    const data = randn([37, 20], rng), w = randn([11, 20], rng).requireGrad(), b = randn([11], rng).requireGrad();
    // Gradients of sum(f(x)²) for x, w, b, and the dispatches its backward took.
    const grads = async (f: (x: Tensor) => Tensor, x: Tensor) => {
      const d0 = rt().dispatchCount;
      scope(() => { const y = f(x); backward(sum(mul(y, y))); });
      const n = rt().dispatchCount - d0;
      const out = await Promise.all([x, w, b].map(async (t) => {
        const g = t.grad ? [...(await t.grad.toArray())] : null;
        t.grad?.dispose(); t.grad = null;
        return g;
      }));
      return { n, out };
    };
    for (const f of [(x: Tensor) => matmul(x, w, { transB: true }), (x: Tensor) => linear(x, w, b)]) {
      const dataIn = await grads(f, data);
      const xg = data.detach().requireGrad();
      const gradIn = await grads(f, xg);
      expect(dataIn.out[0]).toBeNull(); // the data operand gets no gradient ...
      expect(gradIn.out[0]).not.toBeNull();
      expect(dataIn.out[1]).toEqual(gradIn.out[1]); // ... and the weight's is the same either way
      expect(dataIn.out[2]).toEqual(gradIn.out[2]);
      expect(dataIn.n).toBeLessThan(gradIn.n); // dX's matmul did not run
      xg.dispose();
    }
  });
});

describe('generator and timing', () => {
  it('restoring the generator state reproduces the same draws', () => {
    const r = new Rng(42);
    r.normal();
    const st = r.serialize();
    const a = [r.normal(), r.uniform(), r.nextU32()];
    const r2 = Rng.deserialize(st);
    expect([r2.normal(), r2.uniform(), r2.nextU32()]).toEqual(a);
  });
  it('timestamp queries measure GPU time when the adapter has them', async ({ skip }) => {
    skip(!rt().features.timestampQuery, 'this adapter has no timestamp-query feature (node dist/gpu-check.js lists features)');
    expect(rt().beginTiming()).toBe(true);
    const a = randn([128, 128], new Rng(2));
    for (let i = 0; i < 4; i++) matmul(a, a).dispose();
    const ms = await rt().endTiming();
    expect(ms).toBeGreaterThan(0);
    a.dispose();
  });
});
