// Embedding the engine in a host application that already has a GPUDevice and GPU buffers.
// The host (here: plain Node with Dawn's `webgpu` package; in a browser it would be navigator.gpu)
// creates the device and its buffers first; the engine then runs on them without copying, and hands
// results back as GPUBuffers the host reads through its own mapping. See docs/embedding.md.
// Run after `npm run build`:  node examples/embed-host-device.mjs
import { create, globals } from 'webgpu';
import { init, fromBuffer, matmul, square, sum, backward, SGD } from '../dist/index.js';

// ---- the host's own WebGPU set-up (nothing of the engine yet) -------------------------------------
Object.assign(globalThis, globals); // GPUBufferUsage, GPUMapMode, ... as a browser has them
let gpu = create([]);
const adapter = await gpu.requestAdapter();
if (!adapter) throw new Error('no WebGPU adapter: run `bash scripts/setup.sh`');
const device = await adapter.requestDevice();

const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
function hostBuffer(values) {
  const buf = device.createBuffer({ size: values.length * 4, usage, mappedAtCreation: true });
  new Float32Array(buf.getMappedRange()).set(values);
  buf.unmap();
  return buf;
}
/** The host reads any buffer with its own staging buffer and mapping. */
async function hostRead(buf, count) {
  const staging = device.createBuffer({ size: count * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, staging, 0, count * 4);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}

const xBuf = hostBuffer([1, 2, 3, 4, 5, 6, 7, 8]); // x [4, 2]
const wBuf = hostBuffer([0.5, -1, 0.25, 2, 1, -0.5]); // w [2, 3], trained in place below
const yBuf = device.createBuffer({ size: 4 * 3 * 4, usage }); // where the host wants y

// ---- the engine on the host's device -----------------------------------------------------------
const rt = await init({ device }); // adopts the device: the engine will never destroy it
console.log(`engine on the host's device: ${rt.describe()}`);

const x = fromBuffer(xBuf, [4, 2]); // no copy: the tensor reads the host's buffer
const w = fromBuffer(wBuf, [2, 3]).requireGrad();
const y = matmul(x, w);
const loss = sum(square(y));
backward(loss); // w.grad is an engine-owned tensor

// Hand results back. rt.copy records the copy in order with the engine's work; y.buffer and
// w.grad.buffer are the engine's buffers, valid until those tensors are disposed.
rt.copy(y.buffer, 0, yBuf, 0, y.size * 4);
const gradBuf = w.grad.buffer;
rt.flush(); // submit the engine's recorded work before the host submits its own
const yHost = await hostRead(yBuf, 12);
const gradHost = await hostRead(gradBuf, 6); // read straight from the engine's buffer (not destroyed by us)
console.log(`y (host mapping)      ${[...yHost].map((v) => v.toFixed(2)).join(' ')}`);
console.log(`dloss/dw (host)       ${[...gradHost].map((v) => v.toFixed(2)).join(' ')}`);

// One SGD step updates the host's weight buffer in place.
new SGD([w], 0.01).step();
rt.flush();
const wHost = await hostRead(wBuf, 6);
console.log(`w after one SGD step  ${[...wHost].map((v) => v.toFixed(4)).join(' ')}`);

// ---- teardown: the engine's things first, then the host's -----------------------------------------
for (const t of [x, w, y, loss]) t.dispose(); // drops references; the host's buffers stay alive
rt.destroy(); // frees the engine's pool and staging buffers; leaves the device alone
device.queue.writeBuffer(xBuf, 0, new Float32Array([9])); // the host's device and buffers still work
console.log(`host buffer after rt.destroy(): x[0] = ${(await hostRead(xBuf, 1))[0]}`);
for (const b of [xBuf, wBuf, yBuf]) b.destroy();
device.destroy(); // ends Dawn's event loop; the process can exit
gpu = null;
console.log('ok');
