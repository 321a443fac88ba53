/**
 * The runtime owns one GPUDevice: pipelines (cached by kernel and override constants), a buffer pool,
 * and a command encoder into which dispatches are recorded and submitted in batches. Data comes back
 * to the CPU only when asked (`read`).
 */
import { acquireDevice, type DeviceFeatures, type DeviceOptions } from './device';
import { Kernel, type Overrides, type UniformValue } from './kernel';
import { BufferPool, formatBytes, type PoolStats } from './pool';

const COMPUTE = 0x4; // GPUShaderStage.COMPUTE
const MAP_READ = 0x1, COPY_DST = 0x8, UNIFORM = 0x40, QUERY_RESOLVE = 0x200, COPY_SRC = 0x4;
const UNIFORM_RING_BYTES = 64 * 1024;
const MAX_BATCH = 256;
const MAX_TIMESTAMP_PASSES = 2048;

export interface DispatchArgs {
  /** Storage buffers by their WGSL variable names. */
  buffers: Record<string, GPUBuffer>;
  /** Values of the uniform struct's fields by name. */
  uniforms?: Record<string, UniformValue>;
  workgroups: [number, number?, number?];
  overrides?: Overrides;
  /** Shown after the workgroups in a per-call-site profile (e.g. a matmul's M×N×K). */
  note?: string;
}

export class Runtime {
  readonly pool: BufferPool;
  private staging: BufferPool;
  private layouts = new Map<Kernel, { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout }>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private pending = 0;
  private uniformRing: GPUBuffer;
  private uniformData = new ArrayBuffer(UNIFORM_RING_BYTES);
  private uniformView = new DataView(this.uniformData);
  private uniformUsed = 0;
  private uniformAlign: number;
  private errors: string[] = [];
  private destroyed = false;
  /** Timestamp queries: one pair per pass; with `labels`, one pass per dispatch, named by kernel. */
  private timing: { set: GPUQuerySet; passes: number; labels?: string[] } | null = null;
  /** Our error listener, removed on destroy() so an adopted host device is left as we found it. */
  private onUncaptured: (ev: Event) => void;
  /** Dispatches recorded since creation (for tests and statistics). */
  dispatchCount = 0;
  /** Largest buffer a kernel can bind, so the largest tensor: min(maxStorageBufferBindingSize, maxBufferSize). */
  readonly maxBindingBytes: number;
  /** Which of the two limits that is, for messages. */
  readonly maxBindingLimitName: 'maxStorageBufferBindingSize' | 'maxBufferSize';
  /** Pipelines per kernel object (not per name: two kernels may share a name), then per override constants. */
  private pipelines = new WeakMap<Kernel, Map<string, GPUComputePipeline>>();
  /** Pipelines compiled so far; compiling is what a cold start waits for (drivers take up to seconds each). */
  pipelineCount = 0;
  /** Told after each pipeline is compiled, with its time: progress for the first step (see util/compile-progress). */
  onPipelineCompiled: ((kernelName: string, ms: number, count: number) => void) | null = null;

  private constructor(
    readonly device: GPUDevice,
    readonly adapterName: string,
    readonly features: DeviceFeatures,
    private owned: boolean,
    private releaseGpu: () => void,
  ) {
    const fail = (msg: string) => this.errors.push(msg);
    const { maxStorageBufferBindingSize: binding, maxBufferSize: buffer } = device.limits;
    this.maxBindingBytes = Math.min(binding, buffer);
    this.maxBindingLimitName = binding <= buffer ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
    this.pool = new BufferPool(device, undefined, 'tensor', fail, this.maxBindingBytes);
    this.staging = new BufferPool(device, MAP_READ | COPY_DST, 'staging', fail);
    this.uniformAlign = device.limits.minUniformBufferOffsetAlignment;
    this.uniformRing = device.createBuffer({ size: UNIFORM_RING_BYTES, usage: UNIFORM | COPY_DST, label: 'uniform-ring' });
    this.onUncaptured = (ev: Event) => fail((ev as GPUUncapturedErrorEvent).error.message);
    device.addEventListener('uncapturederror', this.onUncaptured);
    device.lost.then((info) => {
      if (!this.destroyed) fail(`GPU device lost: ${info.message}`);
    });
  }

  static async create(opts: DeviceOptions = {}): Promise<Runtime> {
    const d = await acquireDevice(opts);
    return new Runtime(d.device, d.adapterName, d.features, d.owned, d.release);
  }

  /** Describe the adapter in one line (name and optional features). */
  describe(): string {
    const f = this.features;
    const on = (b: boolean) => (b ? 'yes' : 'no');
    return `${this.adapterName} (shader-f16: ${on(f.shaderF16)}, timestamp-query: ${on(f.timestampQuery)}, subgroups: ${on(f.subgroups)})`;
  }

  private layoutFor(kernel: Kernel): { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout } {
    let l = this.layouts.get(kernel);
    if (!l) {
      const entries: GPUBindGroupLayoutEntry[] = kernel.layout.bindings.map((b) => ({
        binding: b.binding, visibility: COMPUTE, buffer: { type: b.kind },
      }));
      const bgl = this.device.createBindGroupLayout({ entries, label: kernel.name });
      const pl = this.device.createPipelineLayout({ bindGroupLayouts: [bgl], label: kernel.name });
      l = { bgl, pl };
      this.layouts.set(kernel, l);
    }
    return l;
  }

  /** The cache for `kernel`'s pipelines, by override constants (see overridesKey). */
  private pipelinesOf(kernel: Kernel): Map<string, GPUComputePipeline> {
    let m = this.pipelines.get(kernel);
    if (!m) { m = new Map(); this.pipelines.set(kernel, m); }
    return m;
  }

  private descriptor(kernel: Kernel, overrides?: Overrides): GPUComputePipelineDescriptor {
    const module = this.device.createShaderModule({ code: kernel.source, label: kernel.name });
    return {
      layout: this.layoutFor(kernel).pl,
      compute: { module, entryPoint: kernel.entry, constants: overrides },
      label: kernel.name,
    };
  }

  /**
   * Compile a pipeline asynchronously ahead of use. Rejects with an error naming the kernel when the
   * WGSL does not compile.
   */
  async compile(kernel: Kernel, overrides?: Overrides): Promise<void> {
    const cache = this.pipelinesOf(kernel), key = overridesKey(overrides);
    if (cache.has(key)) return;
    let desc: GPUComputePipelineDescriptor;
    try {
      desc = this.descriptor(kernel, overrides);
    } catch (e) {
      throw new Error(`kernel ${kernel.name}: ${(e as Error).message}`);
    }
    const info = await (desc.compute.module as GPUShaderModule).getCompilationInfo();
    const errs = info.messages.filter((m) => m.type === 'error');
    if (errs.length) {
      throw new Error(`kernel ${kernel.name}: WGSL compilation failed:\n${errs.map((m) => `  line ${m.lineNum}: ${m.message}`).join('\n')}`);
    }
    try {
      const t0 = performance.now();
      cache.set(key, await this.device.createComputePipelineAsync(desc));
      this.onPipelineCompiled?.(kernel.name, performance.now() - t0, ++this.pipelineCount);
    } catch (e) {
      throw new Error(`kernel ${kernel.name}: pipeline creation failed: ${(e as Error).message}`);
    }
  }

  private pipeline(kernel: Kernel, overrides?: Overrides): GPUComputePipeline {
    const cache = this.pipelinesOf(kernel), key = overridesKey(overrides);
    let p = cache.get(key);
    if (!p) {
      this.device.pushErrorScope('validation');
      const t0 = performance.now();
      p = this.device.createComputePipeline(this.descriptor(kernel, overrides));
      this.onPipelineCompiled?.(kernel.name, performance.now() - t0, ++this.pipelineCount);
      this.device.popErrorScope().then((err) => {
        if (err) this.errors.push(`kernel ${kernel.name}: pipeline creation failed: ${err.message}`);
      }, () => {});
      cache.set(key, p);
    }
    return p;
  }

  /** The open encoder with no compute pass open (copies need that). */
  private encoderForCopy(): GPUCommandEncoder {
    if (this.destroyed) throw new Error('Runtime used after destroy()');
    if (this.pass) { this.pass.end(); this.pass = null; }
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'batch' });
    return this.encoder;
  }

  private ensurePass(): GPUComputePassEncoder {
    if (this.destroyed) throw new Error('Runtime used after destroy()');
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'batch' });
    if (!this.pass) {
      let timestampWrites: GPUComputePassTimestampWrites | undefined;
      if (this.timing && this.timing.passes < MAX_TIMESTAMP_PASSES) {
        const i = this.timing.passes++;
        timestampWrites = { querySet: this.timing.set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
      }
      this.pass = this.encoder.beginComputePass({ label: 'batch', timestampWrites });
    }
    return this.pass;
  }

  /** Record one dispatch of `kernel`. */
  dispatch(kernel: Kernel, args: DispatchArgs): void {
    const layout = kernel.layout;
    const pipeline = this.pipeline(kernel, args.overrides);
    const slot = Math.ceil(Math.max(layout.uniformSize, 16) / this.uniformAlign) * this.uniformAlign;
    if (layout.uniformName && this.uniformUsed + slot > UNIFORM_RING_BYTES) this.flush();
    const entries: GPUBindGroupEntry[] = [];
    for (const b of layout.bindings) {
      if (b.kind === 'uniform') {
        kernel.packUniforms(args.uniforms ?? {}, this.uniformView, this.uniformUsed);
        entries.push({ binding: b.binding, resource: { buffer: this.uniformRing, offset: this.uniformUsed, size: layout.uniformSize } });
        this.uniformUsed += slot;
      } else {
        const buf = args.buffers[b.name];
        if (!buf) throw new Error(`kernel ${kernel.name}: buffer "${b.name}" not bound`);
        if (buf.size > this.maxBindingBytes) {
          throw new Error(`kernel ${kernel.name}: buffer "${b.name}" of ${formatBytes(buf.size)} is over this adapter's limit of ${formatBytes(this.maxBindingBytes)} per binding (${this.maxBindingLimitName})`);
        }
        entries.push({ binding: b.binding, resource: { buffer: buf } });
      }
    }
    for (const name of Object.keys(args.buffers)) {
      if (!layout.bindings.some((b) => b.name === name)) throw new Error(`kernel ${kernel.name}: no binding named "${name}"`);
    }
    const [x, y = 1, z = 1] = args.workgroups;
    const maxWg = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxWg || y > maxWg || z > maxWg) throw new Error(`kernel ${kernel.name}: dispatch (${x}, ${y}, ${z}) exceeds ${maxWg} workgroups per dimension`);
    if (x === 0 || y === 0 || z === 0) return;
    const bindGroup = this.device.createBindGroup({ layout: this.layoutFor(kernel).bgl, entries, label: kernel.name });
    const profiling = this.timing?.labels && this.timing.passes < MAX_TIMESTAMP_PASSES;
    if (profiling && this.pass) { this.pass.end(); this.pass = null; }
    const pass = this.ensurePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.dispatchCount++;
    if (profiling) {
      this.timing!.labels!.push(this.profileDetail ? `${kernel.name} (${x},${y},${z})${args.note ? ` ${args.note}` : ''} ${callerChain()}` : kernel.name);
      pass.end();
      this.pass = null;
      if (this.timing!.passes >= MAX_TIMESTAMP_PASSES) this.flushProfile();
    }
    if (++this.pending >= MAX_BATCH) this.flush();
  }

  /** Copy between buffers, ordered with the recorded dispatches. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.encoderForCopy().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.pending++;
  }

  /** Submit everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    if (this.pass) { this.pass.end(); this.pass = null; }
    if (this.uniformUsed > 0) this.device.queue.writeBuffer(this.uniformRing, 0, this.uniformData, 0, this.uniformUsed);
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.pending = 0;
    this.uniformUsed = 0;
  }

  /** Upload data into a buffer, after any recorded work that may still read that buffer. */
  write(buffer: GPUBuffer, data: ArrayBufferView, offsetBytes = 0): void {
    this.flush();
    this.device.queue.writeBuffer(buffer, offsetBytes, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Read `bytes` from a buffer back to the CPU. */
  async read(buffer: GPUBuffer, bytes: number, offsetBytes = 0): Promise<ArrayBuffer> {
    const padded = Math.ceil(bytes / 4) * 4;
    const stage = this.staging.acquire(bytes);
    let out: ArrayBuffer;
    try {
      this.encoderForCopy().copyBufferToBuffer(buffer, offsetBytes, stage, 0, padded);
      this.flush();
      await stage.mapAsync(MAP_READ, 0, padded);
      out = stage.getMappedRange(0, padded).slice(0, bytes);
    } catch (e) {
      // The staging buffer's map state is unknown after a failure: destroy it rather than reuse it.
      this.staging.discard(stage);
      this.throwErrors();
      throw e;
    }
    stage.unmap();
    this.staging.release(stage);
    this.throwErrors();
    return out;
  }

  /** Wait for submitted work, then throw any GPU error reported meanwhile. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.throwErrors();
  }

  private throwErrors(): void {
    if (this.errors.length) {
      const msg = this.errors.join('\n');
      this.errors = [];
      throw new Error(`GPU error: ${msg}`);
    }
  }

  /** Start timing GPU work with timestamp queries (requires the `timestamp-query` feature). */
  beginTiming(): boolean {
    if (!this.features.timestampQuery) return false;
    this.flush();
    this.timing = { set: this.device.createQuerySet({ type: 'timestamp', count: 2 * MAX_TIMESTAMP_PASSES }), passes: 0 };
    return true;
  }

  /** Stop timing and return the GPU milliseconds spent in the passes since beginTiming(). */
  async endTiming(): Promise<number> {
    const t = this.timing;
    if (!t) throw new Error('endTiming() without beginTiming()');
    this.flush();
    this.timing = null;
    const ns = await this.resolveTimestamps(t);
    return ns.reduce((a, b) => a + b, 0) / 1e6;
  }

  /**
   * Start a per-kernel profile: every dispatch gets its own timestamped pass (which serialises
   * the work a little, so totals run slightly above an unprofiled step). Returns false without
   * the `timestamp-query` feature.
   */
  beginProfile(opts: { detail?: boolean } = {}): boolean {
    if (!this.features.timestampQuery) return false;
    this.profileDetail = opts.detail ?? false;
    this.flush();
    this.profileTotals = new Map();
    this.timing = { set: this.device.createQuerySet({ type: 'timestamp', count: 2 * MAX_TIMESTAMP_PASSES }), passes: 0, labels: [] };
    return true;
  }

  /** Finish the profile: GPU milliseconds and dispatch counts per kernel name, largest first. */
  async endProfile(): Promise<Array<{ kernel: string; ms: number; count: number }>> {
    if (!this.timing?.labels || !this.profileTotals) throw new Error('endProfile() without beginProfile()');
    this.flushProfile(false);
    await Promise.all(this.profileWaits);
    this.profileWaits = [];
    const totals = this.profileTotals;
    this.profileTotals = null;
    return [...totals].map(([kernel, v]) => ({ kernel, ...v })).sort((a, b) => b.ms - a.ms);
  }

  /** Profile rows per call site (workgroups and the calling functions) instead of per kernel. */
  private profileDetail = false;
  private profileTotals: Map<string, { ms: number; count: number }> | null = null;
  private profileWaits: Promise<void>[] = [];

  /** Resolve the query set into the totals; start a fresh one unless the profile ends here. */
  private flushProfile(restart = true): void {
    const t = this.timing!;
    this.flush();
    const totals = this.profileTotals!;
    const labels = t.labels!;
    this.profileWaits.push(this.resolveTimestamps(t).then((ns) => {
      ns.forEach((v, i) => {
        const e = totals.get(labels[i]) ?? { ms: 0, count: 0 };
        e.ms += v / 1e6;
        e.count++;
        totals.set(labels[i], e);
      });
    }));
    this.timing = restart ? { set: this.device.createQuerySet({ type: 'timestamp', count: 2 * MAX_TIMESTAMP_PASSES }), passes: 0, labels: [] } : null;
  }

  /** Nanoseconds of each timed pass of `t` (destroys its query set). */
  private async resolveTimestamps(t: { set: GPUQuerySet; passes: number }): Promise<number[]> {
    if (t.passes === 0) { t.set.destroy(); return []; }
    const n = 2 * t.passes;
    const resolve = this.device.createBuffer({ size: n * 8, usage: QUERY_RESOLVE | COPY_SRC });
    const enc = this.device.createCommandEncoder();
    enc.resolveQuerySet(t.set, 0, n, resolve, 0);
    this.flush();
    this.device.queue.submit([enc.finish()]);
    const data = new BigUint64Array(await this.read(resolve, n * 8));
    resolve.destroy();
    t.set.destroy();
    const out: number[] = [];
    for (let i = 0; i < t.passes; i++) out.push(data[2 * i + 1] > data[2 * i] ? Number(data[2 * i + 1] - data[2 * i]) : 0);
    return out;
  }

  stats(): PoolStats { return this.pool.getStats(); }

  /** Statistics of the read-back staging buffers (a failed read must not leave one live). */
  stagingStats(): PoolStats { return this.staging.getStats(); }

  /** Release the device (when we created it) so the process can exit. */
  destroy(): void {
    if (this.destroyed) return;
    this.flush();
    this.destroyed = true;
    this.pool.trim();
    this.staging.trim();
    this.uniformRing.destroy();
    this.device.removeEventListener('uncapturederror', this.onUncaptured);
    if (this.owned) this.device.destroy();
    this.releaseGpu();
  }
}

/** Cache key of a set of override constants ('' for none). */
function overridesKey(overrides?: Overrides): string {
  if (!overrides) return '';
  return Object.keys(overrides).sort().map((k) => `${k}=${overrides[k]}`).join(',');
}

/** The four frames that called Runtime.dispatch, for per-call-site profiles. */
function callerChain(): string {
  const frames = (new Error().stack ?? '').split('\n').slice(3, 7);
  return frames.map((l) => l.trim().replace(/^at /, '').replace(/\(?[^()\s]*\/([^/()]+:\d+):\d+\)?/, '$1')).join(' < ');
}

let current: Runtime | null = null;

/** The runtime ops dispatch to; set by `init()`. */
export function runtime(): Runtime {
  if (!current) throw new Error('No GPU runtime: call `await init()` first');
  return current;
}

export function setRuntime(rt: Runtime | null): void { current = rt; }

/** Create the runtime (or adopt a host app's device) and make it current. */
export async function init(opts: DeviceOptions = {}): Promise<Runtime> {
  const rt = await Runtime.create(opts);
  current = rt;
  return rt;
}

/** Split a 1-D workgroup count into a 2-D grid within the per-dimension limit. */
export function grid1d(workgroups: number, maxPerDim = 65535): [number, number] {
  if (workgroups <= maxPerDim) return [Math.max(workgroups, 0), 1];
  const y = Math.ceil(workgroups / maxPerDim);
  return [Math.ceil(workgroups / y), y];
}
