/**
 * One entry point for every dataset layout the project reads (spec section 6): give it a path,
 * it works out the layout and lists the audio items with their labels, folds and splits.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { isAudioName, isDir, isFile, listDir, type WalkHooks } from './fs-walk';
import { readAudioSet, type AudioSetOptions } from './readers/audioset';
import { readEsc50, readNsynth, readSpeechCommands, readUs8k, type NsynthOptions } from './readers/benchmarks';
import { MissingFiles, makeDataset, readText } from './readers/common';
import { readClassFolders, readFileList, readFolder } from './readers/generic';
import { DatasetError, type Dataset, type LayoutName } from './types';

export type { Dataset, DatasetItem, LayoutName } from './types';
export { DatasetError } from './types';
export { readAudioSet, readClassFolders, readEsc50, readFileList, readFolder, readNsynth, readSpeechCommands, readUs8k };

/** Options for {@link listDataset}. */
export interface ListOptions extends AudioSetOptions, NsynthOptions, WalkHooks {
  /** Force a layout instead of detecting it. */
  layout?: LayoutName;
}

/** AudioSet segment CSVs directly inside a folder. */
function segmentCsvs(dir: string): string[] {
  return listDir(dir).files.filter((f) => /_segments\.csv$/i.test(f)).map((f) => join(dir, f));
}

/** Does this CSV look like an AudioSet segment list (comment header or YTID column)? */
function looksLikeAudioSetCsv(path: string): boolean {
  const head = readText(path).slice(0, 2000).replace(/^\ufeff/, '');
  const first = head.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  return first.startsWith('#') || /^\s*YTID\s*,/.test(first);
}

/**
 * Class folders: no audio directly in `dir`, and at least two sub-folders that hold audio
 * directly. (A corpus merely organised in folders usually nests deeper or mixes levels.)
 */
function looksLikeClassFolders(dir: string, hooks: WalkHooks): boolean {
  const { files, dirs } = listDir(dir, hooks);
  if (files.some(isAudioName)) return false;
  let withAudio = 0;
  for (const d of dirs) {
    let sub;
    try {
      sub = listDir(join(dir, d), hooks);
    } catch {
      continue; // unreadable: the reader reports it when it walks the folders
    }
    if (sub.files.some(isAudioName)) withAudio++;
    else if (sub.dirs.length > 0) return false;
  }
  return withAudio >= 2;
}

/**
 * Work out which layout `path` is in.
 * - a .txt file: file list; a .csv file: esc50.csv, UrbanSound8K.csv or an AudioSet segment list;
 *   examples.json: NSynth; an audio file: a one-file folder dataset
 * - a folder with meta/esc50.csv, metadata/UrbanSound8K.csv, examples.json (or nsynth-* splits),
 *   validation_list.txt/testing_list.txt, or *_segments.csv; else class folders or a plain folder
 */
export function detectLayout(path: string, hooks: WalkHooks = {}): LayoutName {
  const p = resolve(path);
  if (isFile(p)) {
    const name = basename(p).toLowerCase();
    const ext = extname(name);
    if (ext === '.txt') return 'filelist';
    if (name === 'esc50.csv') return 'esc50';
    if (name === 'urbansound8k.csv') return 'us8k';
    if (name === 'examples.json') return 'nsynth';
    if (ext === '.csv' && looksLikeAudioSetCsv(p)) return 'audioset';
    if (isAudioName(name)) return 'folder';
    throw new DatasetError(p, 'cannot tell the dataset layout of this file (expected .txt list, a dataset CSV, examples.json or audio)');
  }
  if (!isDir(p)) throw new DatasetError(p, 'no such file or folder');
  try {
    listDir(p, hooks);
  } catch (e) {
    throw new DatasetError(p, `cannot read folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (isFile(join(p, 'meta', 'esc50.csv'))) return 'esc50';
  if (isFile(join(p, 'metadata', 'UrbanSound8K.csv'))) return 'us8k';
  if (isFile(join(p, 'examples.json'))) return 'nsynth';
  if (readdirSync(p).some((d) => /^nsynth-(train|valid|test)$/.test(d) && isFile(join(p, d, 'examples.json')))) return 'nsynth';
  if (isFile(join(p, 'validation_list.txt')) || isFile(join(p, 'testing_list.txt'))) return 'speechcommands';
  if (segmentCsvs(p).length > 0) return 'audioset';
  if (looksLikeClassFolders(p, hooks)) return 'class-folders';
  return 'folder';
}

/** The dataset root a layout's reader wants, given the path the user named. */
function rootFor(layout: LayoutName, p: string): string {
  if (!isFile(p)) return p;
  if (layout === 'esc50' || layout === 'us8k') return dirname(dirname(p)); // <root>/meta/esc50.csv
  return p;
}

/**
 * List a dataset from a path (folder or metadata file), detecting its layout unless
 * `opts.layout` says. Metadata entries whose audio is missing are counted in `missing`.
 * @throws DatasetError when the metadata is absent or malformed.
 */
export function listDataset(path: string, opts: ListOptions = {}): Dataset {
  const p = resolve(path);
  const layout = opts.layout ?? detectLayout(p, opts);
  const hooks: WalkHooks = { warn: opts.warn, readdir: opts.readdir };
  const root = rootFor(layout, p);
  switch (layout) {
    case 'folder':
      if (isFile(p)) return makeDataset('folder', p, [{ path: p }], new MissingFiles());
      return readFolder(root, hooks);
    case 'class-folders': return readClassFolders(root, hooks);
    case 'filelist': return readFileList(root);
    case 'esc50': return readEsc50(root);
    case 'us8k': return readUs8k(root);
    case 'speechcommands': return readSpeechCommands(root, hooks);
    case 'nsynth': return readNsynth(root, opts);
    case 'audioset': {
      const csvs = isFile(root) ? [root] : segmentCsvs(root);
      if (csvs.length === 0) throw new DatasetError(root, 'no *_segments.csv here');
      return readAudioSet(csvs, { ...hooks, audioDir: opts.audioDir ?? (isFile(root) ? dirname(root) : root) });
    }
  }
}
