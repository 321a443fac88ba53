/**
 * Clip sources for pre-training: the built-in procedural corpus (endless, seeded, nothing to
 * download) or a dataset on disk (folder, file list, AudioSet CSV, any layout `listDataset` knows).
 *
 * When the built worker script (dist/decode-worker.js) is present, both run in worker threads:
 * synthesis or decoding, and — through `loadFeatures`, used by DataStream with the CPU log-mel —
 * the log-mel too, so the main thread only crops and batches. Without it (running from TypeScript
 * sources) they run on the main thread, and the source says so once through `log`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ProceduralCorpus } from '../data/procedural/corpus';
import { hashString, rngFor } from '../data/procedural/seeding';
import { DatasetError, listDataset } from '../data/datasets';
import { DecodePool, defaultWorkerUrl, type FeatureSpec, type LoadJob, type LoadResult } from '../data/decode-pool';
import { loadAudio } from '../audio/file-io';
import type { LogMel } from '../audio/logmel-cpu';
import { logMelCpuFast } from '../audio/logmel-cpu-fast';
import type { ClipSource } from './data';

/** Where a source loads its items. */
export interface LoaderOptions {
  /** Worker threads (default: DecodePool's, cores − 1, 1 to 8); 0 loads on the main thread. */
  workers?: number;
  /** Worker script (default: decode-worker.js beside the running bundle). */
  workerUrl?: URL | string;
  /**
   * A pool from `openLoaderPool` that several sources share (a mix: corpus synthesis and decoding
   * in one set of threads, not one set each); null: the main thread. The source neither names it in
   * its description nor closes it: whoever opened it does (`mixedSource` does both).
   */
  pool?: DecodePool | null;
}

/** A pool on the worker script, or null (with one notice through `log` when the script is missing). */
export function openLoaderPool(opts: LoaderOptions, what: string, log: (m: string) => void): DecodePool | null {
  if (opts.workers === 0) return null;
  const u = opts.workerUrl ?? defaultWorkerUrl();
  const url = typeof u === 'string' ? new URL(u, 'file://') : u;
  if (url.protocol === 'file:' && !existsSync(fileURLToPath(url))) {
    log(`loader: worker script ${fileURLToPath(url)} not found (run \`npm run build\`): ${what} and the CPU log-mel run on the main thread`);
    return null;
  }
  return new DecodePool({ workers: opts.workers, workerUrl: url, targetRate: 16000 });
}

const workersNote = (pool: DecodePool | null) => (pool ? `; loading in ${pool.size} worker thread${pool.size === 1 ? '' : 's'}` : '; loading on the main thread');

/** The source's pool: a shared one as given (not its to name or close), else its own. */
function poolOf(opts: LoaderOptions, what: string, log: (m: string) => void): { pool: DecodePool | null; note: string; close: () => Promise<void> } {
  if (opts.pool !== undefined) return { pool: opts.pool, note: '', close: async () => {} };
  const pool = openLoaderPool(opts, what, log);
  return { pool, note: workersNote(pool), close: async () => { await pool?.close(); } };
}

/** The built-in corpus; clip i is a pure function of (seed, i), wherever it is computed. */
export function proceduralSource(seed: number, durationSec = 10, log: (m: string) => void = console.warn, opts: LoaderOptions = {}, speechShare: number | null = null): ClipSource {
  const corpus = new ProceduralCorpus({ seed, durationSec, log, speechShare });
  const { pool, note, close } = poolOf(opts, 'corpus synthesis', log);
  let closed = false;
  let warned = false;
  // A worker failure (crash, espeak-ng missing in the worker) must not change the data: the clip is
  // then made here, deterministically, and that is said once.
  const viaPool = async <T>(i: number, spec: FeatureSpec | null, use: (r: Extract<LoadResult, { ok: true }>) => T, here: () => T | Promise<T>): Promise<T | { skip: string }> => {
    const job: LoadJob = { kind: 'procedural', seed, clipSeconds: durationSec, index: i, types: corpus.types, speechShare };
    const r = await pool!.load(job, spec).catch((e: Error) => ({ ok: false as const, reason: e.message }));
    if (r.ok) return use(r);
    if (closed) return { skip: 'loader closed' };
    if (!warned) { warned = true; log(`loader: worker failed on procedural clip ${i} (${r.reason}); making such clips on the main thread`); }
    return here();
  };
  const src: ClipSource = {
    size: null,
    description: `procedural corpus (seed ${seed}, ${durationSec} s clips, types: ${corpus.types.join(', ')}${speechShare === null ? '' : `; speech share ${speechShare}`})${note}`,
    load: async (i) => {
      if (!pool) return { samples: corpus.clip(i).samples };
      return viaPool(i, null, (r) => ({ samples: r.samples! }), () => ({ samples: corpus.clip(i).samples }));
    },
    async close() { closed = true; await close(); },
  };
  if (pool) {
    src.loadFeatures = (i, spec) => viaPool<{ mel: LogMel<Float32Array | Float64Array> }>(i, spec, (r) => ({ mel: r.mel! }), () => ({ mel: logMelCpuFast(corpus.clip(i).samples, spec) }));
  }
  return src;
}

/** A dataset on disk; throws DatasetError (a user error) when the path or its metadata is bad. */
export function fileSource(path: string, log: (m: string) => void = console.warn, opts: LoaderOptions = {}): ClipSource {
  const ds = listDataset(path, { warn: log });
  if (ds.missing > 0) log(`${ds.missing} files named by the metadata are missing (e.g. ${ds.missingExamples.slice(0, 3).join(', ')})`);
  const items = ds.items;
  if (items.length === 0) throw new DatasetError(ds.root, 'no audio files found');
  const { pool, note, close } = poolOf(opts, 'decoding', log);
  const src: ClipSource = {
    size: items.length,
    root: ds.root,
    description: `${ds.layout} dataset at ${ds.root} (${items.length} files)${note}`,
    async load(i) {
      const path = items[i].path;
      if (pool) {
        const r = await pool.decode(path).catch((e: Error) => ({ ok: false as const, reason: e.message }));
        return r.ok ? { samples: r.samples } : { skip: `${path}: ${r.reason}` };
      }
      try {
        return { samples: (await loadAudio(path, 16000)).samples };
      } catch (e) {
        return { skip: `${path}: ${(e as Error).message}` };
      }
    },
    async close() { await close(); },
  };
  if (pool) {
    src.loadFeatures = async (i, spec) => {
      const path = items[i].path;
      const r = await pool.load({ kind: 'file', path, targetRate: 16000 }, spec).catch((e: Error) => ({ ok: false as const, reason: e.message }));
      return r.ok && r.mel ? { mel: r.mel } : { skip: `${path}: ${r.ok ? 'no features returned' : r.reason}` };
    };
  }
  return src;
}

/** The stream of the per-item draw "which source, which file" (apart from the corpus's own draws). */
const MIX_STREAM = hashString('mix');

/**
 * An endless mix: item i comes from `extra` (a finite dataset) with probability `share`, a file drawn
 * uniformly with replacement, and otherwise from the endless `base` (its item i). Both draws are a
 * pure function of (seed, i), so the mix needs no state, resumes at any position and looks ahead
 * freely, like the corpus it extends. `pool`, when given, is the one both sources were opened on
 * (`LoaderOptions.pool`): the mix names it once and closes it after them.
 */
export function mixedSource(base: ClipSource, extra: ClipSource, share: number, seed: number, pool?: DecodePool | null): ClipSource {
  if (base.size !== null) throw new Error(`mixedSource: the base must be endless, got ${base.description}`);
  if (extra.size === null || extra.size === 0) throw new Error(`mixedSource: the mixed-in source must be a non-empty dataset, got ${extra.description}`);
  if (!(share > 0 && share <= 1)) throw new Error(`mixedSource: share must be in (0, 1], got ${share}`);
  const n = extra.size;
  const pick = (i: number): { from: ClipSource; item: number } => {
    const r = rngFor(seed, i, MIX_STREAM);
    return r.uniform() < share ? { from: extra, item: r.int(n) } : { from: base, item: i };
  };
  const src: ClipSource = {
    size: null,
    description: `${base.description}, with a share ${share} of its clips from the ${extra.description}${pool === undefined ? '' : workersNote(pool)}`,
    load: (i) => { const p = pick(i); return p.from.load(p.item); },
    async close() { await Promise.all([base.close?.(), extra.close?.()]); await pool?.close(); },
  };
  if (base.loadFeatures && extra.loadFeatures) {
    src.loadFeatures = (i, spec) => { const p = pick(i); return p.from.loadFeatures!(p.item, spec); };
  }
  return src;
}
