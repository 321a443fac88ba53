/**
 * The encoder under evaluation (Node only): the student (default) or the EMA teacher of a
 * pre-training checkpoint, or a random initialisation (the baseline every table needs). Also
 * accepts a bare safetensors file of encoder weights (e.g. exported from PyTorch) with --config.
 * `modelKey` identifies the weights for the feature cache.
 */
import { Rng } from '../util/rng';
import { runtime } from '../gpu/runtime';
import { configFromObject, encoderIdentity, loadConfig, validateConfig, type AaspConfig } from '../aasp/config';
import { AaspEncoder, type EmbedderFactory } from '../aasp/encoder';
import { makeEmbedder as defaultEmbedder } from '../aasp/embedder';
import { CHECKPOINT_FORMAT, CheckpointError, FINETUNED_FORMAT } from '../io/checkpoint';
import { TEACHER_PREFIX } from '../aasp/model';
import { firstNonFinite, readSafetensors } from '../io/safetensors';
import { DEFAULT_LOGMEL_CONFIG, type LogMelConfig } from '../audio/logmel-cpu';
import { hashFile, sha256 } from './cache';
import type { TokenEncoder } from './embed';
import type { Tensor } from '../tensor/tensor';
import { AliasBranch, PatchEmbed } from '../aasp/aape';
import type { TrainableEncoder } from './finetune';
import { get, UsageError, type FlagSpec, type Parsed } from './cli-args';

export interface ModelSpec {
  /** Checkpoint path; absent → random init. */
  checkpoint?: string;
  /** Preset or JSON config (random init, or a bare weights file); a checkpoint carries its own. */
  config?: string;
  /** Use the EMA teacher's weights. */
  teacher?: boolean;
  /** Seed of a random init (default 0). */
  seed?: number;
  /** Override AaPE on/off for a random init. */
  aape?: boolean;
}

export interface LoadedModel {
  encoder: AaspEncoder;
  cfg: AaspConfig;
  /** Cache identity of the weights. */
  modelKey: string;
  /** Human-readable origin, e.g. "runs/a/step-100.safetensors (student, step 100)". */
  description: string;
}

/**
 * Z = patch_embed(X) + pos + aape(X), the encoder's own token embedding (`embedFull`). The standard
 * embedder (patch_embed and aape mounted) takes a sin-cos table for the input's own grid, so windows of
 * any whole number of patches work (the 400-frame tail of a 1000-frame clip): time positions count from
 * 0 per window. An embedder of another shape is held to the pre-training length.
 */
function fullEmbedding(enc: AaspEncoder): (x: Tensor) => Tensor {
  const mounts = new Map(enc.embedder.mounts);
  const anyLength = mounts.get('patch_embed') instanceof PatchEmbed && (!enc.embedder.aapeOn || mounts.get('aape') instanceof AliasBranch);
  return (x) => {
    if (!anyLength && x.shape[2] !== enc.cfg.cropFrames) throw new Error(`this encoder's embedder only takes ${enc.cfg.cropFrames}-frame inputs, got ${x.shape[2]}`);
    return enc.embedFull(x);
  };
}

/**
 * Where the evaluation reads the encoder: after one block (N, 0 being the token embedding), or after
 * several side by side (ascending block numbers; their features concatenated).
 */
export type LayerCut = number | readonly number[];

const cutList = (layer: LayerCut): readonly number[] => (typeof layer === 'number' ? [layer] : layer);

/** Why `layer` cannot cut this config's encoder, or null (undefined: the whole encoder). */
export function layerProblem(layer: LayerCut | undefined, cfg: AaspConfig): string | null {
  if (layer === undefined) return null;
  const cuts = cutList(layer);
  const out = cuts.find((l) => !(Number.isInteger(l) && l >= 0 && l <= cfg.depth));
  if (out !== undefined) return `--layer ${out} is outside 0..${cfg.depth} (${cfg.name} has ${cfg.depth} block${cfg.depth === 1 ? '' : 's'}; 0 is the token embedding)`;
  if (cuts.length === 0 || cuts.some((l, i) => i > 0 && l <= cuts[i - 1])) return `--layer ${cuts.join(',')}: name at least one block, in ascending order, each once`;
  return null;
}

/** The evaluation CLIs' `--layer` flag (embed, linear-eval, proxy-bench). */
export const LAYER_FLAG: FlagSpec = {
  type: 'numbers', meta: 'N[,N…]',
  help: "features from the encoder cut after block N, norm applied (0: the token embedding; default: all blocks, the spec's protocol); several blocks (1,4): their features side by side",
};

/** The evaluation CLIs' `--choose-blocks` flag (linear-eval, proxy-bench). */
export const CHOOSE_BLOCKS_FLAG: FlagSpec = {
  type: 'boolean', default: false,
  help: 'with several --layer blocks: the ridge probe also chooses on validation which of them to read (every non-empty subset, each with its own λ; all on ties); EVAR reads them all',
};

/** `--choose-blocks`, refused (a usage error) unless `--layer` names several blocks. */
export function chooseBlocksOption(a: Parsed): boolean {
  if (!get.bool(a, 'choose-blocks')) return false;
  const layer = layerArg(a);
  if (layer === undefined || typeof layer === 'number') throw new UsageError('--choose-blocks needs several --layer blocks (e.g. --layer 1,4)');
  return true;
}

/** `--layer` as given (one block a number, several a list), not yet checked against a model. */
export function layerArg(a: Parsed): LayerCut | undefined {
  const cuts = get.nums(a, 'layer');
  return cuts && cuts.length === 1 ? cuts[0] : cuts;
}

/** `--layer` as given, checked against the model's depth (a usage error otherwise). */
export function layerOption(a: Parsed, cfg: AaspConfig): LayerCut | undefined {
  const layer = layerArg(a);
  const bad = layerProblem(layer, cfg);
  if (bad) throw new UsageError(bad);
  return layer;
}

/** Where the features come from, in words: "block 2", "blocks 1 and 4 side by side". */
export function cutWords(layer: LayerCut): string {
  const c = cutList(layer);
  return c.length === 1 ? `block ${c[0]}` : `blocks ${c.slice(0, -1).join(', ')} and ${c[c.length - 1]} side by side`;
}

/** What a model's log line adds for a cut encoder. */
export const cutNote = (layer: LayerCut | undefined): string => (layer === undefined ? '' : `, cut after ${cutWords(layer)}`);

/**
 * Token encoder view of an AaspEncoder: all N tokens (no masking) → blocks → norm. With `layer`
 * (0..depth) the blocks after that one are left out (`encodeUpTo`); with several, each named
 * block's normed output is read and their features concatenated (`encodeCuts`, width k·D). The
 * view then names its cut, so cached features of different cuts never mix. `layer` = depth is the
 * full encoder.
 */
export function tokenEncoder(enc: AaspEncoder, layer?: LayerCut): TrainableEncoder {
  const embed = fullEmbedding(enc);
  const bad = layerProblem(layer, enc.cfg);
  if (bad) throw new Error(bad);
  const cuts = layer === undefined ? [enc.cfg.depth] : cutList(layer);
  const one = cuts.length === 1 ? cuts[0] : undefined;
  const whole = one === enc.cfg.depth;
  return {
    dim: enc.cfg.D * cuts.length, nMels: enc.cfg.nMels, patch: enc.cfg.patch, maxFrames: enc.cfg.cropFrames,
    ...(whole ? {} : { layer: one ?? [...cuts] }),
    tokens: (x) => {
      const z = embed(x);
      const y = whole ? enc.encode(z) : one !== undefined ? enc.encodeUpTo(z, one) : enc.encodeCuts(z, cuts);
      z.dispose();
      return y;
    },
    namedParameters: () => enc.namedParameters(),
    decayNames: () => enc.decayNames(),
  };
}

/** The front end a model was trained with (spec 2 defaults + the config's mel count and normalisation). */
export function frontEndOf(cfg: AaspConfig): LogMelConfig {
  return { ...DEFAULT_LOGMEL_CONFIG, nMels: cfg.nMels, mean: cfg.melMean, std: cfg.melStd };
}

export async function loadModel(spec: ModelSpec, makeEmbedder: EmbedderFactory = defaultEmbedder): Promise<LoadedModel> {
  if (!spec.checkpoint) {
    let cfg = await loadConfig(spec.config ?? 'tiny');
    if (spec.aape !== undefined) cfg = validateConfig({ ...cfg, aape: spec.aape }, 'random-init config');
    const seed = spec.seed ?? 0;
    // The encoder draws first from Rng(seed), exactly as a pre-training run with that seed starts.
    const encoder = new AaspEncoder(cfg, new Rng(seed), makeEmbedder);
    // Keyed by the encoder fields only: recipes that differ in their objective start from the same
    // weights, so they share the random init's cached features.
    return { encoder, cfg, modelKey: `random:${sha256(encoderIdentity(cfg))}:seed=${seed}`, description: `random init (${cfg.name}, AaPE ${cfg.aape ? 'on' : 'off'}, seed ${seed})` };
  }
  const path = spec.checkpoint;
  let file;
  try {
    file = await readSafetensors(path);
  } catch (e) {
    throw new Error(`cannot read checkpoint ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const isCheckpoint = file.metadata.format === CHECKPOINT_FORMAT, isFinetuned = file.metadata.format === FINETUNED_FORMAT;
  let cfg: AaspConfig;
  if (isCheckpoint || isFinetuned) cfg = configFromObject(JSON.parse(file.metadata.config), `${path} (config)`);
  else if (spec.config) cfg = await loadConfig(spec.config);
  else throw new Error(`${path} is not an AaSP pre-training checkpoint; give --config for a bare weights file`);
  if (spec.aape !== undefined && spec.aape !== cfg.aape) throw new Error(`${path}: the checkpoint has AaPE ${cfg.aape ? 'on' : 'off'}; --aape cannot change that`);
  const prefix = spec.teacher ? TEACHER_PREFIX : '';
  if (spec.teacher && ![...file.tensors.keys()].some((k) => k.startsWith(prefix))) throw new Error(`${path}: no teacher weights (no tensor named ${prefix}*)`);
  const encoder = new AaspEncoder(cfg, new Rng(0), makeEmbedder);
  const rt = runtime();
  for (const [name, t] of encoder.namedParameters()) {
    const src = file.tensors.get(prefix + name);
    if (!src) { encoder.dispose(); throw new Error(`${path}: tensor ${prefix + name} is missing`); }
    if (src.dtype !== 'F32' || src.shape.length !== t.shape.length || src.shape.some((d, i) => d !== t.shape[i])) {
      encoder.dispose();
      throw new Error(`${path}: tensor ${prefix + name} is ${src.dtype} [${src.shape}], the encoder expects F32 [${t.shape}]`);
    }
    const bad = firstNonFinite(src.data); // NaN weights would give NaN embeddings, silently
    if (bad >= 0) { encoder.dispose(); throw new CheckpointError(`${path}: tensor ${prefix + name} holds ${src.data[bad]} at index ${bad}`); }
    rt.write(t.buffer, src.data as Float32Array);
  }
  const hash = await hashFile(path);
  const step = isCheckpoint ? ` step ${file.metadata.step}` : '';
  const what = isFinetuned ? 'fine-tuned encoder' : `${spec.teacher ? 'teacher' : 'student'},${step || ' weights'}`;
  return {
    encoder, cfg,
    modelKey: `sha256:${hash}:${spec.teacher ? 'teacher' : 'student'}:${sha256(JSON.stringify(cfg))}`,
    description: `${path} (${what}, AaPE ${cfg.aape ? 'on' : 'off'})`,
  };
}

/** Convenience for callers that only embed. */
export function asTokenEncoder(m: LoadedModel): TokenEncoder { return tokenEncoder(m.encoder); }

/**
 * A model named on the command line: a checkpoint path (append `@teacher` for its teacher) or
 * `random[:<config>][:noaape|:aape][:seed=N]` for a random init (config: tiny, small, base or JSON).
 */
export function parseModelSpec(token: string): ModelSpec {
  if (token === 'random' || token.startsWith('random:')) {
    const spec: ModelSpec = {};
    for (const part of token.split(':').slice(1)) {
      if (part === 'noaape') spec.aape = false;
      else if (part === 'aape') spec.aape = true;
      else if (/^seed=\d+$/.test(part)) spec.seed = Number(part.slice(5));
      else if (part !== '') spec.config = part;
    }
    return spec;
  }
  if (token.endsWith('@teacher')) return { checkpoint: token.slice(0, -'@teacher'.length), teacher: true };
  return { checkpoint: token };
}
