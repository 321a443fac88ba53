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

export const TENSOR_USAGE = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08 /* COPY_DST */;

export function bucketSize(bytes: number): number {
  const min = 256;
  if (bytes <= min) return min;
  const p = 2 ** Math.floor(Math.log2(bytes));
  const step = p / 4;
  return Math.ceil(bytes / step) * step;
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
  ) {}

  acquire(bytes: number): GPUBuffer {
    const size = bucketSize(bytes);
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
