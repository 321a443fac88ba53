/**
 * Dawn writes two warnings to stderr each time it opens a lavapipe adapter ("maxDynamicUniform/
 * StorageBuffersPerPipelineLayout artificially reduced … to fit dynamic offset allocation limit").
 * They are harmless here (no kernel uses dynamic offsets) but native code prints them straight to
 * file descriptor 2, where no JavaScript hook sees them, so every command used to start with them.
 *
 * While Dawn opens the adapter, descriptor 2 points at a temporary file (libc's dup/dup2, called
 * through koffi); afterwards every other line is written back to stderr, so real problems (a
 * missing Vulkan loader, a driver error) still show. AASP_DEBUG=1 leaves stderr alone. Where koffi
 * or libc cannot be loaded nothing is filtered. Node only: the browser build never imports this.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The lines dropped: Dawn's limit-clamping notices, nothing else. */
export const DAWN_LIMIT_WARNING = /^Warning: maxDynamic\w+BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;

interface Libc { dup: (fd: number) => number; dup2: (from: number, to: number) => number; close: (fd: number) => number }
let libc: Libc | null | undefined;

async function loadLibc(): Promise<Libc | null> {
  if (libc !== undefined) return libc;
  libc = null;
  if (process.platform !== 'linux') return libc;
  try {
    const koffi = (await import('koffi')).default;
    const lib = koffi.load('libc.so.6');
    libc = { dup: lib.func('int dup(int)'), dup2: lib.func('int dup2(int, int)'), close: lib.func('int close(int)') };
  } catch {
    libc = null;
  }
  return libc;
}

/** Lines of `text` that are not Dawn's limit warnings. */
export function withoutDawnWarnings(text: string): string {
  return text.split('\n').filter((l) => !DAWN_LIMIT_WARNING.test(l.trim())).join('\n');
}

/** Run `fn` (which opens a Dawn adapter) with Dawn's limit warnings kept off stderr. */
export async function quietDawn<T>(fn: () => Promise<T>): Promise<T> {
  const c = process.env.AASP_DEBUG ? null : await loadLibc();
  if (!c) return fn();
  const dir = mkdtempSync(path.join(tmpdir(), 'aasp-stderr-'));
  const file = path.join(dir, 'stderr');
  const fd = openSync(file, 'w+');
  const saved = c.dup(2);
  if (saved < 0 || c.dup2(fd, 2) < 0) {
    if (saved >= 0) c.close(saved);
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
    return fn();
  }
  try {
    return await fn();
  } finally {
    c.dup2(saved, 2);
    c.close(saved);
    closeSync(fd);
    const rest = withoutDawnWarnings(readFileSync(file, 'utf8'));
    rmSync(dir, { recursive: true, force: true });
    if (rest.trim() !== '') process.stderr.write(rest.endsWith('\n') ? rest : `${rest}\n`);
  }
}
