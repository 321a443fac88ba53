/**
 * `node dist/finetune.js [options] DATASET`: fine-tune a checkpoint's encoder (or a random init)
 * with a linear head on mean-pooled tokens (spec 6): AdamW, warm-up + cosine, optional mixup;
 * accuracy for single-label data, mAP for multi-label data (AudioSet). The test split is one fold of
 * a cross-validation dataset (--fold), or the official test split. --save keeps the best weights
 * (encoder and head) in a file that --checkpoint of embed, linear-eval and proxy-bench reads.
 */
import { writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { saveFinetuned } from '../io/checkpoint';
import { init } from '../gpu/runtime';
import { get, parseArgs, runCli, usage, UsageError, type FlagSpec } from '../eval/cli-args';
import { listEvalDataset, type EvalLayout } from '../eval/dataset';
import { loadLogMels } from '../eval/extract';
import { frontEndOf, loadModel, tokenEncoder } from '../eval/model';
import { finetune, type FinetuneClip } from '../eval/finetune';
import { holdOut, makeSplits } from '../eval/folds';
import { Rng } from '../util/rng';
import type { DatasetItem } from '../data/datasets';

const SPEC: Record<string, FlagSpec> = {
  checkpoint: { type: 'string', help: 'pre-training checkpoint (omit for a random init)', meta: 'PATH' },
  teacher: { type: 'boolean', help: 'start from the EMA teacher instead of the student', default: false },
  config: { type: 'string', help: 'config for a random init', meta: 'NAME|PATH' },
  'init-seed': { type: 'int', help: 'seed of a random init', default: 0 },
  epochs: { type: 'int', help: 'training epochs', default: 10 },
  batch: { type: 'int', help: 'clips per step', default: 8 },
  lr: { type: 'number', help: 'peak learning rate', default: 1e-4 },
  'warmup-fraction': { type: 'number', help: 'share of the steps spent warming up', default: 0.1 },
  'weight-decay': { type: 'number', help: 'AdamW weight decay (Linear/Conv weights only)', default: 0.05 },
  mixup: { type: 'number', help: 'mixup Beta(α, α) parameter; 0 = off', default: 0 },
  fold: { type: 'int', help: 'test fold of a cross-validation dataset (default the first)' },
  seed: { type: 'int', help: 'seed of the head init, batch order, crops, mixup and validation split', default: 0 },
  layout: { type: 'string', help: 'force a dataset layout', meta: 'NAME' },
  'label-key': { type: 'string', help: 'NSynth annotation used as the label', default: 'instrument_family', meta: 'KEY' },
  json: { type: 'string', help: 'write the result as JSON here', meta: 'PATH' },
  save: { type: 'string', help: 'write the best weights (encoder and head, safetensors) here; --checkpoint of embed, linear-eval and proxy-bench reads the encoder', meta: 'PATH' },
};
const SYNOPSIS = 'node dist/finetune.js [options] DATASET';

/** Multi-label splits: the CSV named like "eval" is the test set; 10 % of the rest validates. */
function multiLabelSplits(items: DatasetItem[], rng: Rng): { train: number[]; valid: number[]; test: number[] } {
  const test: number[] = [], pool: number[] = [];
  items.forEach((it, i) => (/eval|test/i.test(it.split ?? '') ? test : pool).push(i));
  if (test.length === 0) throw new UsageError('multi-label data needs an evaluation CSV (eval_segments.csv) for the test set');
  return { ...holdOut(pool, 0.1, rng), test };
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), SPEC);
  if (a.help) { console.log(usage(SYNOPSIS, SPEC)); return 0; }
  if (a.positional.length !== 1) throw new UsageError('give exactly one dataset');
  for (const k of ['epochs', 'batch']) if (!(get.num(a, k) >= 1)) throw new UsageError(`--${k} must be at least 1`);
  if (!(get.num(a, 'lr') > 0)) throw new UsageError('--lr must be positive');
  if (get.num(a, 'mixup') < 0) throw new UsageError('--mixup must be ≥ 0');
  const save = get.str(a, 'save');
  // Checked before training, so a mistyped folder does not cost the run.
  if (save && !statSync(dirname(save), { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--save ${save}: folder ${dirname(save)} does not exist`);
  const log = (m: string) => console.error(m);
  const ds = listEvalDataset(a.positional[0], { layout: get.str(a, 'layout') as EvalLayout | undefined, labelKey: get.str(a, 'label-key') });
  const multi = ds.items.some((i) => i.labels) && !ds.items.some((i) => i.label !== undefined);
  const items = ds.items.filter((i) => (multi ? i.labels && i.labels.length : i.label !== undefined));
  const classes = ds.classes ?? [];
  if (items.length === 0 || classes.length < 2) throw new UsageError(`${a.positional[0]}: no labelled items with at least 2 classes`);
  const seed = get.num(a, 'seed');
  const fold = a.flags.fold as number | undefined;
  const split = multi ? multiLabelSplits(items, new Rng(seed)) : makeSplits(items, { seed, onlyFolds: fold === undefined ? undefined : [fold] })[0];
  log(`${ds.layout}: ${items.length} clips, ${classes.length} classes, ${multi ? 'multi-label (mAP)' : 'single-label (accuracy)'}; train ${split.train.length}, valid ${split.valid.length}, test ${split.test.length}`);
  const rt = await init();
  try {
    const model = await loadModel({ checkpoint: get.str(a, 'checkpoint'), config: get.str(a, 'config'), teacher: get.bool(a, 'teacher'), seed: get.num(a, 'init-seed') });
    log(`model: ${model.description}`);
    const index = new Map(classes.map((c, i) => [c, i]));
    const { mels, kept } = await loadLogMels(items.map((i) => i.path), frontEndOf(model.cfg), log);
    const byItem = new Map<number, FinetuneClip>();
    kept.forEach((i, k) => {
      const it = items[i];
      byItem.set(i, multi ? { mel: mels[k], labels: it.labels!.map((l) => index.get(l)!).filter((c) => c !== undefined) } : { mel: mels[k], label: index.get(it.label!)! });
    });
    const pick = (idx: number[]) => idx.filter((i) => byItem.has(i)).map((i) => byItem.get(i)!);
    const r = await finetune(tokenEncoder(model.encoder), pick(split.train), pick(split.valid), pick(split.test), {
      nClasses: classes.length, multiLabel: multi, epochs: get.num(a, 'epochs'), batchSize: get.num(a, 'batch'), lr: get.num(a, 'lr'),
      warmupFraction: get.num(a, 'warmup-fraction'), weightDecay: get.num(a, 'weight-decay'), mixup: get.num(a, 'mixup'), seed, log,
    });
    console.log(`test ${r.metric}: ${(100 * r.test).toFixed(2)} % (best validation ${(100 * r.bestValid).toFixed(2)} % at epoch ${r.bestEpoch + 1})`);
    const { head, ...result } = r;
    const json = get.str(a, 'json');
    if (json) await writeFile(json, JSON.stringify({ model: model.description, dataset: a.positional[0], split: 'name' in split ? split.name : 'eval CSV', ...result }, null, 1));
    if (save) {
      const D = model.cfg.D, C = classes.length;
      await saveFinetuned(save, model.encoder.namedParameters(), {
        weight: { dtype: 'F32', shape: [C, D], data: head.weight }, bias: { dtype: 'F32', shape: [C], data: head.bias },
      }, { config: model.cfg, classes, source: `${model.description} tuned on ${a.positional[0]}`, test: r.test, metric: r.metric });
      log(`saved the fine-tuned encoder and head to ${save}`);
    }
    model.encoder.dispose();
    return 0;
  } finally {
    rt.destroy();
  }
}

runCli(main);
