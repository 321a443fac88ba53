/**
 * Pre-training checkpoints in safetensors, loadable by a PyTorch re-implementation (spec 5): the
 * student (AaPE/encoder under bare names, `predictor.`, `proj.`), the teacher under `teacher.`, AdamW
 * moments under `optim.exp_avg.<name>` / `optim.exp_avg_sq.<name>`, and in `__metadata__` (strings)
 * the step, data position, generator state, config JSON and run settings. Written atomically.
 */
import { firstNonFinite, writeSafetensors, readSafetensors, type SafeTensor, type WriteHooks } from './safetensors';
import { runtime } from '../gpu/runtime';
import type { Tensor } from '../tensor/tensor';
import type { AdamW } from '../optim/optimizers';

export const CHECKPOINT_FORMAT = 'aasp-pretrain-1';
/** A fine-tuned encoder (bare names, as in a pre-training checkpoint's student) and its head (`head.`). */
export const FINETUNED_FORMAT = 'aasp-finetuned-1';

export interface CheckpointMeta {
  /** Steps completed (the next step to run, 0-based). */
  step: number;
  /** JSON-serialisable data position. */
  dataPosition: unknown;
  /** Serialised generator state (Rng.serialize()). */
  rng: string;
  /** The model/recipe config. */
  config: unknown;
  /** Run settings needed to continue exactly (total steps, batch, peak lr, seed, ...). */
  run: unknown;
}

export interface CheckpointParts {
  student: [string, Tensor][];
  teacher: [string, Tensor][];
  optimizer: AdamW;
}

function entries(parts: CheckpointParts): [string, Tensor][] {
  const out: [string, Tensor][] = [...parts.student, ...parts.teacher];
  for (const [n, t] of parts.optimizer.exp_avg) out.push([`optim.exp_avg.${n}`, t]);
  for (const [n, t] of parts.optimizer.exp_avg_sq) out.push([`optim.exp_avg_sq.${n}`, t]);
  return out;
}

/** Read named tensors back from the GPU, all reads in flight together. */
async function readBack(named: [string, Tensor][]): Promise<Map<string, SafeTensor>> {
  const data = await Promise.all(named.map(([, t]) => t.toArray()));
  const tensors = new Map<string, SafeTensor>();
  named.forEach(([n, t], i) => tensors.set(n, { dtype: 'F32', shape: [...t.shape], data: data[i] as Float32Array }));
  return tensors;
}

/** Read every tensor back and write the file atomically. */
export async function saveCheckpoint(path: string, parts: CheckpointParts, meta: CheckpointMeta, hooks: WriteHooks = {}): Promise<void> {
  const tensors = await readBack(entries(parts));
  await writeSafetensors(path, tensors, {
    format: CHECKPOINT_FORMAT,
    step: String(meta.step),
    data_position: JSON.stringify(meta.dataPosition),
    rng: meta.rng,
    config: JSON.stringify(meta.config),
    run: JSON.stringify(meta.run),
  }, hooks);
}

/** What a fine-tuned file records beside its weights (strings in `__metadata__`). */
export interface FinetunedMeta {
  config: unknown;
  /** The head's classes, in its row order. */
  classes: string[];
  /** The encoder it started from and the data it was tuned on. */
  source: string;
  /** The test score of these weights and its metric. */
  test: number;
  metric: string;
}

/** Write a fine-tuned encoder and its linear head (weight [C, D], bias [C]) atomically. */
export async function saveFinetuned(path: string, encoder: [string, Tensor][], head: { weight: SafeTensor; bias: SafeTensor }, meta: FinetunedMeta): Promise<void> {
  const tensors = await readBack(encoder);
  tensors.set('head.weight', head.weight);
  tensors.set('head.bias', head.bias);
  await writeSafetensors(path, tensors, {
    format: FINETUNED_FORMAT, config: JSON.stringify(meta.config), classes: JSON.stringify(meta.classes),
    source: meta.source, test: String(meta.test), metric: meta.metric,
  });
}

export class CheckpointError extends Error {
  constructor(msg: string) { super(msg); this.name = 'CheckpointError'; }
}

/**
 * A checkpoint that could not be written (a full disk, a vanished folder). The message names the
 * file, says that this checkpoint failed (its temporary file is removed by the atomic write) and
 * which earlier checkpoint is still intact, so the user knows what a resume will start from.
 */
export class CheckpointWriteError extends Error {
  constructor(readonly path: string, cause: unknown, readonly previous: string | null) {
    const code = (cause as NodeJS.ErrnoException)?.code;
    const why = code === 'ENOSPC' ? 'no space left on device (ENOSPC)' : code ? `${code}: ${(cause as Error).message}` : (cause as Error)?.message ?? String(cause);
    super(`checkpoint not written: ${path}: ${why}; its temporary file was removed; `
      + (previous ? `the previous checkpoint ${previous} is intact (continue with --resume once there is room)` : 'no earlier checkpoint of this run exists'));
    this.name = 'CheckpointWriteError';
  }
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  tensors: Map<string, SafeTensor>;
}

/** Read a checkpoint file and parse its metadata (no GPU work). */
export async function readCheckpoint(path: string): Promise<LoadedCheckpoint> {
  let file;
  try {
    file = await readSafetensors(path);
  } catch (e) {
    throw new CheckpointError(`cannot read checkpoint ${path}: ${(e as Error).message}`);
  }
  const md = file.metadata;
  if (md.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`${path}: not an AaSP pre-training checkpoint (format ${JSON.stringify(md.format)})`);
  try {
    const meta: CheckpointMeta = {
      step: Number(md.step),
      dataPosition: JSON.parse(md.data_position),
      rng: md.rng,
      config: JSON.parse(md.config),
      run: JSON.parse(md.run),
    };
    if (!Number.isInteger(meta.step) || meta.step < 0) throw new Error(`bad step ${md.step}`);
    checkFinite(file.tensors, path);
    return { meta, tensors: file.tensors };
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(`${path}: bad metadata (${(e as Error).message})`);
  }
}

/** A checkpoint whose weights or moments hold NaN/Inf would only spread them: refuse it, naming the tensor. */
export function checkFinite(tensors: Map<string, SafeTensor>, path: string): void {
  for (const [name, t] of tensors) {
    const i = firstNonFinite(t.data);
    if (i >= 0) throw new CheckpointError(`${path}: tensor ${name} holds ${t.data[i]} at index ${i} (a checkpoint of a diverged run?)`);
  }
}

/**
 * Write the checkpoint's values into `named` (in place, shape-checked). A name the checkpoint lacks
 * throws, or with `keepMissing` keeps its current value and is returned.
 */
export function writeCheckpointTensors(ck: LoadedCheckpoint, named: [string, Tensor][], path: string, keepMissing = false): string[] {
  const rt = runtime();
  const missing: string[] = [];
  for (const [name, t] of named) {
    const src = ck.tensors.get(name);
    if (!src) {
      if (!keepMissing) throw new CheckpointError(`${path}: tensor ${name} is missing (was it written with another config?)`);
      missing.push(name);
      continue;
    }
    if (src.shape.length !== t.shape.length || src.shape.some((d, i) => d !== t.shape[i])) {
      throw new CheckpointError(`${path}: tensor ${name} has shape [${src.shape}], the model expects [${t.shape}]`);
    }
    rt.write(t.buffer, src.data as Float32Array);
  }
  return missing;
}

/** Write the checkpoint's values into the live tensors (in place, so optimizer references stay valid). */
export function restoreTensors(ck: LoadedCheckpoint, parts: CheckpointParts, path: string): void {
  const list = entries(parts);
  writeCheckpointTensors(ck, list, path);
  const known = new Set(list.map(([n]) => n));
  const extra = [...ck.tensors.keys()].filter((n) => !known.has(n));
  if (extra.length) throw new CheckpointError(`${path}: ${extra.length} tensors the model does not have (e.g. ${extra.slice(0, 3).join(', ')})`);
}
