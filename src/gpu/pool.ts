/**
 * Size-bucketed GPU buffer pool. Buckets step by quarter-powers of two, so a reused buffer wastes at
 * most 25%; freed buffers are kept for reuse until `trim()`. Statistics make leaks visible.
 */
export interface PoolStats {
  /** Buffers handed out and not yet released. */
  liveBuffers: number;
  /** Bytes of the buffers handed out (bucket sizes). */
  liveBytes: number;
  /** Highest liveBytes seen. */
  peakBytes: number;
  /** Free buffers kept for reuse. */
  pooledBuffers: number;
  pooledBytes: number;
  /** Buffers ever created on the device. */
  created: number;
}

/** Byte counts for messages: 1.20 GB, 128 MiB. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 20 && n % 2 ** 20 === 0) return `${n / 2 ** 20} MiB`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} MB`;
  return `${n} bytes`;
}

export const TENSOR_USAGE = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08 /* COPY_DST */;

/**
 * The pooled size for a request of `bytes`. Capped at `maxBytes` (the binding limit) for requests
 * that fit it, so rounding up never makes a buffer too large for a kernel to bind.
 */
export function bucketSize(bytes: number, maxBytes = Infinity): number {
  const min = 256;
  if (bytes <= min) return min;
  const p = 2 ** Math.floor(Math.log2(bytes));
  const step = p / 4;
  const size = Math.ceil(bytes / step) * step;
  return size > maxBytes && bytes <= maxBytes ? Math.ceil(bytes / 4) * 4 : size;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private sizes = new WeakMap<GPUBuffer, number>();
  private stats: PoolStats = { liveBuffers: 0, liveBytes: 0, peakBytes: 0, pooledBuffers: 0, pooledBytes: 0, created: 0 };

  constructor(
    private device: GPUDevice,
    private usage: number = TENSOR_USAGE,
    private label = 'pool',
    private onOutOfMemory: (msg: string) => void = () => {},
    /** Largest buffer handed out (for tensors: what a kernel can bind). */
    private maxBytes = Infinity,
  ) {}

  acquire(bytes: number): GPUBuffer {
    if (bytes > this.maxBytes) throw new Error(`${this.label}: ${bytes} bytes requested, over the limit of ${this.maxBytes} per buffer`);
    const size = bucketSize(bytes, this.maxBytes);
    const list = this.free.get(size);
    let buf = list?.pop();
    if (buf) {
      this.stats.pooledBuffers--;
      this.stats.pooledBytes -= size;
    } else {
      this.device.pushErrorScope('out-of-memory');
      buf = this.device.createBuffer({ size, usage: this.usage, label: `${this.label}:${size}` });
      const label = this.label;
      this.device.popErrorScope().then((err) => {
        if (err) this.onOutOfMemory(`out of GPU memory allocating ${size} bytes in ${label}: ${err.message}`);
      }, () => {});
      this.sizes.set(buf, size);
      this.stats.created++;
    }
    this.stats.liveBuffers++;
    this.stats.liveBytes += size;
    if (this.stats.liveBytes > this.stats.peakBytes) this.stats.peakBytes = this.stats.liveBytes;
    return buf;
  }

  release(buf: GPUBuffer): void {
    const size = this.sizes.get(buf);
    if (size === undefined) throw new Error(`${this.label}: released a buffer this pool does not own`);
    let list = this.free.get(size);
    if (!list) { list = []; this.free.set(size, list); }
    list.push(buf);
    this.stats.liveBuffers--;
    this.stats.liveBytes -= size;
    this.stats.pooledBuffers++;
    this.stats.pooledBytes += size;
  }

  /** Destroy a handed-out buffer instead of keeping it for reuse (when its state is in doubt, e.g. a failed map). */
  discard(buf: GPUBuffer): void {
    const size = this.sizes.get(buf);
    if (size === undefined) throw new Error(`${this.label}: discarded a buffer this pool does not own`);
    this.sizes.delete(buf);
    this.stats.liveBuffers--;
    this.stats.liveBytes -= size;
    buf.destroy();
  }

  /** Destroy every free buffer (gives memory back to the device). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.stats.pooledBuffers = 0;
    this.stats.pooledBytes = 0;
  }

  resetPeak(): void { this.stats.peakBytes = this.stats.liveBytes; }

  getStats(): PoolStats { return { ...this.stats }; }
}
