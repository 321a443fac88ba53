/**
 * A pool of worker threads that decode and resample audio files, so that data loading overlaps
 * training instead of stalling it. Results come back in request order, failures come back as
 * values (a bad file must not abort a run), and `map` keeps a bounded number of files in flight.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Message from the pool to a worker. */
export interface DecodeRequest {
  id: number;
  path: string;
  targetRate: number;
}

/** Message from a worker to the pool. */
export type DecodeReply =
  | { id: number; ok: true; samples: Float32Array; sampleRate: number }
  | { id: number; ok: false; reason: string };

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

interface Task {
  id: number;
  path: string;
  resolve: (r: DecodeResult) => void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
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
    this.size = Math.max(1, Math.floor(opts.workers ?? Math.min(8, Math.max(1, availableParallelism() - 1))));
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
    const slot: Slot = { worker: new Worker(this.url), task: null };
    const w = slot.worker;
    // Idle workers must not keep the process alive; busy ones must (see dispatch).
    w.unref();
    w.on('message', (m: DecodeReply) => {
      const t = slot.task;
      if (!t || t.id !== m.id) return;
      slot.task = null;
      w.unref();
      t.resolve(m.ok ? { path: t.path, ok: true, samples: m.samples, sampleRate: m.sampleRate } : { path: t.path, ok: false, reason: m.reason });
      this.dispatch();
    });
    const fail = (why: string): void => {
      const t = slot.task;
      slot.task = null;
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) this.slots[i] = this.spawn();
      if (t) t.resolve({ path: t.path, ok: false, reason: `decode worker crashed: ${why}` });
      this.dispatch();
    };
    w.on('error', (e: unknown) => fail(e instanceof Error ? e.message : String(e)));
    w.on('exit', (code) => { if (!this.closed) fail(`exited with code ${code}`); });
    return slot;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.task) continue;
      const t = this.queue.shift()!;
      slot.task = t;
      slot.worker.ref();
      const req: DecodeRequest = { id: t.id, path: t.path, targetRate: this.targetRate };
      slot.worker.postMessage(req);
    }
  }

  /**
   * Decode one file. Never rejects for a bad file: failures resolve to `{ ok: false, reason }`.
   * Direct calls are queued without bound; use {@link map} for bounded streaming.
   */
  decode(path: string): Promise<DecodeResult> {
    if (this.closed) return Promise.reject(new Error('DecodePool: closed'));
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, path, resolve });
      this.dispatch();
    });
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

  /** Stop the workers. Queued and in-flight decodes resolve as failures ("pool closed"). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.queue.splice(0)) t.resolve({ path: t.path, ok: false, reason: 'pool closed' });
    for (const s of this.slots) {
      if (s.task) { s.task.resolve({ path: s.task.path, ok: false, reason: 'pool closed' }); s.task = null; }
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
