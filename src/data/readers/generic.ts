/** Layout-free datasets: a folder of audio, a folder per class, and a text file list. */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isFile, listAudioFiles, listDir, type WalkHooks } from '../fs-walk';
import { DatasetError, type Dataset, type DatasetItem } from '../types';
import { MissingFiles, makeDataset, readText } from './common';

/** Every audio file under `root`, recursively, unlabelled (pre-training corpora). */
export function readFolder(root: string, hooks: WalkHooks = {}): Dataset {
  const dir = resolve(root);
  const items = readableRoot(dir, () => listAudioFiles(dir, hooks)).map((path) => ({ path }));
  return makeDataset('folder', dir, items, new MissingFiles());
}

/**
 * One sub-folder per class (`root/<class>/**.wav`); the label is the sub-folder's name.
 * Audio lying directly in `root` is ignored: it belongs to no class.
 */
export function readClassFolders(root: string, hooks: WalkHooks = {}): Dataset {
  const dir = resolve(root);
  const items: DatasetItem[] = [];
  const warn = hooks.warn ?? ((m: string) => console.warn(m));
  for (const cls of readableRoot(dir, () => listDir(dir, hooks)).dirs) {
    let files: string[];
    try {
      files = listAudioFiles(join(dir, cls), hooks);
    } catch (e) {
      warn(`skipping folder ${join(dir, cls)}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      continue;
    }
    for (const path of files) items.push({ path, label: cls });
  }
  return makeDataset('class-folders', dir, items, new MissingFiles());
}

/** Run a listing of the dataset's top folder, turning its read failure into a DatasetError. */
export function readableRoot<T>(dir: string, list: () => T): T {
  try {
    return list();
  } catch (e) {
    throw new DatasetError(dir, `cannot read folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * A text file with one audio path per line, relative to the list's folder (absolute paths are
 * kept). An optional label may follow the path after a tab. Blank lines and lines starting with
 * '#' are skipped; listed files that do not exist are counted as missing.
 */
export function readFileList(listPath: string): Dataset {
  const file = resolve(listPath);
  const base = dirname(file);
  const items: DatasetItem[] = [];
  const missing = new MissingFiles();
  const lines = readText(file).split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [p, label] = line.split('\t');
    const path = isAbsolute(p) ? p : resolve(base, p);
    if (!isFile(path)) { missing.add(p); continue; }
    items.push(label !== undefined && label.trim() !== '' ? { path, label: label.trim() } : { path });
  }
  if (items.length === 0 && missing.count === 0) throw new DatasetError(file, 'file list names no files');
  return makeDataset('filelist', file, items, missing);
}
