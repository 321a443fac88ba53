/**
 * On-disk cache of clip features (Node only), so repeated linear evaluations of one checkpoint on
 * one dataset do not re-embed it. The key covers everything the features depend on: the model
 * (checkpoint content hash + student/teacher, or the random-init config and seed), the dataset's
 * file list (real paths) with each file's size and modification time (a regenerated proxy dataset keeps its file
 * names but not its contents), the front-end config and the windowing.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../io/safetensors';

/** Format version: bump when the embedding computation changes meaning. */
const CACHE_VERSION = 1;

/** SHA-256 of a file's bytes (streamed: checkpoints can be large). */
export async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    createReadStream(path).on('data', (c) => h.update(c)).on('end', () => resolve()).on('error', reject);
  });
  return h.digest('hex');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * (real path, size, mtime) of every file, in order; a missing file is recorded as such. The path is
 * resolved through symlinks, so one data set reached through two linked folders (two benchmark
 * outputs sharing their data) shares its cache entries.
 */
export async function fileFingerprints(paths: readonly string[]): Promise<[string, number, number][]> {
  return Promise.all(paths.map(async (p): Promise<[string, number, number]> => {
    try {
      const s = await stat(p);
      return [await realpath(p), s.size, Math.round(s.mtimeMs)];
    } catch {
      return [p, -1, 0];
    }
  }));
}

export interface CacheKeyParts {
  /** Identifies the weights, e.g. "sha256:<hex>:student" or "random:<config json>:seed=0". */
  model: string;
  files: readonly string[];
  /** Front-end parameters (sample rate, STFT, mel, normalisation). */
  frontEnd: unknown;
  /** Window length / patch and anything else of the embedding. */
  embed: unknown;
}

export async function featureCacheKey(parts: CacheKeyParts): Promise<string> {
  const fp = await fileFingerprints(parts.files);
  return sha256(JSON.stringify({ v: CACHE_VERSION, model: parts.model, files: fp, frontEnd: parts.frontEnd, embed: parts.embed }));
}

/** Cached features: rows for the files that decoded, and the ones that did not. */
export interface CachedFeatures {
  /** Row-major [kept.length, dim]. */
  features: Float32Array;
  dim: number;
  /** Indices (into the file list) of the rows. */
  kept: number[];
  skipped: { path: string; reason: string }[];
}

export function cachePath(dir: string, key: string): string {
  return join(dir, `features-${key.slice(0, 32)}.safetensors`);
}

export async function readFeatureCache(dir: string, key: string): Promise<CachedFeatures | null> {
  try {
    const f = await readSafetensors(cachePath(dir, key));
    if (f.metadata.key !== key) return null;
    const feats = f.tensors.get('features'), kept = f.tensors.get('kept');
    if (!feats || !kept || feats.dtype !== 'F32' || kept.dtype !== 'I32') return null;
    return {
      features: feats.data as Float32Array, dim: feats.shape[1], kept: [...(kept.data as Int32Array)],
      skipped: JSON.parse(f.metadata.skipped ?? '[]'),
    };
  } catch {
    return null; // absent or unreadable: recompute
  }
}

export async function writeFeatureCache(dir: string, key: string, c: CachedFeatures, files: readonly string[]): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = cachePath(dir, key);
  await writeSafetensors(path, {
    features: { dtype: 'F32', shape: [c.kept.length, c.dim], data: c.features },
    kept: { dtype: 'I32', shape: [c.kept.length], data: Int32Array.from(c.kept) },
  }, { key, files: JSON.stringify(c.kept.map((i) => files[i])), skipped: JSON.stringify(c.skipped) });
  return path;
}
