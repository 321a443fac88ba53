/**
 * `node dist/embed.js [options] INPUT...`: clip features (spec 6) of audio files or a dataset from a
 * checkpoint's frozen student (or teacher, or a random init), written as one safetensors file:
 * `clip` [N, F'·D] and, with --frames, `frames.<i>` [T'_i, F'·D]; the file names, labels, skipped
 * files, model and front end are in the metadata.
 * Exit codes: 0 written; 1 failure (no file could be decoded, an unreadable checkpoint, non-finite
 * encoder output); 2 bad options, config or checkpoint contents (e.g. NaN/Inf weights, named).
 */
import { init } from '../gpu/runtime';
import { writeSafetensors, type SafeTensor } from '../io/safetensors';
import { get, parseArgs, runCli, usage, UsageError, type FlagSpec } from '../eval/cli-args';
import { collectInputs } from '../eval/inputs';
import { extractFeatures } from '../eval/extract';
import { LAYER_FLAG, cutNote, frontEndOf, layerOption, loadModel, tokenEncoder } from '../eval/model';
import type { EvalLayout } from '../eval/dataset';

const SPEC: Record<string, FlagSpec> = {
  checkpoint: { type: 'string', help: 'pre-training checkpoint (omit for a random init)', meta: 'PATH' },
  teacher: { type: 'boolean', help: 'embed with the EMA teacher instead of the student', default: false },
  config: { type: 'string', help: 'config for a random init or a bare weights file (tiny, small, base or JSON)', meta: 'NAME|PATH' },
  'init-seed': { type: 'int', help: 'seed of a random init', default: 0 },
  out: { type: 'string', help: 'output safetensors file', default: 'embeddings.safetensors', meta: 'PATH' },
  frames: { type: 'boolean', help: 'also store the frame features of every file', default: false },
  layer: LAYER_FLAG,
  layout: { type: 'string', help: 'force a dataset layout (esc50, us8k, speechcommands, nsynth, class-folders, filelist, folder, csv)', meta: 'NAME' },
  'label-key': { type: 'string', help: 'NSynth annotation used as the label', default: 'instrument_family', meta: 'KEY' },
  'max-batch': { type: 'int', help: 'windows per encoder call', default: 8 },
  quiet: { type: 'boolean', help: 'no progress lines', default: false },
};
const SYNOPSIS = 'node dist/embed.js [options] AUDIO_OR_DATASET...';
const EXIT_CODES = 'exit codes: 0 written, 1 failure, 2 bad options/config or a checkpoint with NaN/Inf weights';

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), SPEC);
  if (a.help) { console.log(`${usage(SYNOPSIS, SPEC)}\n\n${EXIT_CODES}`); return 0; }
  if (a.positional.length === 0) throw new UsageError('give at least one audio file or dataset');
  const log = get.bool(a, 'quiet') ? () => {} : (m: string) => console.error(m);
  const inputs = collectInputs(a.positional, { layout: get.str(a, 'layout') as EvalLayout | undefined, labelKey: get.str(a, 'label-key') });
  for (const l of inputs.layouts) log(l);
  if (inputs.missing) log(`${inputs.missing} files named by metadata are missing and left out`);
  if (inputs.items.length === 0) throw new UsageError('no audio files found in the inputs');
  const rt = await init();
  try {
    const model = await loadModel({ checkpoint: get.str(a, 'checkpoint'), config: get.str(a, 'config'), teacher: get.bool(a, 'teacher'), seed: get.num(a, 'init-seed') });
    const layer = layerOption(a, model.cfg);
    log(`model: ${model.description}${cutNote(layer)}`);
    const frontEnd = frontEndOf(model.cfg);
    const paths = inputs.items.map((i) => i.path);
    const r = await extractFeatures(paths, tokenEncoder(model.encoder, layer), { frontEnd, keepFrames: get.bool(a, 'frames'), maxBatch: get.num(a, 'max-batch'), log });
    model.encoder.dispose();
    if (r.kept.length === 0) { console.error('error: no file could be decoded'); return 1; }
    const tensors = new Map<string, SafeTensor>();
    tensors.set('clip', { dtype: 'F32', shape: [r.kept.length, r.dim], data: r.features });
    r.frames?.forEach((f, i) => tensors.set(`frames.${i}`, { dtype: 'F32', shape: [r.nTimes![i], r.dim], data: f }));
    const kept = r.kept.map((i) => inputs.items[i]);
    const Fp = model.cfg.nMels / model.cfg.patch;
    const out = get.str(a, 'out')!;
    await writeSafetensors(out, tensors, {
      format: 'aasp-embeddings-1',
      files: JSON.stringify(kept.map((i) => i.path)),
      labels: JSON.stringify(kept.map((i) => i.label ?? i.labels ?? null)),
      skipped: JSON.stringify(r.skipped),
      model: model.description,
      model_key: model.modelKey,
      encoder: get.bool(a, 'teacher') ? 'teacher' : 'student',
      layer: String(layer ?? model.cfg.depth),
      config: JSON.stringify(model.cfg),
      front_end: JSON.stringify(frontEnd),
      feature: `clip = mean over time of frame features [T', F'·D] with F' = ${Fp}, D = ${model.cfg.D} (dim ${r.dim}); windows of ${model.cfg.cropFrames} frames, end padding to a multiple of ${model.cfg.patch}`,
    });
    console.log(`wrote ${out}: clip [${r.kept.length}, ${r.dim}]${r.frames ? ` and ${r.frames.length} frame tensors` : ''}${r.skipped.length ? ` (${r.skipped.length} files skipped)` : ''}`);
    return 0;
  } finally {
    rt.destroy();
  }
}

runCli(main);
