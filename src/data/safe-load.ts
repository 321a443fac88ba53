/**
 * Loading a dataset without letting one bad file stop a run: every unreadable, empty, truncated,
 * undecodable or non-finite file is reported (path + reason) and skipped.
 */
import type { DecodedAudio } from '../audio/decode';
import { AudioDecodeError } from '../audio/errors';
import { loadAudio } from '../audio/file-io';
import type { DatasetItem } from './types';

/** A file that was left out, and why. */
export interface SkippedFile {
  path: string;
  reason: string;
}

/** An item whose audio decoded cleanly. `samples` is empty when `keepSamples` was false. */
export interface LoadedItem<T extends DatasetItem = DatasetItem> {
  item: T;
  samples: Float32Array;
  sampleRate: number;
  /** Length in samples (kept even when the samples themselves are dropped). */
  length: number;
}

/** Options for {@link loadItemsSafely}. */
export interface SafeLoadOptions {
  /** Resample to this rate (default 16000). */
  targetRate?: number;
  /** Called once per skipped file, in item order. Default: one console.warn line per file. */
  onSkip?: (s: SkippedFile) => void;
  /** The loader (default {@link loadAudio}); a decode pool's `decode` can be passed instead. */
  load?: (path: string, targetRate: number) => Promise<DecodedAudio>;
  /** Files decoded concurrently (default 4). */
  concurrency?: number;
  /** Drop the decoded samples and keep only the item (a validation scan). Default true (keep). */
  keepSamples?: boolean;
}

/** Result of {@link loadItemsSafely}: good items in input order, and what was skipped. */
export interface SafeLoadResult<T extends DatasetItem = DatasetItem> {
  good: LoadedItem<T>[];
  skipped: SkippedFile[];
  skipCount: number;
}

function reasonOf(e: unknown): string {
  if (e instanceof AudioDecodeError) return e.reason;
  return `unexpected error: ${e instanceof Error ? e.message : String(e)}`;
}

/**
 * Decode every item, skipping (and reporting) the ones that fail.
 * Order is preserved: `good` follows the input order whatever the concurrency.
 */
export async function loadItemsSafely<T extends DatasetItem>(items: readonly T[], opts: SafeLoadOptions = {}): Promise<SafeLoadResult<T>> {
  const rate = opts.targetRate ?? 16000;
  const load = opts.load ?? ((p: string, r: number) => loadAudio(p, r));
  const onSkip = opts.onSkip ?? ((s: SkippedFile) => console.warn(`skipping ${s.path}: ${s.reason}`));
  const keep = opts.keepSamples ?? true;
  const conc = Math.max(1, opts.concurrency ?? 4);
  const results: (LoadedItem<T> | SkippedFile)[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const k = next++;
      const item = items[k];
      try {
        const a = await load(item.path, rate);
        if (a.samples.length === 0) throw new AudioDecodeError(item.path, 'zero samples');
        results[k] = { item, samples: keep ? a.samples : new Float32Array(0), sampleRate: a.sampleRate, length: a.samples.length };
      } catch (e) {
        results[k] = { path: item.path, reason: reasonOf(e) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(conc, items.length) }, worker));
  const good: LoadedItem<T>[] = [];
  const skipped: SkippedFile[] = [];
  for (const r of results) {
    if ('item' in r) good.push(r);
    else { skipped.push(r); onSkip(r); }
  }
  return { good, skipped, skipCount: skipped.length };
}
