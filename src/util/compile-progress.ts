/**
 * Progress while a run's first step compiles its kernels. Drivers compile each pipeline when it is
 * first dispatched, synchronously, so a cold start (lavapipe: tens of seconds; a fresh Mesa shader
 * cache: minutes) would otherwise be silent. Each compiled pipeline updates one line on a terminal,
 * or prints a line every 10 kernels / 5 s in logs. The number of kernels the first step needs is
 * remembered per adapter and run shape (in the user's cache folder), so later cold starts show
 * "12/76" with an ETA instead of a bare count.
 *
 * Concurrent compilation (createComputePipelineAsync ahead of the step) was measured on Dawn with
 * lavapipe and was slower than compiling in turn (8 heaviest first-step kernels, uncached: 0.97-1.4 s
 * against 0.64-0.70 s), so the step compiles what it needs as it goes and this only reports it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Runtime } from '../gpu/runtime';

export interface CompileWatch {
  /** Stop watching; prints the total and remembers the count for next time. */
  done(): void;
}

function cacheFile(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'aasp-webgpu', 'first-step-kernels.json');
}

function readCounts(): Record<string, number> {
  try { return JSON.parse(readFileSync(cacheFile(), 'utf8')) as Record<string, number>; } catch { return {}; }
}

function writeCount(key: string, count: number): void {
  try {
    const file = cacheFile();
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ ...readCounts(), [key]: count }));
    renameSync(tmp, file);
  } catch { /* a read-only home only costs the total next time */ }
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Report pipelines compiled on `rt` until `done()`. `shape` names what is being run (config, batch),
 * so the remembered count matches the next run of the same shape on the same adapter.
 */
export function watchCompiles(rt: Runtime, shape: string, stream: NodeJS.WriteStream = process.stderr): CompileWatch {
  const key = createHash('sha1').update(`${rt.adapterName}\n${shape}`).digest('hex').slice(0, 16);
  const expected = readCounts()[key] ?? null;
  const start = rt.pipelineCount;
  const t0 = performance.now();
  let lastLine = t0;
  const line = (n: number, last: string, ms: number) => {
    const el = performance.now() - t0;
    const total = expected === null ? `${n}` : `${Math.min(n, expected)}/${expected}`;
    const eta = expected !== null && n < expected ? ` · ETA ${secs((el / n) * (expected - n))}` : '';
    return `compiling kernels ${total} · ${secs(el)}${eta} · last ${last} ${ms.toFixed(0)} ms`;
  };
  const prev = rt.onPipelineCompiled;
  rt.onPipelineCompiled = (name, ms, count) => {
    prev?.(name, ms, count);
    const n = count - start;
    if (stream.isTTY) { stream.write(`\r\x1b[K${line(n, name, ms)}`); return; }
    const now = performance.now();
    if (n % 10 === 0 || now - lastLine > 5000) { stream.write(`${line(n, name, ms)}\n`); lastLine = now; }
  };
  return {
    done() {
      rt.onPipelineCompiled = prev;
      const n = rt.pipelineCount - start;
      if (n === 0) return;
      stream.write(`${stream.isTTY ? '\r\x1b[K' : ''}compiled ${n} kernels in ${secs(performance.now() - t0)} (first step)\n`);
      writeCount(key, n);
    },
  };
}
