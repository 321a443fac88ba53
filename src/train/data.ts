/**
 * The pre-training data stream: audio items in a seeded order, turned into fixed-size normalised
 * log-mel crops [B, F, cropFrames]. Determinism (spec 7):
 * - the order of epoch e is a permutation drawn from a generator seeded by (orderSeed, e), where
 *   orderSeed comes once from the run's generator, so it can be recomputed on resume and looked ahead
 *   without touching the run's generator;
 * - crops draw from the run's generator exactly once per clip, at batch assembly, in batch order;
 * - a bad file is skipped (counted, reported) and the next item takes its place; when every item of
 *   a finite source has failed in a row (or 1000 items in a row), the data is unusable: DatasetError.
 * The position (epoch, index, orderSeed, skipped) goes into checkpoints. Items are loaded ahead of
 * use (by default two batches ahead), so decoding and log-mel overlap the GPU step. With the CPU
 * log-mel and a source that can provide features itself (`loadFeatures`: worker threads, see
 * sources.ts), the main thread only crops and batches; otherwise samples are loaded and the feature
 * function (CPU or GPU log-mel) runs here. Both paths give bit-identical batches.
 */
import type { Rng } from '../util/rng';
import { rngFor } from '../data/procedural/seeding';
import { cropOrPadFrames } from '../audio/crop';
import type { LogMel } from '../audio/logmel-cpu';
import { logMelCpuFast } from '../audio/logmel-cpu-fast';
import { logMelGpu } from '../audio/logmel-gpu';
import type { FeatureSpec } from '../data/decode-pool';
import { DatasetError } from '../data/types';

export type { FeatureSpec };

/** One source of audio: an endless corpus or a finite list. */
export interface ClipSource {
  /** Number of items; null for an endless source (read in index order, no epochs). */
  readonly size: number | null;
  readonly description: string;
  /** The dataset's path, for errors about the data as a whole (absent for generated sources). */
  readonly root?: string;
  /** Mono 16 kHz samples of item i, or the reason it cannot be used. */
  load(i: number): Promise<{ samples: Float32Array } | { skip: string }>;
  /**
   * Optional: the normalised CPU log-mel of item i computed by the source itself (off the main
   * thread), equal to `cpuLogMel(spec)` of `load(i)`'s samples once cropped to float32.
   */
  loadFeatures?(i: number, spec: FeatureSpec): Promise<{ mel: LogMel<Float32Array | Float64Array> } | { skip: string }>;
  close?(): Promise<void>;
}

/**
 * Samples → normalised log-mel [nMels, frames]. `cpuLogMel` marks its functions with the spec, so a
 * stream can ask a source for the same features instead of computing them itself.
 */
export type FeatureFn = ((samples: Float32Array) => LogMel<Float32Array | Float64Array> | Promise<LogMel<Float32Array | Float64Array>>) & {
  readonly cpuLogMel?: FeatureSpec;
};

export function cpuLogMel(mean: number, std: number, nMels: number): FeatureFn {
  // The float32 front end: the reference's values to float32 rounding at a third of its time.
  const fn = (samples: Float32Array) => logMelCpuFast(samples, { mean, std, nMels });
  return Object.assign(fn, { cpuLogMel: { mean, std, nMels } });
}

/** The same front end on the GPU (one clip per call, read back for the CPU crop). */
export function gpuLogMel(mean: number, std: number, nMels: number): FeatureFn {
  return async (samples) => {
    const t = logMelGpu(samples, { mean, std, nMels });
    const data = await t.toFloat32();
    const [, , nFrames] = t.shape;
    t.dispose();
    return { data, nMels, nFrames };
  };
}

export interface DataPosition {
  epoch: number;
  index: number;
  orderSeed: number;
  skipped: number;
}

type Loaded = { mel: LogMel<Float32Array | Float64Array> } | { skip: string };

/** Yield to the event loop so GPU completions are handled between CPU-heavy items. */
const tick = () => new Promise<void>((r) => setImmediate(r));

export interface DataStreamOptions {
  /** How many batches `prefetch(B)` keeps in flight (default 2). */
  batchesAhead?: number;
}

export class DataStream {
  readonly batchesAhead: number;
  private pos: DataPosition;
  private orderCache: { epoch: number; order: Uint32Array } | null = null;
  private ahead = new Map<string, Promise<Loaded>>();
  /** Items that failed since the last usable one, and the first reason among them. */
  private failedInRow = new Set<number>();
  private firstFailure = '';
  /** Called once per skipped item (path/reason). */
  onSkip: (msg: string) => void = (m) => console.warn(m);

  constructor(readonly source: ClipSource, readonly features: FeatureFn, readonly cropFrames: number, pos: DataPosition, opts: DataStreamOptions = {}) {
    if (source.size === 0) throw new Error(`${source.description}: no usable audio items`);
    this.pos = { ...pos };
    this.batchesAhead = Math.max(1, Math.floor(opts.batchesAhead ?? 2));
  }

  /** Does the source compute the features (off the main thread) instead of this stream? */
  get featuresFromSource(): boolean {
    return !!(this.features.cpuLogMel && this.source.loadFeatures);
  }

  /** A fresh position: the order seed is one draw from the run's generator. */
  static startPosition(rng: Rng): DataPosition {
    return { epoch: 0, index: 0, orderSeed: rng.nextU32(), skipped: 0 };
  }

  get position(): DataPosition { return { ...this.pos }; }

  private orderOf(epoch: number): Uint32Array {
    if (this.orderCache?.epoch !== epoch) {
      const n = this.source.size!;
      const r = rngFor(this.pos.orderSeed, epoch, 1);
      const order = new Uint32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      for (let i = n - 1; i > 0; i--) { const j = r.int(i + 1); const t = order[i]; order[i] = order[j]; order[j] = t; }
      this.orderCache = { epoch, order };
    }
    return this.orderCache.order;
  }

  /** Item number at a position (and the position after it). */
  private itemAt(p: { epoch: number; index: number }): { item: number; next: { epoch: number; index: number } } {
    const n = this.source.size;
    if (n === null) return { item: p.index, next: { epoch: 0, index: p.index + 1 } };
    const item = this.orderOf(p.epoch)[p.index];
    return { item, next: p.index + 1 >= n ? { epoch: p.epoch + 1, index: 0 } : { epoch: p.epoch, index: p.index + 1 } };
  }

  private fetch(item: number): Promise<Loaded> {
    const key = String(item);
    let pr = this.ahead.get(key);
    if (!pr) {
      const spec = this.features.cpuLogMel;
      pr = (async (): Promise<Loaded> => {
        if (spec && this.source.loadFeatures) return this.source.loadFeatures(item, spec);
        await tick();
        const r = await this.source.load(item);
        if ('skip' in r) return { skip: r.skip };
        await tick();
        return { mel: await this.features(r.samples) };
      })();
      this.ahead.set(key, pr);
    }
    return pr;
  }

  /** Start loading the next `count` × `batchesAhead` items: `count` is one batch (no generator draws). */
  prefetch(count: number): void {
    let p = { epoch: this.pos.epoch, index: this.pos.index };
    for (let k = 0; k < count * this.batchesAhead; k++) {
      const { item, next } = this.itemAt(p);
      void this.fetch(item);
      p = next;
    }
  }

  /**
   * The next B clips as one row-major [B, nMels, cropFrames] array; one crop draw per clip from
   * `rng`, in batch order.
   */
  async nextBatch(B: number, rng: Rng): Promise<{ data: Float32Array; nMels: number }> {
    const crops: Float32Array[] = [];
    let nMels = 0;
    while (crops.length < B) {
      const { item, next } = this.itemAt(this.pos);
      const got = await this.fetch(item);
      this.ahead.delete(String(item));
      this.pos = { ...this.pos, epoch: next.epoch, index: next.index };
      if ('skip' in got) {
        this.pos.skipped++;
        this.onSkip(`skipping item ${item}: ${got.skip}`);
        this.noteFailure(item, got.skip);
        continue;
      }
      this.failedInRow.clear();
      const c = cropOrPadFrames(got.mel, this.cropFrames, rng);
      nMels = c.nMels;
      crops.push(c.data);
    }
    const data = new Float32Array(B * nMels * this.cropFrames);
    crops.forEach((c, i) => data.set(c, i * c.length));
    return { data, nMels };
  }

  /** Give up (a user error: bad data) once every item, or 1000 in a row, could not be used. */
  private noteFailure(item: number, reason: string): void {
    if (this.failedInRow.size === 0) this.firstFailure = reason;
    this.failedInRow.add(item);
    const n = this.source.size;
    const what = this.source.root ?? this.source.description;
    if (n !== null && this.failedInRow.size >= n) {
      throw new DatasetError(what, `none of its ${n} audio item${n === 1 ? '' : 's'} could be used (first: ${this.firstFailure})`);
    }
    if (this.failedInRow.size >= 1000) throw new DatasetError(what, `1000 items in a row could not be used (first: ${this.firstFailure})`);
  }

  async close(): Promise<void> {
    this.ahead.clear();
    await this.source.close?.();
  }
}
