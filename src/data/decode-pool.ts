/**
 * A pool of worker threads that load training items — decode and resample audio files, or
 * synthesise procedural corpus clips — and optionally turn them into the normalised CPU log-mel, so
 * that data loading overlaps training instead of stalling it. Results come back in request order,
 * failures come back as values (a bad file must not abort a run), a crashed worker is replaced, and
 * `map` keeps a bounded number of files in flight. ArrayBuffers are transferred, not copied.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** What to load: an audio file, or clip `index` of the procedural corpus with these settings. */
export type LoadJob =
  | { kind: 'file'; path: string; targetRate: number }
  | { kind: 'procedural'; seed: number; clipSeconds: number; index: number; types: readonly string[]; speechShare: number | null };

/**
 * Ask for the normalised log-mel instead of samples: `logMelCpuFast(samples, { mean, std, nMels })`,
 * the same function and numbers as the in-thread `cpuLogMel`, returned as float32 (what a crop
 * keeps anyway, so crops are bit-identical to the in-thread path).
 */
export interface FeatureSpec {
  mean: number;
  std: number;
  nMels: number;
}

/** Message from the pool to a worker: a job (run in arrival order), or "drop the jobs not started". */
export interface DecodeRequest {
  id: number;
  job: LoadJob;
  features: FeatureSpec | null;
}
export interface CancelRequest {
  cancel: true;
}

/** A log-mel spectrogram as a worker returns it, row-major [nMels, nFrames]. */
export interface MelReply {
  data: Float32Array;
  nMels: number;
  nFrames: number;
}

/** Outcome of one job, without the request id. */
export type LoadResult =
  | { ok: true; samples: Float32Array; sampleRate: number; mel?: undefined }
  | { ok: true; mel: MelReply; samples?: undefined }
  | { ok: false; reason: string };

/** Message from a worker to the pool. */
export type DecodeReply = LoadResult & { id: number };

/** Outcome of decoding one file. */
export type DecodeResult =
  | { path: string; ok: true; samples: Float32Array; sampleRate: number }
  | { path: string; ok: false; reason: string };

/** Options for {@link DecodePool}. */
export interface DecodePoolOptions {
  /** Worker threads (default: cores − 1, at least 1, at most 8). */
  workers?: number;
  /** Worker script (default {@link defaultWorkerUrl}: decode-worker.js next to this module's bundle). */
  workerUrl?: URL | string;
  /** Output sample rate (default 16000). */
  targetRate?: number;
  /** Files in flight at once in {@link DecodePool.map} (default 2 × workers). */
  maxInFlight?: number;
}

/**
 * Where the worker script is by default: `decode-worker.js` beside the running module. In the
 * built package that is dist/decode-worker.js, beside dist/index.js. Running from TypeScript
 * sources there is no such file: pass `workerUrl` to a built worker instead.
 */
export function defaultWorkerUrl(): URL {
  return new URL('./decode-worker.js', import.meta.url);
}

/** Default number of worker threads: cores − 1, at least 1, at most 8. */
export function defaultWorkerCount(): number {
  return Math.min(8, Math.max(1, availableParallelism() - 1));
}

interface Task {
  id: number;
  job: LoadJob;
  features: FeatureSpec | null;
  resolve: (r: LoadResult) => void;
}

/**
 * A worker and the jobs posted to it, oldest first. Jobs are posted as soon as they are asked for
 * (to the least loaded worker) and wait in the worker's own queue, so a worker never idles while the
 * main thread is busy (e.g. recording a training step) and cannot hand it the next job.
 */
interface Slot {
  worker: Worker;
  tasks: Task[];
  /** Set by close(): called when the worker's last job has ended. */
  idle: (() => void) | null;
}

/** Worker-thread decode pool. Call {@link close} when done. */
export class DecodePool {
  readonly size: number;
  readonly targetRate: number;
  readonly maxInFlight: number;
  private readonly url: URL;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 0;
  private closed = false;

  constructor(opts: DecodePoolOptions = {}) {
    this.size = Math.max(1, Math.floor(opts.workers ?? defaultWorkerCount()));
    this.targetRate = opts.targetRate ?? 16000;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 2 * this.size);
    const u = opts.workerUrl ?? defaultWorkerUrl();
    this.url = typeof u === 'string' ? new URL(u, 'file://') : u;
    if (this.url.protocol === 'file:' && !existsSync(fileURLToPath(this.url))) {
      throw new Error(`DecodePool: worker script not found at ${fileURLToPath(this.url)} (build it, or pass workerUrl)`);
    }
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(this.url), tasks: [], idle: null };
    const w = slot.worker;
    // Idle workers must not keep the process alive; busy ones must (see dispatch).
    w.unref();
    w.on('message', (m: DecodeReply) => {
      const k = slot.tasks.findIndex((t) => t.id === m.id);
      if (k < 0) return;
      const [t] = slot.tasks.splice(k, 1);
      const { id: _id, ...result } = m;
      t.resolve(result);
      if (slot.tasks.length === 0) { w.unref(); slot.idle?.(); }
      this.dispatch();
    });
    const fail = (why: string): void => {
      // The oldest job is the one that was running; the others go back to the front of the queue.
      const [t, ...rest] = slot.tasks.splice(0);
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) this.slots[i] = this.spawn();
      if (this.closed) for (const r of rest) r.resolve({ ok: false, reason: 'pool closed' });
      else this.queue.unshift(...rest);
      t?.resolve({ ok: false, reason: `decode worker crashed: ${why}` });
      this.dispatch();
    };
    w.on('error', (e: unknown) => fail(e instanceof Error ? e.message : String(e)));
    w.on('exit', (code) => { if (!this.closed) fail(`exited with code ${code}`); else slot.idle?.(); });
    return slot;
  }

  /** Post every queued job, each to the worker with the fewest jobs (the first of equals). */
  private dispatch(): void {
    if (this.closed) return;
    while (this.queue.length > 0) {
      const slot = this.slots.reduce((a, b) => (b.tasks.length < a.tasks.length ? b : a));
      const t = this.queue.shift()!;
      slot.tasks.push(t);
      slot.worker.ref();
      const req: DecodeRequest = { id: t.id, job: t.job, features: t.features };
      slot.worker.postMessage(req);
    }
  }

  /**
   * Run one job: samples (files at the job's rate), or the normalised log-mel when `features` is
   * given. Never rejects for a bad item: failures, a crashed worker included, resolve to
   * `{ ok: false, reason }`. Queued without bound.
   */
  load(job: LoadJob, features: FeatureSpec | null = null): Promise<LoadResult> {
    if (this.closed) return Promise.reject(new Error('DecodePool: closed'));
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, job, features, resolve });
      this.dispatch();
    });
  }

  /**
   * Decode one file. Never rejects for a bad file: failures resolve to `{ ok: false, reason }`.
   * Direct calls are queued without bound; use {@link map} for bounded streaming.
   */
  async decode(path: string): Promise<DecodeResult> {
    const r = await this.load({ kind: 'file', path, targetRate: this.targetRate });
    if (!r.ok) return { path, ok: false, reason: r.reason };
    if (!r.samples) return { path, ok: false, reason: 'worker returned features, not samples' };
    return { path, ok: true, samples: r.samples, sampleRate: r.sampleRate };
  }

  /**
   * Decode a stream of paths, yielding results in input order with at most `maxInFlight` files
   * decoding or decoded-but-not-yet-consumed at any time.
   */
  async *map(paths: Iterable<string> | AsyncIterable<string>): AsyncGenerator<DecodeResult> {
    const window: Promise<DecodeResult>[] = [];
    for await (const p of paths) {
      window.push(this.decode(p));
      if (window.length >= this.maxInFlight) yield await window.shift()!;
    }
    while (window.length > 0) yield await window.shift()!;
  }

  /**
   * Stop the workers. Queued and in-flight jobs resolve at once as failures ("pool closed"); the
   * promise resolves when the workers are gone.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.queue.splice(0)) t.resolve({ ok: false, reason: 'pool closed' });
    for (const s of this.slots) {
      for (const t of s.tasks) t.resolve({ ok: false, reason: 'pool closed' });
      const cancel: CancelRequest = { cancel: true };
      if (s.tasks.length > 1) s.worker.postMessage(cancel);
    }
    await Promise.all(this.slots.map((s) => this.retire(s)));
  }

  /**
   * Terminating a worker in the middle of a job can abort the whole process (Node 20: a V8
   * background compile racing the isolate's teardown, "Assertion failed: (data.first) != nullptr"),
   * so a busy worker drops the jobs it has not started, finishes the running one (waiting at most
   * 30 s) and is given a moment to go quiet.
   */
  private async retire(s: Slot): Promise<void> {
    if (s.tasks.length > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 30_000);
        timer.unref();
        s.idle = () => { clearTimeout(timer); resolve(); };
      });
    }
    await new Promise((r) => setTimeout(r, 50));
    await s.worker.terminate();
  }
}
