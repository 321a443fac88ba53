/**
 * Audio files → clip (and optionally frame) features (Node only): decode and resample safely
 * (bad files are reported and skipped, never fatal), compute the normalised log-mel, embed in
 * batches, and keep only a chunk of decoded audio in memory at a time. `cachedClipFeatures` adds
 * the on-disk cache in front.
 */
import { loadItemsSafely, type SkippedFile } from '../data/safe-load';
import { logMelCpu, type LogMel, type LogMelConfig } from '../audio/logmel-cpu';
import { embedClips, type TokenEncoder } from './embed';
import { meanStdOverTime, type Pooling } from './windows';
import { featureCacheKey, readFeatureCache, writeFeatureCache, type CachedFeatures } from './cache';

export interface ExtractOptions {
  /** Front end (sample rate, STFT, mel, normalisation). */
  frontEnd: LogMelConfig;
  /** Files decoded and embedded per round (default 32). */
  chunk?: number;
  /** Windows per encoder call (default 8). */
  maxBatch?: number;
  /** Clip feature from the frame features (default 'mean', the spec's protocol). */
  pool?: Pooling;
  /** Keep the frame features [T', F'·D] of every file. */
  keepFrames?: boolean;
  /** Progress and skip messages (default console.error). */
  log?: (msg: string) => void;
}

export interface ExtractResult extends CachedFeatures {
  /** Frame features per kept file (when keepFrames), and their T'. */
  frames?: Float32Array[];
  nTimes?: number[];
}

/** Embed the given files; rows follow the order of the files that decoded. */
export async function extractFeatures(paths: readonly string[], enc: TokenEncoder, opts: ExtractOptions): Promise<ExtractResult> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const chunk = Math.max(1, opts.chunk ?? 32);
  const rows: Float32Array[] = [];
  const kept: number[] = [];
  const skipped: SkippedFile[] = [];
  const frames: Float32Array[] = [], nTimes: number[] = [];
  const t0 = Date.now();
  for (let s = 0; s < paths.length; s += chunk) {
    const items = paths.slice(s, s + chunk).map((path, k) => ({ path, index: s + k }));
    const res = await loadItemsSafely(items, {
      targetRate: opts.frontEnd.sampleRate,
      onSkip: (sk) => { skipped.push(sk); log(`skipping ${sk.path}: ${sk.reason}`); },
    });
    const mels = res.good.map((g) => logMelCpu(g.samples, opts.frontEnd));
    const embs = await embedClips(enc, mels, { maxBatch: opts.maxBatch });
    embs.forEach((e, k) => {
      rows.push(opts.pool === 'mean+std' ? meanStdOverTime(e.frames, e.nTimes, e.dim) : e.clip);
      kept.push(res.good[k].item.index);
      if (opts.keepFrames) { frames.push(e.frames); nTimes.push(e.nTimes); }
    });
    const done = Math.min(paths.length, s + chunk);
    log(`embedded ${done}/${paths.length} files (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const dim = rows[0]?.length ?? 0;
  const features = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => features.set(r, i * dim));
  return { features, dim, kept, skipped, ...(opts.keepFrames ? { frames, nTimes } : {}) };
}

/** Decode files (skipping bad ones) and compute their normalised log-mels, all in memory. */
export async function loadLogMels(paths: readonly string[], frontEnd: LogMelConfig, log: (m: string) => void = (m) => console.error(m)): Promise<{ mels: LogMel[]; kept: number[]; skipped: SkippedFile[] }> {
  const items = paths.map((path, index) => ({ path, index }));
  const skipped: SkippedFile[] = [];
  const res = await loadItemsSafely(items, { targetRate: frontEnd.sampleRate, onSkip: (s) => { skipped.push(s); log(`skipping ${s.path}: ${s.reason}`); } });
  return { mels: res.good.map((g) => logMelCpu(g.samples, frontEnd)), kept: res.good.map((g) => g.item.index), skipped };
}

export interface CacheOptions {
  /** Folder of the cache; null turns caching off. */
  dir: string | null;
  /** Model identity for the key (see featureCacheKey). */
  model: string;
}

/** Clip features of `paths`, from the cache when the same model, files and front end were seen. */
export async function cachedClipFeatures(
  paths: readonly string[], enc: TokenEncoder, opts: ExtractOptions & { cache: CacheOptions },
): Promise<CachedFeatures & { fromCache: boolean; cacheFile?: string }> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const { dir, model } = opts.cache;
  const key = dir ? await featureCacheKey({ model, files: paths, frontEnd: opts.frontEnd, embed: { patch: enc.patch, maxFrames: enc.maxFrames, dim: enc.dim, nMels: enc.nMels, ...(opts.pool && opts.pool !== 'mean' ? { pool: opts.pool } : {}), ...(enc.layer !== undefined ? { layer: enc.layer } : {}) } }) : '';
  if (dir) {
    const hit = await readFeatureCache(dir, key);
    if (hit) {
      log(`features: cache hit (${hit.kept.length} files, ${hit.dim} dims) in ${dir}`);
      for (const s of hit.skipped) log(`skipped earlier: ${s.path}: ${s.reason}`);
      return { ...hit, fromCache: true };
    }
  }
  const r = await extractFeatures(paths, enc, { ...opts, keepFrames: false });
  const out: CachedFeatures = { features: r.features, dim: r.dim, kept: r.kept, skipped: r.skipped };
  if (dir) {
    const cacheFile = await writeFeatureCache(dir, key, out, paths);
    return { ...out, fromCache: false, cacheFile };
  }
  return { ...out, fromCache: false };
}
