/**
 * Loader throughput: how many clips per second the pre-training data stream delivers as
 * [B, nMels, cropFrames] batches of the normalised CPU log-mel, from (a) the procedural corpus and
 * (b) a folder of 16-bit WAV files (written to a temporary folder from the corpus), loading on the
 * main thread (workers 0, the fallback) or in 1..N worker threads. Used by
 * `node dist/logmel-bench.js --loader` (src/cli/logmel-bench.ts).
 *
 * Per case: the first batch (worker start-up included) is timed apart; then `batches` batches are
 * drawn the way training does (prefetch one batch, which keeps `batchesAhead` batches in flight, then
 * take the next) with no consumer in between, so the figure is the loader's ceiling. The main
 * thread's event-loop utilisation over the timed part says how much of the main thread the loader
 * takes from the training step (which needs it to drive the GPU). Given a training step rate, each
 * case runs again with a simulated step between batches (the main thread kept busy for B / rate
 * seconds): the clips/s then achieved, and the mean wait for data per step, say whether the loader
 * keeps up (achieved ≥ 95 % of the step rate).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeWavFile } from '../audio/file-io';
import { DEFAULT_LOGMEL_CONFIG } from '../audio/logmel-cpu';
import { defaultWorkerCount } from '../data/decode-pool';
import { ProceduralCorpus } from '../data/procedural/corpus';
import { Rng } from '../util/rng';
import { DataStream, cpuLogMel, type ClipSource } from './data';
import { fileSource, proceduralSource, type LoaderOptions } from './sources';

export interface LoaderBenchOptions {
  /** Clips per batch (default 32). */
  batch?: number;
  /** Timed batches per case after the first (default 6). */
  batches?: number;
  /** Worker counts to try; 0 = main thread (default [0, 1, default count]). */
  workers?: number[];
  clipSeconds?: number;
  /** WAV files written for the folder case (default 64). */
  wavClips?: number;
  cropFrames?: number;
  nMels?: number;
  /** Training step rate to compare with (clips/s), if known. */
  stepClipsPerS?: number | null;
  /** Worker script (default: beside the running bundle). */
  workerUrl?: URL | string;
  log?: (s: string) => void;
}

export interface LoaderBenchResult {
  source: 'procedural' | 'wav';
  workers: number;
  /** Where items were actually loaded ("main thread" when the worker script is missing). */
  where: string;
  batch: number;
  batches: number;
  firstBatchMs: number;
  msPerBatch: number;
  clipsPerS: number;
  /** Main-thread event-loop utilisation over the timed batches (0..1). */
  mainThreadBusy: number;
  /** With the simulated step (null without a step rate): clips/s achieved, mean data wait per step. */
  withStepClipsPerS: number | null;
  withStepWaitMs: number | null;
  keepsUp: boolean | null;
}

/** Keep the main thread busy, as a CPU-bound training step would. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
}

async function measure(src: ClipSource, o: Required<Pick<LoaderBenchOptions, 'batch' | 'batches' | 'cropFrames' | 'nMels'>>, stepMs = 0) {
  const { batch: B, batches: N, cropFrames, nMels } = o;
  const stream = new DataStream(src, cpuLogMel(DEFAULT_LOGMEL_CONFIG.mean, DEFAULT_LOGMEL_CONFIG.std, nMels), cropFrames, DataStream.startPosition(new Rng(0)));
  stream.onSkip = () => {};
  const rng = new Rng(1);
  try {
    const t0 = performance.now();
    stream.prefetch(B);
    await stream.nextBatch(B, rng);
    const firstBatchMs = performance.now() - t0;
    const elu0 = performance.eventLoopUtilization();
    const t1 = performance.now();
    let wait = 0;
    for (let k = 0; k < N; k++) {
      const tw = performance.now();
      stream.prefetch(B);
      const b = await stream.nextBatch(B, rng);
      wait += performance.now() - tw;
      if (b.data.length !== B * nMels * cropFrames) throw new Error(`loader bench: batch of ${b.data.length} values, expected ${B}×${nMels}×${cropFrames}`);
      if (stepMs > 0) busy(stepMs);
    }
    const ms = performance.now() - t1;
    return { firstBatchMs, ms, waitMs: wait / N, busy: performance.eventLoopUtilization(elu0).utilization };
  } finally {
    await stream.close();
  }
}

export function formatLoaderResult(r: LoaderBenchResult): string {
  const step = r.withStepClipsPerS === null ? '' :
    ` ${r.withStepClipsPerS.toFixed(1).padStart(10)} ${r.withStepWaitMs!.toFixed(0).padStart(8)}  ${r.keepsUp ? 'keeps up' : 'TOO SLOW'}`;
  return `${r.source.padEnd(11)} ${String(r.workers).padStart(7)}  ${r.where.padEnd(16)} ${r.firstBatchMs.toFixed(0).padStart(9)} ` +
    `${r.msPerBatch.toFixed(0).padStart(9)} ${r.clipsPerS.toFixed(1).padStart(8)} ${(100 * r.mainThreadBusy).toFixed(0).padStart(8)}%${step}`;
}

export async function runLoaderBench(opts: LoaderBenchOptions = {}): Promise<LoaderBenchResult[]> {
  const log = opts.log ?? console.log;
  const o = { batch: opts.batch ?? 32, batches: opts.batches ?? 6, cropFrames: opts.cropFrames ?? 608, nMels: opts.nMels ?? DEFAULT_LOGMEL_CONFIG.nMels };
  const secs = opts.clipSeconds ?? 10;
  const workers = [...new Set(opts.workers ?? [0, 1, defaultWorkerCount()])];
  const step = opts.stepClipsPerS ?? null;
  const notes: string[] = [];
  const note = (m: string) => { if (!notes.includes(m)) { notes.push(m); log(`  note: ${m}`); } };
  const dir = await mkdtemp(join(tmpdir(), 'aasp-loader-bench-'));
  const out: LoaderBenchResult[] = [];
  try {
    const nWav = opts.wavClips ?? 64;
    const corpus = new ProceduralCorpus({ seed: 1, durationSec: secs, log: note });
    const t0 = performance.now();
    for (let i = 0; i < nWav; i++) await writeWavFile(join(dir, `clip-${String(i).padStart(3, '0')}.wav`), corpus.clip(i).samples, corpus.sampleRate, 'pcm16');
    log(`loader bench: B ${o.batch} × [${o.nMels}, ${o.cropFrames}] crops of ${secs} s clips, CPU log-mel; ${o.batches} timed batches per case; ` +
      `${nWav} WAV files written to ${dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s${step ? `; training step rate ${step} clips/s` : ''}`);
    log(`${'source'.padEnd(11)} ${'workers'.padStart(7)}  ${'where'.padEnd(16)} ${'first ms'.padStart(9)} ${'ms/batch'.padStart(9)} ${'clips/s'.padStart(8)} ${'main busy'.padStart(9)}` +
      (step ? ` ${'+step c/s'.padStart(10)} ${'wait ms'.padStart(8)}` : ''));
    for (const kind of ['procedural', 'wav'] as const) {
      for (const w of workers) {
        const lo: LoaderOptions = { workers: w, workerUrl: opts.workerUrl };
        const open = () => (kind === 'procedural' ? proceduralSource(7, secs, note, lo) : fileSource(dir, note, lo));
        const src = open();
        const where = w === 0 ? 'main thread' : src.loadFeatures ? `${w} worker${w === 1 ? '' : 's'}` : 'main thread (!)';
        const m = await measure(src, o);
        const clipsPerS = (o.batch * o.batches) / (m.ms / 1000);
        const ws = step ? await measure(open(), o, (1000 * o.batch) / step) : null;
        const withStep = ws ? (o.batch * o.batches) / (ws.ms / 1000) : null;
        const r: LoaderBenchResult = {
          source: kind, workers: w, where, batch: o.batch, batches: o.batches, firstBatchMs: m.firstBatchMs,
          msPerBatch: m.ms / o.batches, clipsPerS, mainThreadBusy: m.busy,
          withStepClipsPerS: withStep, withStepWaitMs: ws ? ws.waitMs : null, keepsUp: withStep === null ? null : withStep >= 0.95 * step!,
        };
        out.push(r);
        log(formatLoaderResult(r));
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}
