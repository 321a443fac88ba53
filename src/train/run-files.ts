/**
 * The pre-training run's dealings with its output folder, kept out of the step loop: creating the
 * folder (failing at once with one line when it cannot be made), removing temporary checkpoint files
 * that a killed or disk-full run left, choosing the checkpoint to resume from (the newest valid one),
 * the run settings a resume keeps or changes, and a bounded report of skipped audio.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CheckpointError, readCheckpoint, type LoadedCheckpoint } from '../io/checkpoint';
import { removeStaleTemps } from '../io/safetensors';
import { UsageError, type PretrainOptions } from './options';
import type { RunSettings } from './pretrain-run';

const code = (e: unknown): string => (e as NodeJS.ErrnoException)?.code ?? (e as Error)?.message ?? String(e);

/**
 * Create `dir` and its missing parents one level at a time. (Node's recursive mkdirSync retries
 * without end on some paths, e.g. under /proc; here the first failure is the answer.)
 * @throws UsageError naming the folder that could not be made and why
 */
export function ensureOutDir(dir: string, what = '--out'): void {
  const missing: string[] = [];
  let p = resolve(dir);
  while (!existsSync(p)) {
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  if (existsSync(p) && !statSync(p).isDirectory()) throw new UsageError(`${what} ${dir}: ${p} is not a folder`);
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(m).isDirectory()) continue; // made meanwhile (another rank)
      throw new UsageError(`${what} ${dir}: cannot create folder ${m} (${code(e)})`);
    }
  }
}

/**
 * Make `<out>/checkpoints` and remove the temporary files (`*.tmp-PID` of processes that are gone)
 * that a run killed while writing, or stopped by a full disk, left there and in `<out>`.
 */
export async function prepareCheckpointDir(out: string, log: (m: string) => void): Promise<void> {
  const dir = join(out, 'checkpoints');
  ensureOutDir(dir);
  const removed = [...(await removeStaleTemps(dir)), ...(await removeStaleTemps(out))];
  if (removed.length) log(`removed ${removed.length} temporary file${removed.length === 1 ? '' : 's'} left by an earlier run that did not finish writing: ${removed.join(', ')}`);
}

const CHECKPOINT_NAME = /^step-\d+\.safetensors$/;

/**
 * The checkpoint a resume starts from: the file named by `--resume FILE`, or the newest valid one
 * in `<out>/checkpoints`. A damaged newer one (torn, truncated, NaN weights) is passed over with a
 * line saying which and why, and the line that follows names the one used.
 * @throws UsageError when there is no checkpoint; CheckpointError when none is valid
 */
export async function resumeCheckpoint(resume: string, out: string, log: (m: string) => void): Promise<{ path: string; ck: LoadedCheckpoint }> {
  if (resume !== '') return { path: resume, ck: await readCheckpoint(resume) };
  const dir = join(out, 'checkpoints');
  const names = existsSync(dir) ? readdirSync(dir).filter((f) => CHECKPOINT_NAME.test(f)).sort().reverse() : [];
  if (!names.length) throw new UsageError(`--resume: no checkpoint in ${dir}`);
  const damaged: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      const ck = await readCheckpoint(path);
      if (damaged.length) log(`--resume: using ${path}, the newest valid checkpoint (${damaged.length} newer one${damaged.length === 1 ? ' is' : 's are'} damaged)`);
      return { path, ck };
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      damaged.push(path);
      log(`--resume: passing over a damaged checkpoint: ${e.message}`);
    }
  }
  throw new CheckpointError(`--resume: none of the ${names.length} checkpoints in ${dir} is valid (see the lines above)`);
}

/**
 * The run settings of a resumed run: the checkpoint's, except that `--steps N` (N beyond the
 * checkpoint's step) sets a new total (a finished run is extended; the learning-rate and EMA
 * schedules then run to N), and `--checkpoint-every` is the one given now, else the run's own
 * (checkpoints from before it was recorded: the default).
 */
export function resumedSettings(ck: LoadedCheckpoint, o: PretrainOptions, log: (m: string) => void): RunSettings {
  const saved = ck.meta.run as RunSettings;
  const run: RunSettings = { ...saved, checkpointEvery: o.given.has('checkpointEvery') ? o.checkpointEvery : saved.checkpointEvery ?? o.checkpointEvery };
  if (o.given.has('steps') && o.steps !== null && o.steps !== saved.totalSteps) {
    if (o.steps <= ck.meta.step) throw new UsageError(`--steps ${o.steps}: the checkpoint has already done ${ck.meta.step} steps; give more to extend the run`);
    log(`resuming: total steps ${saved.totalSteps} -> ${o.steps} (the learning-rate and EMA schedules now run to step ${o.steps})`);
    run.totalSteps = o.steps;
  }
  return run;
}

/**
 * Reports skipped audio without flooding the terminal: the first `limit` skips one line each, then
 * only a count, and at the end of the run the total.
 */
export class SkipReport {
  count = 0;
  private readonly items = new Set<string>();

  constructor(private readonly log: (m: string) => void, readonly limit = 10) {}

  add(msg: string): void {
    this.count++;
    this.items.add(msg);
    if (this.count <= this.limit) this.log(msg);
    else if (this.count === this.limit + 1) this.log(`further skipped items are counted, not listed`);
  }

  /** The end-of-run lines (nothing when no item was skipped). */
  summary(): void {
    if (this.count === 0) return;
    if (this.count > this.limit) this.log(`... and ${this.count - this.limit} more skipped items`);
    this.log(`skipped ${this.count} unusable audio item${this.count === 1 ? '' : 's'} in this run (${this.items.size} distinct)`);
  }
}
