/**
 * Acquiring a GPUDevice: in Node through Dawn (the `webgpu` package), in a browser through
 * `navigator.gpu`, or handed in by a host app that already has one.
 */
export interface DeviceFeatures {
  shaderF16: boolean;
  timestampQuery: boolean;
  subgroups: boolean;
  /** Subgroup sizes the adapter reports (0 when unknown); kernels that assume a width check these. */
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapterName: string;
  features: DeviceFeatures;
  /** True when we created the device and so must destroy it. */
  owned: boolean;
  /** Releases Dawn's process-level object so Node can exit. */
  release: () => void;
}

export interface DeviceOptions {
  /** A device the host application already has; we never destroy it. */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
  /** Ask for these optional features when the adapter has them (default: all three). */
  wantFeatures?: GPUFeatureName[];
}

const OPTIONAL: GPUFeatureName[] = ['shader-f16', 'timestamp-query', 'subgroups' as GPUFeatureName];

function featuresOf(set: ReadonlySet<string>, info?: GPUAdapterInfo): DeviceFeatures {
  const sg = info as (GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number }) | undefined;
  return {
    shaderF16: set.has('shader-f16'), timestampQuery: set.has('timestamp-query'), subgroups: set.has('subgroups'),
    subgroupMinSize: sg?.subgroupMinSize ?? 0, subgroupMaxSize: sg?.subgroupMaxSize ?? 0,
  };
}

/** Whether an adapter name is a CPU rasteriser (lavapipe/llvmpipe, SwiftShader) rather than a GPU. */
export function isCpuAdapterName(name: string): boolean {
  return /llvmpipe|lavapipe|swiftshader|software/i.test(name);
}

function describeAdapter(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'unknown adapter';
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return parts.length ? parts.join(' / ') : 'unknown adapter';
}

async function getGpu(): Promise<{ gpu: GPU; release: () => void; node: boolean }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, release: () => {}, node: false };
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (!isNode) throw new Error('WebGPU is not available: navigator.gpu is undefined in this browser');
  // Dawn's entry point; kept out of browser bundles by build.mjs.
  const mod = await import('webgpu');
  Object.assign(globalThis, mod.globals);
  // AASP_ADAPTER: Dawn's adapter name filter (one GPU of several; data-parallel ranks set it per rank).
  const adapter = process.env.AASP_ADAPTER;
  let gpu: GPU | null = mod.create(adapter ? [`adapter=${adapter}`] : []) as GPU;
  return { gpu, release: () => { gpu = null; }, node: true };
}

/** Find an adapter and open a device with the adapter's maximum limits and the optional features it has. */
export async function acquireDevice(opts: DeviceOptions = {}): Promise<AcquiredDevice> {
  // In Node every WebGPU (ours, a host's device, a navigator.gpu set up by a benchmark) is Dawn,
  // which waits for the GPU in a busy setImmediate loop: paced so a CPU adapter keeps its cores
  // (dawn-poll.ts); on a GPU the loop is left spinning, as Dawn has it.
  const poll = typeof process !== 'undefined' && !!process.versions?.node ? await import('./dawn-poll') : null;
  poll?.installDawnPollPacing();
  const acquired = await acquire(opts);
  poll?.setDawnPollPacing(isCpuAdapterName(acquired.adapterName));
  return acquired;
}

async function acquire(opts: DeviceOptions): Promise<AcquiredDevice> {
  if (opts.device) {
    const device = opts.device;
    const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    return { device, adapterName: describeAdapter(info), features: featuresOf(device.features as ReadonlySet<string>, info), owned: false, release: () => {} };
  }
  const { gpu, release, node } = await getGpu();
  // In Node, Dawn's two harmless limit warnings are kept off stderr (dawn-stderr.ts).
  const quiet = node ? (await import('./dawn-stderr')).quietDawn : <T>(f: () => Promise<T>) => f();
  const adapter = await quiet(() => gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' }));
  if (!adapter) {
    release();
    throw new Error('No WebGPU adapter found. In Node on Linux this needs a Vulkan driver (Mesa >= 25 lavapipe or a GPU driver): run `bash scripts/setup.sh`.');
  }
  const want = (opts.wantFeatures ?? OPTIONAL).filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  const lim = adapter.limits as unknown as Record<string, number>;
  for (const key of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxComputeWorkgroupSizeZ', 'maxComputeWorkgroupsPerDimension',
    'maxStorageBuffersPerShaderStage', 'maxBindGroups', 'maxUniformBufferBindingSize']) {
    if (typeof lim[key] === 'number') requiredLimits[key] = lim[key];
  }
  const device = await adapter.requestDevice({ requiredFeatures: want, requiredLimits });
  return {
    device,
    adapterName: describeAdapter(adapter.info),
    features: featuresOf(device.features as ReadonlySet<string>, adapter.info),
    owned: true,
    release,
  };
}
