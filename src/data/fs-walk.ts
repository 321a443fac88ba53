/** File-system listing helpers for the dataset readers (sorted, so listings are reproducible). */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';

/** Extensions treated as audio when scanning folders (the decoders sniff the real format). */
export const AUDIO_EXTENSIONS: ReadonlySet<string> = new Set(['.wav', '.wave', '.flac', '.mp3', '.ogg', '.oga']);

/** Is this file name an audio file by extension? */
export function isAudioName(name: string): boolean {
  return AUDIO_EXTENSIONS.has(extname(name).toLowerCase());
}

// Plain code-unit order, not locale order: the same on every machine.
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Entries of a folder split into files and sub-folders, sorted; hidden entries are skipped. */
export function listDir(dir: string): { files: string[]; dirs: string[] } {
  const files: string[] = [], dirs: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    let isDir = e.isDirectory(), isFile = e.isFile();
    if (e.isSymbolicLink()) {
      try {
        const st = statSync(join(dir, e.name));
        isDir = st.isDirectory();
        isFile = st.isFile();
      } catch {
        continue; // dangling link
      }
    }
    if (isDir) dirs.push(e.name);
    else if (isFile) files.push(e.name);
  }
  return { files: files.sort(byName), dirs: dirs.sort(byName) };
}

/** Audio files under `dir` (recursively unless `recursive` is false), as absolute sorted paths. */
export function listAudioFiles(dir: string, recursive = true, exclude: (dirName: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    const { files, dirs } = listDir(d);
    for (const f of files) if (isAudioName(f)) out.push(join(d, f));
    if (recursive) for (const s of dirs) if (!exclude(s)) walk(join(d, s));
  };
  walk(dir);
  return out.sort(byName);
}

/** Does `path` exist as a regular file? */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Does `path` exist as a directory? */
export function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}
