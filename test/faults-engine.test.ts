// Engine API under misuse and faults: over-limit tensors, a second backward, async functions in
// scopes, a failed read-back, and two kernels that share a name.
import { describe, expect, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { Kernel } from '../src/gpu/kernel';
import { bucketSize } from '../src/gpu/pool';
import { empty, fromBuffer, scope, scopeAsync, scopeDepth, tensor } from '../src/tensor/tensor';
import { backward, freeGraph } from '../src/tensor/autograd';
import { exp, full, mean, mul, sum } from '../src/ops';

const { rt } = useGpu();

describe('tensors over the binding limit', () => {
  it('are refused when made, in one line naming the op and shape, before anything is allocated', () => {
    const limit = rt().maxBindingBytes;
    const before = rt().stats();
    const over = limit / 4 + 1;
    expect(() => empty([over])).toThrow(`empty: shape [${over}] f32 needs`);
    // The case: 300 M floats through an op (full -> copy:fill), and through a 2-D shape.
    for (const shape of [[300_000_000], [20_000, 15_000]]) {
      let msg = '';
      try { full(shape, 1); } catch (e) { msg = (e as Error).message; }
      expect(msg).toMatch(new RegExp(`^full: shape \\[${shape}\\] f32 needs 1\\.20 GB, over this adapter's limit of .+ per tensor \\(${rt().maxBindingLimitName}\\)$`));
    }
    expect(rt().stats().created).toBe(before.created);
    expect(rt().stats().liveBuffers).toBe(before.liveBuffers);
  });

  it('a tensor of exactly the limit is made and used', async () => {
    const n = rt().maxBindingBytes / 4;
    const t = full([n], 2.5);
    expect([...new Float32Array(await rt().read(t.buffer, 8, n * 4 - 8))]).toEqual([2.5, 2.5]);
    t.dispose();
    rt().pool.trim();
  });

  it('pool buckets never round a fitting request past the limit', () => {
    const limit = 3 * 2 ** 27 - 12; // not a power of two, as some adapters report
    expect(bucketSize(3 * 2 ** 27 - 1000, limit)).toBe(3 * 2 ** 27 - 1000);
    expect(bucketSize(2 ** 27 + 4, limit)).toBe(2 ** 27 + 2 ** 25); // ordinary bucket below the limit
    expect(bucketSize(limit, limit)).toBe(limit);
  });

  it('host buffers and raw dispatches over the limit are refused too', () => {
    const limit = rt().maxBindingBytes;
    const huge = { size: limit + 256 } as GPUBuffer; // never reaches Dawn: the size check comes first
    expect(() => fromBuffer(huge, [4])).toThrow(/^fromBuffer: buffer of .* for \[4\] is over this adapter's limit/);
    const k = new Kernel('limit-probe:main', `
      @group(0) @binding(0) var<storage, read_write> y: array<f32>;
      @compute @workgroup_size(1) fn main() { y[0] = 1.0; }`);
    expect(() => rt().dispatch(k, { buffers: { y: huge }, workgroups: [1] })).toThrow(/^kernel limit-probe:main: buffer "y" of .* is over this adapter's limit/);
  });
});

describe('backward through a freed graph', () => {
  const FREED = /^backward\(\): the graph behind Tensor\(#\d+, \[.*\], f32\) was already freed by an earlier backward\(\) or freeGraph\(\)/;

  it('a second backward on the same graph throws', async () => {
    const x = tensor([1, 2, 3]).requireGrad();
    const loss = sum(mul(x, x));
    backward(loss);
    expect(() => backward(loss)).toThrow(FREED);
    expect([...(await x.grad!.toArray())]).toEqual([2, 4, 6]); // unchanged by the refused call
    x.dispose(); loss.dispose();
  });

  it('a backward that reaches a part freed by another backward throws instead of stopping there', () => {
    const x = tensor([0.5, -1]).requireGrad();
    const h = exp(x);
    const a = sum(h), b = mean(h);
    backward(a);
    const live = rt().stats().liveBuffers;
    expect(() => backward(b)).toThrow(FREED);
    expect(h.grad).toBeNull(); // h was not mistaken for a leaf
    expect(rt().stats().liveBuffers).toBe(live);
    freeGraph(b);
    expect(() => backward(b)).toThrow(FREED);
    for (const t of [x, h, a, b]) t.dispose();
  });

  it('backward of a leaf gives it a gradient of ones', async () => {
    const x = tensor([7]).requireGrad();
    backward(x);
    expect([...(await x.grad!.toArray())]).toEqual([1]);
    x.dispose();
  });
});

describe('scopes with async functions', () => {
  it('scope(async fn) throws a clear error and leaves the scope stack intact', () => {
    const live = rt().stats().liveBuffers;
    expect(() => scope(async () => { tensor([1, 2]); await Promise.resolve(); })).toThrow('scope(): fn returned a Promise; use scopeAsync() for async functions');
    expect(scopeDepth()).toBe(0);
    expect(rt().stats().liveBuffers).toBe(live); // what it made before its first await was disposed
    const r = scope(() => {
      expect(() => scope(async () => 1)).toThrow(/use scopeAsync/);
      expect(scopeDepth()).toBe(1);
      tensor([3]);
      return tensor([4]);
    });
    expect(scopeDepth()).toBe(0);
    expect(rt().stats().liveBuffers).toBe(live + 1);
    r.dispose();
  });

  it('scopeAsync disposes what fn made when it rejects', async () => {
    const live = rt().stats().liveBuffers;
    await expect(scopeAsync(async () => {
      tensor([1]);
      await Promise.resolve();
      tensor([2, 3]);
      throw new Error('rejected inside');
    })).rejects.toThrow('rejected inside');
    expect(scopeDepth()).toBe(0);
    expect(rt().stats().liveBuffers).toBe(live);
  });
});

describe('read-back failure', () => {
  it('releases the staging buffer when mapAsync rejects', async () => {
    const t = tensor([1, 2, 3, 4]);
    await t.toArray(); // a staging buffer of this size now sits in the pool
    const staged = rt().stagingStats();
    const proto = GPUBuffer.prototype as { mapAsync: GPUBuffer['mapAsync'] };
    const mapAsync = proto.mapAsync;
    proto.mapAsync = () => Promise.reject(new Error('injected mapAsync failure'));
    try {
      await expect(t.toArray()).rejects.toThrow('injected mapAsync failure');
    } finally {
      proto.mapAsync = mapAsync;
    }
    const after = rt().stagingStats();
    expect(after.liveBuffers).toBe(staged.liveBuffers);
    expect(after.liveBytes).toBe(staged.liveBytes);
    expect(after.pooledBuffers).toBe(staged.pooledBuffers - 1); // destroyed, not put back for reuse
    expect([...(await t.toArray())]).toEqual([1, 2, 3, 4]);
    t.dispose();
  });
});

describe('pipeline cache', () => {
  it('two kernels with one name and different source get their own pipelines', async () => {
    const k = (v: number) => new Kernel('same-name:main', `
      @group(0) @binding(0) var<storage, read_write> y: array<f32>;
      @compute @workgroup_size(1) fn main() { y[0] = ${v}.0; }`);
    const y = empty([1]);
    rt().dispatch(k(1), { buffers: { y: y.buffer }, workgroups: [1] });
    expect(await y.item()).toBe(1);
    rt().dispatch(k(2), { buffers: { y: y.buffer }, workgroups: [1] });
    expect(await y.item()).toBe(2);
    const a = k(3), b = k(4); // also when compiled ahead of use
    await rt().compile(a);
    await rt().compile(b);
    rt().dispatch(b, { buffers: { y: y.buffer }, workgroups: [1] });
    expect(await y.item()).toBe(4);
    y.dispose();
  });
});
