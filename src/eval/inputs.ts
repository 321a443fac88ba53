/**
 * Command-line inputs → a list of audio files with optional labels (Node only): audio files are
 * taken as they are, folders and metadata files are listed as datasets.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { isAudioName } from '../data/fs-walk';
import type { DatasetItem } from '../data/datasets';
import { loadItemsSafely } from '../data/safe-load';
import { listEvalDataset, type EvalLayout } from './dataset';

export interface InputList { items: DatasetItem[]; missing: number; layouts: string[] }

export function collectInputs(paths: readonly string[], opts: { layout?: EvalLayout; labelKey?: string } = {}): InputList {
  const items: DatasetItem[] = [];
  const layouts: string[] = [];
  let missing = 0;
  for (const p of paths) {
    let isFile = false;
    try { isFile = statSync(p).isFile(); } catch { throw new Error(`${p}: no such file or folder`); }
    if (isFile && isAudioName(p) && !opts.layout) { items.push({ path: resolve(p) }); continue; }
    const ds = listEvalDataset(p, opts);
    items.push(...ds.items);
    layouts.push(`${p}: ${ds.layout} (${ds.items.length} files)`);
    missing += ds.missing;
  }
  return { items, missing, layouts };
}

/** `n` indices spread evenly over `total` (all when n ≥ total), to subsample a sorted listing fairly. */
export function evenlySpaced(total: number, n: number): number[] {
  if (n >= total) return Array.from({ length: total }, (_, i) => i);
  return Array.from({ length: n }, (_, k) => Math.floor((k * total) / n));
}

/**
 * At most `n` of `items`, spread evenly over the list, decoded at 16 kHz; a file that cannot be
 * decoded is skipped with a line to `log`. Returns the decoded audio and its paths, in list order.
 */
export async function loadEvenlySpaced(items: readonly DatasetItem[], n: number, log: (m: string) => void): Promise<{ samples: Float32Array[]; paths: string[] }> {
  const res = await loadItemsSafely(evenlySpaced(items.length, n).map((i) => items[i]), { onSkip: (s) => log(`skipping ${s.path}: ${s.reason}`) });
  return { samples: res.good.map((g) => g.samples), paths: res.good.map((g) => g.item.path) };
}
