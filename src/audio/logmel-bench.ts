/**
 * Log-mel throughput: the GPU extractor (each DFT method) against the CPU paths, on batches of
 * 10 s clips. Used by kernels-bench/logmel.ts (cases) and src/cli/logmel-bench.ts (stand-alone).
 *
 * Per case: wall time per batch (median and min of `reps`, after one warm-up that also compiles), the
 * process CPU time per batch (lavapipe's worker threads run inside this process, so this stays
 * meaningful when other processes share the cores), and for GPU cases the GPU time from timestamp
 * queries where the adapter has them. Derived: ms per clip and the real-time factor (seconds of audio
 * per second of wall time).
 */
import { runtime } from '../gpu/runtime';
import { tensor, type Tensor } from '../tensor/tensor';
import { Rng } from '../util/rng';
import { logMelCpu } from './logmel-cpu';
import { logMelCpuFast } from './logmel-cpu-fast';
import { LogMelGpu, resolveTuning, type LogMelMethod } from './logmel-gpu';

export type LogMelImpl = 'gpu' | 'cpu-f64' | 'cpu-fast';

export interface LogMelBenchCase {
  /** e.g. "gpu fft-thread resident B=8". */
  name: string;
  impl: LogMelImpl;
  /** GPU: DFT method; 'resident' keeps input and output on the GPU, 'end-to-end' uploads arrays and reads back. */
  method?: LogMelMethod;
  mode?: 'resident' | 'end-to-end';
  batch: number;
  clipSeconds: number;
  /** Allocate inputs; `run` does one batch to completion; `dispose` frees. */
  setup(): { run: () => Promise<void>; dispose: () => void };
}

export interface LogMelBenchResult {
  name: string; impl: LogMelImpl; method?: string; mode?: string; batch: number; clipSeconds: number; reps: number;
  medianMs: number; minMs: number; cpuMs: number; gpuMs: number | null;
  msPerClip: number; cpuMsPerClip: number; realTimeFactor: number;
}

/** Clips of speech-like content: a gliding tone, its harmonics and noise, different per clip. */
export function benchClips(batch: number, seconds: number, sampleRate = 16000, seed = 1): Float32Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: batch }, () => {
    const n = Math.round(seconds * sampleRate);
    const f0 = 100 + 200 * rng.uniform(), glide = 50 * rng.normal();
    const x = new Float32Array(n);
    let ph = 0;
    for (let i = 0; i < n; i++) {
      ph += (2 * Math.PI * (f0 + glide * (i / n))) / sampleRate;
      x[i] = 0.3 * Math.sin(ph) + 0.1 * Math.sin(3 * ph) + 0.05 * rng.normal();
    }
    return x;
  });
}

export interface CaseOptions {
  batches?: number[];
  clipSeconds?: number;
  methods?: LogMelMethod[];
  /** Also time the default method end to end (arrays in, arrays out). */
  endToEnd?: boolean;
  cpu?: boolean;
}

export function logmelBenchCases(opts: CaseOptions = {}): LogMelBenchCase[] {
  const batches = opts.batches ?? [1, 8, 32];
  const secs = opts.clipSeconds ?? 10;
  const methods = opts.methods ?? ['fft-thread', 'fft-group', 'dft-group', 'matmul'];
  const cases: LogMelBenchCase[] = [];
  for (const B of batches) {
    for (const method of methods) {
      cases.push({
        name: `gpu ${method} resident B=${B}`, impl: 'gpu', method, mode: 'resident', batch: B, clipSeconds: secs,
        setup() {
          const clips = benchClips(B, secs);
          const L = clips[0].length;
          const packed = new Float32Array(B * L);
          clips.forEach((c, i) => packed.set(c, i * L));
          const x: Tensor = tensor(packed, [B, L]);
          const lm = LogMelGpu.for(runtime(), {}, { method });
          return {
            run: async () => { const y = lm.compute(x); await runtime().sync(); y.dispose(); },
            dispose: () => x.dispose(),
          };
        },
      });
    }
    if (opts.endToEnd ?? true) {
      cases.push({
        name: `gpu auto end-to-end B=${B}`, impl: 'gpu', method: 'auto', mode: 'end-to-end', batch: B, clipSeconds: secs,
        setup() {
          const clips = benchClips(B, secs);
          const lm = LogMelGpu.for(runtime());
          return { run: async () => { const y = lm.compute(clips); await y.toFloat32(); y.dispose(); }, dispose: () => {} };
        },
      });
    }
    if (opts.cpu ?? true) {
      for (const impl of ['cpu-f64', 'cpu-fast'] as const) {
        cases.push({
          name: `${impl} B=${B}`, impl, batch: B, clipSeconds: secs,
          setup() {
            const clips = benchClips(B, secs);
            const fn = impl === 'cpu-f64' ? logMelCpu : logMelCpuFast;
            return { run: async () => { for (const c of clips) fn(c); }, dispose: () => {} };
          },
        });
      }
    }
  }
  return cases;
}

const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

export async function runLogmelCase(c: LogMelBenchCase, reps = 3): Promise<LogMelBenchResult> {
  const { run, dispose } = c.setup();
  try {
    await run(); // compile and warm up
    const wall: number[] = [], cpu: number[] = [];
    for (let i = 0; i < reps; i++) {
      const c0 = cpuNow(), t0 = performance.now();
      await run();
      wall.push(performance.now() - t0);
      cpu.push(cpuNow() - c0);
    }
    let gpuMs: number | null = null;
    if (c.impl === 'gpu' && runtime().beginTiming()) {
      await run();
      gpuMs = await runtime().endTiming();
    }
    const med = median(wall);
    return {
      name: c.name, impl: c.impl, method: c.method === 'auto' ? `auto=${resolveTuning(runtime()).method}` : c.method, mode: c.mode,
      batch: c.batch, clipSeconds: c.clipSeconds, reps,
      medianMs: med, minMs: Math.min(...wall), cpuMs: median(cpu), gpuMs,
      msPerClip: med / c.batch, cpuMsPerClip: median(cpu) / c.batch,
      realTimeFactor: (c.batch * c.clipSeconds) / (med / 1000),
    };
  } finally {
    dispose();
  }
}

export function formatResult(r: LogMelBenchResult): string {
  const f = (v: number, w: number, d = 1) => v.toFixed(d).padStart(w);
  return `${r.name.padEnd(34)} ${f(r.medianMs, 9)} ms/batch (min ${f(r.minMs, 8)})  ${f(r.msPerClip, 8, 2)} ms/clip  ` +
    `cpu ${f(r.cpuMsPerClip, 8, 2)} ms/clip  ${r.gpuMs === null ? '' : `gpu ${f(r.gpuMs / r.batch, 7, 2)} ms/clip  `}RTF ${f(r.realTimeFactor, 8, 0)}×`;
}

export async function runLogmelBench(opts: CaseOptions & { reps?: number; log?: (s: string) => void } = {}): Promise<LogMelBenchResult[]> {
  const log = opts.log ?? console.log;
  const out: LogMelBenchResult[] = [];
  for (const c of logmelBenchCases(opts)) {
    try {
      const r = await runLogmelCase(c, opts.reps ?? 3);
      out.push(r);
      log(formatResult(r));
    } catch (e) {
      log(`${c.name.padEnd(34)} failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return out;
}
