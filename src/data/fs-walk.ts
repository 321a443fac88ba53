/**
 * File-system listing helpers for the dataset readers (sorted, so listings are reproducible).
 * Folder walks follow links to folders, but list each real folder once: a link back up the tree
 * (`sub/up -> ..`) or a second link to a folder already listed would otherwise multiply the corpus
 * silently. A sub-folder that cannot be read is left out with a note; one bad folder must not stop
 * a run any more than one bad file does.
 */
import { existsSync, readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { extname, join } from 'node:path';

/** Extensions treated as audio when scanning folders (the decoders sniff the real format). */
export const AUDIO_EXTENSIONS: ReadonlySet<string> = new Set(['.wav', '.wave', '.flac', '.mp3', '.ogg', '.oga']);

/** Is this file name an audio file by extension? */
export function isAudioName(name: string): boolean {
  return AUDIO_EXTENSIONS.has(extname(name).toLowerCase());
}

// Plain code-unit order, not locale order: the same on every machine.
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** How a walk reads folders and reports what it leaves out. */
export interface WalkHooks {
  /** Told about each sub-folder left out (unreadable, a loop, a duplicate). Default: console.warn. */
  warn?: (msg: string) => void;
  /** Folder reader (default readdirSync with file types); tests inject failures here. */
  readdir?: (dir: string) => Dirent[];
}

const defaultReaddir = (dir: string): Dirent[] => readdirSync(dir, { withFileTypes: true });

/** Entries of a folder split into files and sub-folders, sorted; hidden entries are skipped. */
export function listDir(dir: string, hooks: WalkHooks = {}): { files: string[]; dirs: string[]; links: Set<string> } {
  const files: string[] = [], dirs: string[] = [];
  const links = new Set<string>();
  for (const e of (hooks.readdir ?? defaultReaddir)(dir)) {
    if (e.name.startsWith('.')) continue;
    let isDir = e.isDirectory(), isFile = e.isFile();
    if (e.isSymbolicLink()) {
      try {
        const st = statSync(join(dir, e.name));
        isDir = st.isDirectory();
        isFile = st.isFile();
        links.add(e.name);
      } catch {
        continue; // dangling link, or a link to itself (ELOOP)
      }
    }
    if (isDir) dirs.push(e.name);
    else if (isFile) files.push(e.name);
  }
  return { files: files.sort(byName), dirs: dirs.sort(byName), links };
}

/** Options for {@link listAudioFiles}. */
export interface AudioWalkOptions extends WalkHooks {
  /** Descend into sub-folders (default true). */
  recursive?: boolean;
  /** Sub-folder names not to enter. */
  exclude?: (dirName: string) => boolean;
}

const errCode = (e: unknown): string => (e as NodeJS.ErrnoException)?.code ?? (e as Error)?.message ?? String(e);

/**
 * Audio files under `dir` (recursively unless `recursive` is false), as absolute sorted paths.
 * Each real folder is listed once, and each real file once: the folder tree itself is walked
 * first and linked folders after it, so a file or folder reachable both directly and through a
 * link is listed under its own path. The top folder must be readable (its error is thrown); an
 * unreadable sub-folder is left out and reported through `warn`, as is each link not followed.
 */
export function listAudioFiles(dir: string, opts: AudioWalkOptions = {}): string[] {
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const exclude = opts.exclude ?? (() => false);
  const found: { path: string; id: string; link: boolean }[] = [];
  const seenDirs = new Map<string, string>(); // real path -> the path it is listed under
  const linked: { path: string; real: string; parentReal: string }[] = [];
  const walk = (d: string, real: string, top: boolean): void => {
    let listing;
    try {
      listing = listDir(d, opts);
    } catch (e) {
      if (top) throw e;
      warn(`skipping folder ${d}: cannot read it (${errCode(e)})`);
      return;
    }
    const { files, dirs, links } = listing;
    for (const f of files) {
      if (!isAudioName(f)) continue;
      const link = links.has(f);
      found.push({ path: join(d, f), id: link ? realOrSelf(join(d, f)) : join(real, f), link });
    }
    if (opts.recursive === false) return;
    for (const s of dirs) {
      if (exclude(s)) continue;
      const sub = join(d, s);
      if (links.has(s)) { linked.push({ path: sub, real: realOrSelf(sub), parentReal: real }); continue; }
      seenDirs.set(join(real, s), sub);
      walk(sub, join(real, s), false);
    }
  };
  const real = realOrSelf(dir);
  seenDirs.set(real, dir);
  walk(dir, real, true);
  // Linked folders after the real tree (in the order met; each may reveal more links).
  for (let i = 0; i < linked.length; i++) {
    const { path, real: target, parentReal } = linked[i];
    const first = seenDirs.get(target);
    if (first !== undefined) {
      const loop = `${parentReal}/`.startsWith(`${target.replace(/\/$/, '')}/`);
      warn(`skipping folder link ${path}: ${loop ? `it leads back to ${first}, a folder above it (a loop)` : `it is the same folder as ${first}, already listed`}`);
      continue;
    }
    seenDirs.set(target, path);
    walk(path, target, false);
  }
  // One path per real file: its own path if the walk met it, else the first link to it.
  const byId = new Map<string, { path: string; link: boolean }>();
  for (const f of [...found].sort((a, b) => byName(a.path, b.path))) {
    const prev = byId.get(f.id);
    if (!prev || (prev.link && !f.link)) byId.set(f.id, f);
  }
  return [...byId.values()].map((f) => f.path).sort(byName);
}

/** The real path (links resolved), or the path itself when it cannot be resolved. */
function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
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
