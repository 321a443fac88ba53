/**
 * AudioSet segment lists (`balanced_train_segments.csv`, `eval_segments.csv`, ...): rows of
 * YTID, start_seconds, end_seconds, "mid1,mid2,...", with '#' comment lines. The audio is whatever
 * the user managed to download, so most rows may have no file: those are counted, not fatal.
 */
import { basename, dirname, extname, resolve } from 'node:path';
import { CsvError, parseCsv } from '../csv';
import { listAudioFiles, type WalkHooks } from '../fs-walk';
import { DatasetError, type Dataset, type DatasetItem } from '../types';
import { MissingFiles, makeDataset, readText } from './common';

/** Options for {@link readAudioSet}. */
export interface AudioSetOptions extends WalkHooks {
  /** Where the audio files are (searched recursively). Default: the folder of the first CSV. */
  audioDir?: string;
}

/** Extension preference when a segment exists in several formats. */
const EXT_RANK: Record<string, number> = { '.wav': 0, '.flac': 1 };

/** File stems a downloaded segment may have, most specific first. */
function candidateStems(ytid: string, startRaw: string): string[] {
  const start = Number(startRaw);
  const starts = new Set<string>([startRaw]);
  if (Number.isFinite(start)) {
    starts.add(String(start));
    starts.add(start.toFixed(1));
    starts.add(start.toFixed(3));
    starts.add(String(Math.floor(start)));
  }
  const stems: string[] = [];
  for (const s of starts) stems.push(`${ytid}_${s}`);
  stems.push(ytid, `Y${ytid}`);
  return stems;
}

/** Index local audio by file stem, keeping .wav over .flac (other formats are ignored). */
function indexAudio(dir: string, hooks: WalkHooks): Map<string, string> {
  const byStem = new Map<string, string>();
  for (const path of listAudioFiles(dir, hooks)) {
    const ext = extname(path).toLowerCase();
    if (!(ext in EXT_RANK)) continue;
    const stem = basename(path, extname(path));
    const prev = byStem.get(stem);
    if (prev === undefined || EXT_RANK[ext] < EXT_RANK[extname(prev).toLowerCase()]) byStem.set(stem, path);
  }
  return byStem;
}

/**
 * List the segments of one or more AudioSet CSVs that have local audio, found as
 * `<YTID>_<start>.wav`, `<YTID>.wav` or the same with `.flac`. The split of each item is the CSV's
 * name without `_segments.csv` (e.g. "balanced_train", "eval").
 */
export function readAudioSet(csvPaths: string | string[], opts: AudioSetOptions = {}): Dataset {
  const csvs = (Array.isArray(csvPaths) ? csvPaths : [csvPaths]).map((p) => resolve(p));
  if (csvs.length === 0) throw new DatasetError('(none)', 'no AudioSet CSV given');
  const audio = indexAudio(resolve(opts.audioDir ?? dirname(csvs[0])), opts);
  const items: DatasetItem[] = [];
  const missing = new MissingFiles();
  for (const csv of csvs) {
    let rows: string[][];
    try {
      rows = parseCsv(readText(csv), { comment: '#' });
    } catch (e) {
      if (e instanceof CsvError) throw new DatasetError(csv, `bad CSV: ${e.message}`);
      throw e;
    }
    if (rows.length > 0 && rows[0][0] === 'YTID') rows = rows.slice(1);
    const split = basename(csv).replace(/_segments\.csv$/i, '').replace(/\.csv$/i, '');
    rows.forEach((r, k) => {
      if (r.length < 4) throw new DatasetError(csv, `data row ${k + 1}: expected YTID, start, end, labels; got ${r.length} fields`);
      const [ytid, start, , labelField] = r;
      const labels = labelField.split(',').map((s) => s.trim()).filter((s) => s !== '');
      const stem = candidateStems(ytid, start).find((s) => audio.has(s));
      if (stem === undefined) { missing.add(`${ytid} @ ${start}s`); return; }
      items.push({ path: audio.get(stem)!, labels, split });
    });
  }
  const ds = makeDataset('audioset', csvs.length === 1 ? csvs[0] : dirname(csvs[0]), items, missing);
  ds.classes = [...new Set(items.flatMap((i) => i.labels ?? []))].sort();
  return ds;
}
