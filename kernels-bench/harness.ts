/**
 * Timing for kernels-bench. Ours: GPU time from timestamp queries (Runtime.beginTiming) when the
 * adapter has them, plus wall time to a queue sync. Peers (tfjs, jax-js) own their devices, so they
 * are timed by wall clock to a data read. On CPU adapters the machine may be shared: the CPU time
 * of the process's worker threads (lavapipe's compute threads, /proc/self/task) during a run is
 * reported too, as the contention-free measure of work (main thread excluded: it only issues work).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { runtime } from '../src/gpu/runtime';

export interface Timing { ms: number; wallMs: number; cpuMs: number | null }

let procOk: boolean | null = null;

/** CPU milliseconds used so far by this process's threads other than the main one (null if unknown). */
export function workerCpuMs(): number | null {
  if (procOk === false) return null;
  try {
    let ticks = 0;
    for (const t of readdirSync('/proc/self/task')) {
      if (Number(t) === process.pid) continue;
      const s = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    }
    procOk = true;
    return ticks * 10; // USER_HZ = 100 on Linux
  } catch {
    procOk = false;
    return null;
  }
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

/** Time `run` (records work on our runtime): warm-up, then the median of `reps` repeats. */
export async function timeOurs(run: () => void, reps: number, warmup = 1): Promise<Timing> {
  const rt = runtime();
  for (let i = 0; i < warmup; i++) { run(); await rt.sync(); }
  const gpu: number[] = [], wall: number[] = [];
  const c0 = workerCpuMs();
  for (let i = 0; i < reps; i++) {
    const timed = rt.beginTiming();
    const t0 = performance.now();
    run();
    await rt.sync();
    wall.push(performance.now() - t0);
    if (timed) gpu.push(await rt.endTiming());
  }
  const c1 = workerCpuMs();
  const wallMs = median(wall);
  return { ms: gpu.length ? median(gpu) : wallMs, wallMs, cpuMs: c0 !== null && c1 !== null ? (c1 - c0) / reps : null };
}

/** Time a peer: `run` issues one iteration and resolves when its result has been read back. */
export async function timePeer(run: () => Promise<void>, reps: number, warmup = 1): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await run();
  const wall: number[] = [];
  const c0 = workerCpuMs();
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await run();
    wall.push(performance.now() - t0);
  }
  const c1 = workerCpuMs();
  const ms = median(wall);
  return { ms, wallMs: ms, cpuMs: c0 !== null && c1 !== null ? (c1 - c0) / reps : null };
}

/** Max |a − b| / (atol + max|b|·rtol-scale): a scale-aware error for comparing two results. */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let maxAbs = 0, err = 0;
  for (let i = 0; i < want.length; i++) maxAbs = Math.max(maxAbs, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= err)) err = Number.isNaN(d) ? Infinity : d;
  }
  return err / Math.max(maxAbs, 1e-30);
}

export function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  // xorshift32: deterministic inputs, identical for every framework.
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = lo + (hi - lo) * (s / 4294967296);
  }
  return out;
}
