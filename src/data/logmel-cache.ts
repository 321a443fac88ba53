/**
 * Disk cache of normalised log-mel spectrograms, so a corpus is decoded, resampled and transformed
 * once rather than every epoch. One safetensors file per clip ("logmel": F32 [nMels, nFrames]) under
 * `dir/<2 hex>/<key>.safetensors`, where the key hashes the audio file's absolute path, mtime and size
 * with the front end's parameters: editing the audio or changing any parameter misses, never reads a
 * stale entry. The metadata repeats what the key covers, and is checked on read (a hash collision or
 * a hand-copied file is treated as a miss). Writes are atomic (writeSafetensors), so concurrent
 * workers and crashes leave either no entry or a whole one.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DEFAULT_LOGMEL_CONFIG, type LogMel, type LogMelConfig } from '../audio/logmel-cpu';
import { readSafetensors, writeSafetensors } from '../io/safetensors';

/** Bumped when the meaning of cached values changes without a parameter changing. */
const FORMAT = 'aasp-logmel-cache/1';

/** Stable hash of every front-end parameter (defaults filled in), 16 hex digits. */
export function frontEndHash(cfg: Partial<LogMelConfig> = {}): string {
  const full = { ...DEFAULT_LOGMEL_CONFIG, ...cfg };
  const canon = Object.keys(full).sort().map((k) => [k, full[k as keyof LogMelConfig]]);
  return createHash('sha256').update(JSON.stringify([FORMAT, canon])).digest('hex').slice(0, 16);
}

export interface CacheStats { hits: number; misses: number; writes: number; invalid: number }

export class LogMelCache {
  readonly dir: string;
  readonly cfg: LogMelConfig;
  readonly paramsHash: string;
  readonly stats: CacheStats = { hits: 0, misses: 0, writes: 0, invalid: 0 };

  constructor(dir: string, cfg: Partial<LogMelConfig> = {}) {
    this.dir = resolve(dir);
    this.cfg = { ...DEFAULT_LOGMEL_CONFIG, ...cfg };
    this.paramsHash = frontEndHash(this.cfg);
  }

  private async identity(audioPath: string): Promise<{ path: string; mtimeMs: string; size: string; key: string }> {
    const path = resolve(audioPath);
    const st = await stat(path);
    const mtimeMs = String(st.mtimeMs), size = String(st.size);
    const key = createHash('sha256').update(JSON.stringify([path, mtimeMs, size, this.paramsHash])).digest('hex').slice(0, 32);
    return { path, mtimeMs, size, key };
  }

  private fileFor(key: string): string { return join(this.dir, key.slice(0, 2), `${key}.safetensors`); }

  /** Where the entry for `audioPath` lives (whether or not it exists). */
  async entryPath(audioPath: string): Promise<string> { return this.fileFor((await this.identity(audioPath)).key); }

  /** The cached log-mel of `audioPath`, or null when absent, stale or unreadable. */
  async get(audioPath: string): Promise<LogMel<Float32Array> | null> {
    const id = await this.identity(audioPath);
    const file = this.fileFor(id.key);
    let f;
    try {
      f = await readSafetensors(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') { this.stats.invalid++; await rm(file, { force: true }); }
      this.stats.misses++;
      return null;
    }
    const t = f.tensors.get('logmel');
    const m = f.metadata;
    const ok = t && t.dtype === 'F32' && t.shape.length === 2 && t.shape[0] === this.cfg.nMels &&
      m.path === id.path && m.mtimeMs === id.mtimeMs && m.size === id.size && m.params === this.paramsHash;
    if (!ok) {
      this.stats.invalid++;
      this.stats.misses++;
      return null;
    }
    this.stats.hits++;
    return { data: t.data as Float32Array, nMels: t.shape[0], nFrames: t.shape[1] };
  }

  /** Store the log-mel of `audioPath` (computed from the file as it is now). */
  async put(audioPath: string, lm: LogMel<Float32Array | Float64Array>): Promise<void> {
    if (lm.nMels !== this.cfg.nMels || lm.data.length !== lm.nMels * lm.nFrames) {
      throw new Error(`LogMelCache.put: expected [${this.cfg.nMels}, T] data, got ${lm.data.length} values for [${lm.nMels}, ${lm.nFrames}]`);
    }
    const id = await this.identity(audioPath);
    const file = this.fileFor(id.key);
    await mkdir(join(this.dir, id.key.slice(0, 2)), { recursive: true });
    const data = lm.data instanceof Float32Array ? lm.data : Float32Array.from(lm.data);
    await writeSafetensors(file, { logmel: { dtype: 'F32', shape: [lm.nMels, lm.nFrames], data } }, {
      format: FORMAT, path: id.path, mtimeMs: id.mtimeMs, size: id.size, params: this.paramsHash,
      config: JSON.stringify(this.cfg),
    });
    this.stats.writes++;
  }

  /** The cached log-mel, or `compute()`'s result, stored for next time. */
  async getOrCompute(audioPath: string, compute: () => Promise<LogMel<Float32Array | Float64Array>> | LogMel<Float32Array | Float64Array>): Promise<{ logmel: LogMel<Float32Array>; hit: boolean }> {
    const cached = await this.get(audioPath);
    if (cached) return { logmel: cached, hit: true };
    const lm = await compute();
    await this.put(audioPath, lm);
    const data = lm.data instanceof Float32Array ? lm.data : Float32Array.from(lm.data);
    return { logmel: { data, nMels: lm.nMels, nFrames: lm.nFrames }, hit: false };
  }
}
