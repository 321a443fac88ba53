/** Layout-free datasets: a folder of audio, a folder per class, and a text file list. */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isFile, listAudioFiles, listDir } from '../fs-walk';
import { DatasetError, type Dataset, type DatasetItem } from '../types';
import { MissingFiles, makeDataset, readText } from './common';

/** Every audio file under `root`, recursively, unlabelled (pre-training corpora). */
export function readFolder(root: string): Dataset {
  const dir = resolve(root);
  const items = listAudioFiles(dir).map((path) => ({ path }));
  return makeDataset('folder', dir, items, new MissingFiles());
}

/**
 * One sub-folder per class (`root/<class>/**.wav`); the label is the sub-folder's name.
 * Audio lying directly in `root` is ignored: it belongs to no class.
 */
export function readClassFolders(root: string): Dataset {
  const dir = resolve(root);
  const items: DatasetItem[] = [];
  for (const cls of listDir(dir).dirs) {
    for (const path of listAudioFiles(join(dir, cls))) items.push({ path, label: cls });
  }
  return makeDataset('class-folders', dir, items, new MissingFiles());
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
