/**
 * The evaluation benchmarks' own layouts (spec section 6): ESC-50, UrbanSound8K, Speech Commands
 * v2 and NSynth. Each reader checks that the listed audio exists and counts what does not.
 */
import { basename, join, relative, resolve, sep } from 'node:path';
import { isDir, isFile, listAudioFiles, listDir, type WalkHooks } from '../fs-walk';
import { DatasetError, type Dataset, type DatasetItem } from '../types';
import { MissingFiles, intField, makeDataset, readCsvRecords, readText } from './common';

/** Classes ordered by their integer target, checking the target ↔ name mapping is consistent. */
function classesByTarget(pairs: [number, string][], file: string): string[] {
  const byTarget = new Map<number, string>();
  for (const [t, name] of pairs) {
    const prev = byTarget.get(t);
    if (prev !== undefined && prev !== name) throw new DatasetError(file, `target ${t} names both "${prev}" and "${name}"`);
    byTarget.set(t, name);
  }
  return [...byTarget.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n);
}

/** ESC-50: `meta/esc50.csv` (filename, fold, target, category) and `audio/<filename>`. */
export function readEsc50(root: string): Dataset {
  const dir = resolve(root);
  const csv = join(dir, 'meta', 'esc50.csv');
  const recs = readCsvRecords(csv, ['filename', 'fold', 'target', 'category']);
  const items: DatasetItem[] = [];
  const missing = new MissingFiles();
  const pairs: [number, string][] = [];
  for (const r of recs) {
    const path = join(dir, 'audio', r.filename);
    pairs.push([intField(r, 'target', csv), r.category]);
    if (!isFile(path)) { missing.add(r.filename); continue; }
    items.push({ path, label: r.category, fold: intField(r, 'fold', csv) });
  }
  return makeDataset('esc50', dir, items, missing, classesByTarget(pairs, csv));
}

/** UrbanSound8K: `metadata/UrbanSound8K.csv` and `audio/fold<k>/<slice_file_name>`, 10 folds. */
export function readUs8k(root: string): Dataset {
  const dir = resolve(root);
  const csv = join(dir, 'metadata', 'UrbanSound8K.csv');
  const recs = readCsvRecords(csv, ['slice_file_name', 'fold', 'classID', 'class']);
  const items: DatasetItem[] = [];
  const missing = new MissingFiles();
  const pairs: [number, string][] = [];
  for (const r of recs) {
    const fold = intField(r, 'fold', csv);
    const path = join(dir, 'audio', `fold${fold}`, r.slice_file_name);
    pairs.push([intField(r, 'classID', csv), r.class]);
    if (!isFile(path)) { missing.add(`fold${fold}/${r.slice_file_name}`); continue; }
    items.push({ path, label: r.class, fold });
  }
  return makeDataset('us8k', dir, items, missing, classesByTarget(pairs, csv));
}

/** Read one of Speech Commands' split lists as a set of normalised relative paths. */
function readSplitList(path: string): Set<string> {
  if (!isFile(path)) return new Set();
  return new Set(readText(path).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '').map((l) => l.replace(/\\/g, '/')));
}

/**
 * Speech Commands v2: one folder per word; `validation_list.txt` and `testing_list.txt` name the
 * valid and test files (relative paths), everything else is train. `_background_noise_` holds
 * long noise recordings, not keywords, and is excluded.
 */
export function readSpeechCommands(root: string, hooks: WalkHooks = {}): Dataset {
  const dir = resolve(root);
  const valid = readSplitList(join(dir, 'validation_list.txt'));
  const test = readSplitList(join(dir, 'testing_list.txt'));
  if (valid.size === 0 && test.size === 0) {
    throw new DatasetError(dir, 'Speech Commands needs validation_list.txt and/or testing_list.txt');
  }
  const items: DatasetItem[] = [];
  const seen = new Set<string>();
  for (const word of listDir(dir, hooks).dirs) {
    if (word.startsWith('_')) continue; // _background_noise_
    let files: string[];
    try {
      files = listAudioFiles(join(dir, word), hooks);
    } catch (e) {
      (hooks.warn ?? console.warn)(`skipping folder ${join(dir, word)}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      continue;
    }
    for (const path of files) {
      const rel = relative(dir, path).split(sep).join('/');
      seen.add(rel);
      const split = test.has(rel) ? 'test' : valid.has(rel) ? 'valid' : 'train';
      items.push({ path, label: word, split });
    }
  }
  const missing = new MissingFiles();
  for (const rel of [...valid, ...test]) if (!seen.has(rel)) missing.add(rel);
  return makeDataset('speechcommands', dir, items, missing);
}

/** Options for {@link readNsynth}. */
export interface NsynthOptions {
  /**
   * Which annotation is the label: 'instrument_family' (default), 'instrument_source', 'pitch',
   * 'velocity', 'instrument', ... When `<key>_str` exists (e.g. instrument_family_str) it is used,
   * so labels are names rather than numbers.
   */
  labelKey?: string;
}

function readNsynthSplit(dir: string, split: string | undefined, labelKey: string, items: DatasetItem[], missing: MissingFiles): void {
  const jsonPath = join(dir, 'examples.json');
  let meta: Record<string, Record<string, unknown>>;
  try {
    meta = JSON.parse(readText(jsonPath)) as Record<string, Record<string, unknown>>;
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(jsonPath, `bad JSON: ${(e as Error).message}`);
  }
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw new DatasetError(jsonPath, 'expected an object keyed by note id');
  for (const id of Object.keys(meta).sort()) {
    const rec = meta[id];
    const value = rec?.[`${labelKey}_str`] ?? rec?.[labelKey];
    if (value === undefined) throw new DatasetError(jsonPath, `note ${id} has no "${labelKey}"`);
    const path = join(dir, 'audio', `${id}.wav`);
    if (!isFile(path)) { missing.add(id); continue; }
    const item: DatasetItem = { path, label: String(value) };
    if (split !== undefined) item.split = split;
    const inst = rec?.instrument_str ?? rec?.instrument;
    if (inst !== undefined) item.group = String(inst);
    items.push(item);
  }
}

/**
 * NSynth: `examples.json` keyed by note id and `audio/<id>.wav`. `path` may be one split folder
 * (nsynth-train, nsynth-valid or nsynth-test, whose name gives the split), its examples.json, or a
 * folder holding the split folders (all are read).
 */
export function readNsynth(path: string, opts: NsynthOptions = {}): Dataset {
  const labelKey = opts.labelKey ?? 'instrument_family';
  let dir = resolve(path);
  if (basename(dir) === 'examples.json') dir = resolve(dir, '..');
  const items: DatasetItem[] = [];
  const missing = new MissingFiles();
  const splitOf = (d: string): string | undefined => /nsynth-(train|valid|test)$/.exec(basename(d))?.[1];
  if (isFile(join(dir, 'examples.json'))) {
    readNsynthSplit(dir, splitOf(dir), labelKey, items, missing);
  } else {
    const subs = listDir(dir).dirs.filter((d) => splitOf(d) !== undefined && isFile(join(dir, d, 'examples.json')));
    if (subs.length === 0) throw new DatasetError(dir, 'no examples.json here nor in nsynth-{train,valid,test}/');
    for (const s of subs) readNsynthSplit(join(dir, s), splitOf(s), labelKey, items, missing);
  }
  if (!isDir(dir)) throw new DatasetError(dir, 'not a folder');
  return makeDataset('nsynth', dir, items, missing);
}
