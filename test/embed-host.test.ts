/**
 * Embedding in a host app (docs/embedding.md): the host creates its own GPUDevice and buffers, the
 * engine adopts the device (`init({ device })`), wraps the host's buffers without copying
 * (`fromBuffer`), runs ops and a backward pass on them and hands GPUBuffers back (`t.buffer`). The host
 * reads everything through its own mapping. Checked: the numbers, that no copy was made, and that the
 * engine never destroys the host's device or buffers (spied `destroy` calls, and the objects still
 * work afterwards without validation errors).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { create, globals } from 'webgpu';
import { init, setRuntime, Runtime } from '../src/gpu/runtime';
import { fromBuffer, scope } from '../src/tensor/tensor';
import { backward } from '../src/tensor/autograd';
import { add, matmul, mean, square, sub, tanh } from '../src/ops';
import { SGD } from '../src/optim/optimizers';

Object.assign(globalThis, globals);

let gpu: GPU | null = null;
let device: GPUDevice;
let rt: Runtime;
const destroyCalls: string[] = [];
const usage = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08 /* COPY_DST */;

/** A host buffer whose destroy() is spied on, so an engine call to it would be recorded. */
function hostBuffer(name: string, values: ArrayLike<number>): GPUBuffer {
  const buf = device.createBuffer({ size: values.length * 4, usage, mappedAtCreation: true, label: `host:${name}` });
  new Float32Array(buf.getMappedRange()).set(values);
  buf.unmap();
  const real = buf.destroy.bind(buf);
  Object.defineProperty(buf, 'destroy', { value: () => { destroyCalls.push(name); real(); }, configurable: true });
  return buf;
}

/** Read through the host's own staging buffer and mapping (not the engine's read path). */
async function hostRead(buf: GPUBuffer, count: number): Promise<Float32Array> {
  const staging = device.createBuffer({ size: count * 4, usage: 0x1 /* MAP_READ */ | 0x8 /* COPY_DST */ });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, staging, 0, count * 4);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(0x1 /* GPUMapMode.READ */);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}

/** Run `fn` on the device and return any validation error it caused (a destroyed buffer would). */
async function validationError(fn: () => Promise<unknown>): Promise<string | null> {
  device.pushErrorScope('validation');
  await fn();
  const err = await device.popErrorScope();
  return err ? err.message : null;
}

// Row-major CPU references.
function matmulCpu(a: number[], b: number[], m: number, k: number, n: number): number[] {
  const out = new Array(m * n).fill(0);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) out[i * n + j] += a[i * k + p] * b[p * n + j];
  return out;
}

const M = 5, K = 7, N = 3;
const xv = Array.from({ length: M * K }, (_, i) => Math.fround(Math.sin(i + 1)));
const wv = Array.from({ length: K * N }, (_, i) => Math.fround(0.3 * Math.cos(2 * i + 1)));
const bv = [0.1, -0.2, 0.3];
const tv = Array.from({ length: M * N }, (_, i) => Math.fround(0.5 * Math.sin(3 * i)));

beforeAll(async () => {
  gpu = create([]) as GPU;
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter: run `bash scripts/setup.sh`');
  device = await adapter.requestDevice();
  const realDestroy = device.destroy.bind(device);
  Object.defineProperty(device, 'destroy', { value: () => { destroyCalls.push('device'); realDestroy(); }, configurable: true });
  rt = await init({ device });
});

afterAll(() => {
  setRuntime(null);
  device?.destroy();
  gpu = null;
});

describe('embedding in a host app', () => {
  it('adopts the host device, runs forward and backward on wrapped host buffers, hands buffers back', async () => {
    expect(rt.device).toBe(device);
    const xBuf = hostBuffer('x', xv), wBuf = hostBuffer('w', wv), bBuf = hostBuffer('b', bv), tBuf = hostBuffer('t', tv);
    const pooledBefore = rt.stats().created;

    const x = fromBuffer(xBuf, [M, K]);
    const w = fromBuffer(wBuf, [K, N]).requireGrad();
    const b = fromBuffer(bBuf, [N]).requireGrad();
    const target = fromBuffer(tBuf, [M, N]);
    expect(w.buffer).toBe(wBuf); // no copy: the tensor is the host's buffer

    const { y, loss } = scope(() => {
      const y = tanh(add(matmul(x, w), b));
      return { y, loss: mean(square(sub(y, target))) };
    });
    backward(loss);
    rt.flush(); // the engine's recorded work goes to the queue before the host's own submissions

    // Forward, read by the host from the engine-owned output buffer.
    const yHost = await hostRead(y.buffer, M * N);
    const pre = matmulCpu(xv, wv, M, K, N).map((v, i) => v + bv[i % N]);
    const yRef = pre.map(Math.tanh);
    for (let i = 0; i < M * N; i++) expect(yHost[i]).toBeCloseTo(yRef[i], 5);

    // Backward: dL/dy = 2(y − t)/(M·N); through tanh; dW = xᵀ·g, db = Σ_rows g.
    const g = yRef.map((v, i) => (2 * (v - tv[i]) / (M * N)) * (1 - v * v));
    const xT = Array.from({ length: K * M }, (_, i) => xv[(i % M) * K + Math.floor(i / M)]);
    const dwRef = matmulCpu(xT, g, K, M, N);
    const dbRef = [0, 1, 2].map((j) => g.filter((_, i) => i % N === j).reduce((s, v) => s + v, 0));
    const dw = await hostRead(w.grad!.buffer, K * N), db = await hostRead(b.grad!.buffer, N);
    for (let i = 0; i < K * N; i++) expect(dw[i]).toBeCloseTo(dwRef[i], 5);
    for (let i = 0; i < N; i++) expect(db[i]).toBeCloseTo(dbRef[i], 5);

    // An optimiser step writes into the host's buffers in place.
    new SGD([w, b], 0.5).step();
    rt.flush();
    const wNew = await hostRead(wBuf, K * N);
    for (let i = 0; i < K * N; i++) expect(wNew[i]).toBeCloseTo(wv[i] - 0.5 * dwRef[i], 5);

    // rt.copy hands a result to a host-owned buffer, ordered with the engine's work.
    const outBuf = hostBuffer('out', new Array(M * N).fill(0));
    rt.copy(y.buffer, 0, outBuf, 0, M * N * 4);
    rt.flush();
    const copied = await hostRead(outBuf, M * N);
    expect([...copied]).toEqual([...yHost]);

    // Wrapped buffers never entered the engine's pool; disposing them does not destroy them.
    expect(rt.stats().created - pooledBefore).toBeGreaterThan(0); // (outputs and grads did)
    for (const t of [x, w, b, target, y, loss]) t.dispose();
    expect(destroyCalls).toEqual([]);
    const err = await validationError(async () => {
      device.queue.writeBuffer(xBuf, 0, new Float32Array([42]));
      expect((await hostRead(xBuf, 1))[0]).toBe(42);
      expect((await hostRead(wBuf, 1))[0]).toBeCloseTo(wNew[0], 6);
    });
    expect(err).toBeNull();
    for (const buf of [xBuf, wBuf, bBuf, tBuf, outBuf]) buf.destroy();
    destroyCalls.length = 0;
  });

  it('rt.destroy() leaves the host device and buffers alone', async () => {
    const keepBuf = hostBuffer('keep', [1, 2, 3, 4]);
    const k = fromBuffer(keepBuf, [4]);
    scope(() => square(k)).dispose();
    rt.destroy();
    expect(destroyCalls).toEqual([]);
    let lost = false;
    void device.lost.then(() => { lost = true; });
    const err = await validationError(async () => {
      expect([...(await hostRead(keepBuf, 4))]).toEqual([1, 2, 3, 4]);
      // The device still creates and runs new work.
      const fresh = device.createBuffer({ size: 16, usage });
      device.queue.writeBuffer(fresh, 0, new Float32Array([5, 6, 7, 8]));
      expect([...(await hostRead(fresh, 4))]).toEqual([5, 6, 7, 8]);
      fresh.destroy();
    });
    expect(err).toBeNull();
    expect(lost).toBe(false);
    keepBuf.destroy();
    expect(destroyCalls).toEqual(['keep']); // only the host's own call
  });

  it('examples/embed-host-device.mjs runs from the built library and exits', () => {
    expect(existsSync('dist/index.js'), 'run `node build.mjs` first (npm test does)').toBe(true);
    const out = execFileSync(process.execPath, ['examples/embed-host-device.mjs'], { encoding: 'utf8', timeout: 60_000 });
    expect(out).toContain('y (host mapping)      4.50 1.00 -0.75');
    expect(out).toContain('dloss/dw (host)       484.00 32.00 -58.00 580.00 40.00 -70.00');
    expect(out).toContain('w after one SGD step  -4.3400 -1.3200 0.8300 -3.8000 0.6000 0.2000');
    expect(out).toContain('x[0] = 9');
    expect(out.trim().endsWith('ok')).toBe(true);
  });

  it('a runtime on the host device removes its error listener when destroyed and leaves the device alive', async () => {
    const added: unknown[] = [], removed: unknown[] = [];
    const realAdd = device.addEventListener.bind(device), realRemove = device.removeEventListener.bind(device);
    Object.defineProperty(device, 'addEventListener', { value: (t: string, f: EventListener) => { if (t === 'uncapturederror') added.push(f); realAdd(t, f); }, configurable: true });
    Object.defineProperty(device, 'removeEventListener', { value: (t: string, f: EventListener) => { if (t === 'uncapturederror') removed.push(f); realRemove(t, f); }, configurable: true });
    try {
      const second = await Runtime.create({ device });
      expect(added).toHaveLength(1);
      second.destroy();
      expect(removed).toEqual(added);
      expect(destroyCalls).not.toContain('device');
    } finally {
      Object.defineProperty(device, 'addEventListener', { value: realAdd, configurable: true });
      Object.defineProperty(device, 'removeEventListener', { value: realRemove, configurable: true });
    }
  });
});
