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

/** CPU milliseconds (user + system) thread `tid` of this process has used so far (Linux; throws elsewhere). */
export function threadCpuMs(tid: number | string): number {
  const s = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // clock ticks, USER_HZ = 100 on Linux
}

/** CPU milliseconds used so far by this process's threads other than the main one (null if unknown). */
export function workerCpuMs(): number | null {
  if (procOk === false) return null;
  try {
    let ms = 0;
    for (const t of readdirSync('/proc/self/task')) {
      if (Number(t) !== process.pid) ms += threadCpuMs(t);
    }
    procOk = true;
    return ms;
  } catch {
    procOk = false;
    return null;
  }
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

/** One timed repeat: GPU ms (timestamp queries, else wall), wall ms, worker-thread CPU ms. */
export interface Sample { ms: number; wallMs: number; cpuMs: number | null }

/** One repeat of `run` (records work on our runtime), timed to a queue sync. */
export async function sampleOurs(run: () => void): Promise<Sample> {
  const rt = runtime();
  const c0 = workerCpuMs();
  const timed = rt.beginTiming();
  const t0 = performance.now();
  run();
  await rt.sync();
  const wallMs = performance.now() - t0;
  const ms = timed ? await rt.endTiming() : wallMs;
  const c1 = workerCpuMs();
  return { ms, wallMs, cpuMs: c0 !== null && c1 !== null ? c1 - c0 : null };
}

/** One repeat of a peer: `run` issues one iteration and resolves when its result has been read back. */
export async function samplePeer(run: () => Promise<void>): Promise<Sample> {
  const c0 = workerCpuMs();
  const t0 = performance.now();
  await run();
  const wallMs = performance.now() - t0;
  const c1 = workerCpuMs();
  return { ms: wallMs, wallMs, cpuMs: c0 !== null && c1 !== null ? c1 - c0 : null };
}

/** Medians of the repeats (CPU time: the mean, its ticks are 10 ms). */
export function summarize(xs: Sample[]): Timing {
  const cpu = xs.every((x) => x.cpuMs !== null) ? xs.reduce((a, x) => a + (x.cpuMs as number), 0) / xs.length : null;
  return { ms: median(xs.map((x) => x.ms)), wallMs: median(xs.map((x) => x.wallMs)), cpuMs: cpu };
}

/**
 * Speed-up of ours over a peer from repeats taken in turn (ours, tfjs, jax, ours, ...): the median of
 * the per-repeat ratios of wall times, so a slow spell of a shared machine hits both sides of a ratio.
 */
export function pairedSpeedup(ours: Sample[], peer: Sample[]): number {
  return median(peer.map((p, i) => p.wallMs / ours[i].wallMs));
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
