/**
 * `node dist/linear-eval.js [options] DATASET...`: the EVAR linear protocol (spec 6) for a
 * checkpoint (or a random init) on one or more datasets; prints test accuracy as mean ± 95 % CI over
 * the seeds, and beside it the closed-form ridge probe on the same splits (--no-ridge to skip), and
 * can write every number as JSON. Features are cached, so a second run with other
 * training settings skips the embedding.
 */
import { writeFile } from 'node:fs/promises';
import { init } from '../gpu/runtime';
import { get, parseArgs, runCli, usage, UsageError, type FlagSpec } from '../eval/cli-args';
import { CHOOSE_BLOCKS_FLAG, LAYER_FLAG, chooseBlocksOption, cutNote, layerOption, loadModel } from '../eval/model';
import { linearEvalDataset, type LinearRunResult } from '../eval/linear-run';
import { POOLINGS } from '../eval/windows';
import { formatPercentCI } from '../eval/stats';
import type { EvalLayout } from '../eval/dataset';

const SPEC: Record<string, FlagSpec> = {
  checkpoint: { type: 'string', help: 'pre-training checkpoint (omit for a random init)', meta: 'PATH' },
  teacher: { type: 'boolean', help: 'evaluate the EMA teacher instead of the student', default: false },
  config: { type: 'string', help: 'config for a random init or a bare weights file', meta: 'NAME|PATH' },
  'init-seed': { type: 'int', help: 'seed of a random init', default: 0 },
  lr: { type: 'number', help: 'Adam learning rate', default: 3e-5 },
  batch: { type: 'int', help: 'batch size cap', default: 200 },
  epochs: { type: 'int', help: 'epoch cap', default: 200 },
  patience: { type: 'int', help: 'early-stopping patience in epochs', default: 20 },
  seeds: { type: 'numbers', help: 'evaluation seeds (mean and 95% CI over them)', default: [0, 1, 2], meta: 'LIST' },
  folds: { type: 'numbers', help: 'only these test folds (default all)', meta: 'LIST' },
  'k-folds': { type: 'int', help: 'folds made for datasets without folds or splits', default: 5 },
  'group-folds': { type: 'int', help: 'grouped K-fold cross-validation by source (NSynth: instrument) instead of the dataset\'s splits; 0: its own splits', default: 0, meta: 'K' },
  'valid-fraction': { type: 'number', help: 'share of train held out for validation when none is given', default: 0.1 },
  layout: { type: 'string', help: 'force a dataset layout (esc50, us8k, speechcommands, nsynth, class-folders, filelist, csv)', meta: 'NAME' },
  'label-key': { type: 'string', help: 'NSynth annotation used as the label', default: 'instrument_family', meta: 'KEY' },
  'cache-dir': { type: 'string', help: 'feature cache folder', default: '.cache/features', meta: 'DIR' },
  pool: { type: 'string', help: "clip feature from the frame features: mean (the spec's protocol) or mean+std (also the spread over time)", default: 'mean', meta: 'NAME' },
  layer: LAYER_FLAG,
  'choose-blocks': CHOOSE_BLOCKS_FLAG,
  cache: { type: 'boolean', help: 'use the feature cache (--no-cache to recompute)', default: true },
  'max-batch': { type: 'int', help: 'windows per encoder call', default: 8 },
  json: { type: 'string', help: 'write all results as JSON here', meta: 'PATH' },
  verbose: { type: 'boolean', help: 'print every split', default: false },
  ridge: { type: 'boolean', help: 'also run the closed-form ridge probe on the same splits (--no-ridge to skip)', default: true },
};
const SYNOPSIS = 'node dist/linear-eval.js [options] DATASET...';

function checkRanges(a: ReturnType<typeof parseArgs>): void {
  if (!(get.num(a, 'lr') > 0)) throw new UsageError('--lr must be positive');
  for (const k of ['batch', 'epochs', 'patience', 'k-folds', 'max-batch']) if (!(get.num(a, k) >= 1)) throw new UsageError(`--${k} must be at least 1`);
  const gf = get.num(a, 'group-folds');
  if (!(gf === 0 || (Number.isInteger(gf) && gf >= 2))) throw new UsageError('--group-folds must be 0 (the dataset\'s own splits) or at least 2');
  const vf = get.num(a, 'valid-fraction');
  if (!(vf > 0 && vf < 1)) throw new UsageError('--valid-fraction must be in (0, 1)');
  if ((get.nums(a, 'seeds') ?? []).length === 0) throw new UsageError('--seeds needs at least one seed');
  get.oneOf(a, 'pool', POOLINGS);
  chooseBlocksOption(a); // refused unless --layer names several blocks
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), SPEC);
  if (a.help) { console.log(usage(SYNOPSIS, SPEC)); return 0; }
  if (a.positional.length === 0) throw new UsageError('give at least one dataset');
  checkRanges(a);
  const log = (m: string) => console.error(m);
  const rt = await init();
  const results: LinearRunResult[] = [];
  try {
    const model = await loadModel({ checkpoint: get.str(a, 'checkpoint'), config: get.str(a, 'config'), teacher: get.bool(a, 'teacher'), seed: get.num(a, 'init-seed') });
    const layer = layerOption(a, model.cfg);
    log(`model: ${model.description}${cutNote(layer)}`);
    for (const ds of a.positional) {
      const r = await linearEvalDataset(ds, model, {
        layout: get.str(a, 'layout') as EvalLayout | undefined, labelKey: get.str(a, 'label-key'),
        cacheDir: get.bool(a, 'cache') ? get.str(a, 'cache-dir')! : null, maxBatch: get.num(a, 'max-batch'),
        lr: get.num(a, 'lr'), batchSize: get.num(a, 'batch'), maxEpochs: get.num(a, 'epochs'), patience: get.num(a, 'patience'),
        seeds: get.nums(a, 'seeds'), onlyFolds: get.nums(a, 'folds'), kFolds: get.num(a, 'k-folds'), groupFolds: get.num(a, 'group-folds'), validFraction: get.num(a, 'valid-fraction'),
        ridge: get.bool(a, 'ridge'), chooseBlocks: get.bool(a, 'choose-blocks'), pool: get.oneOf(a, 'pool', POOLINGS), layer, log: get.bool(a, 'verbose') ? log : (m) => { if (!/^(ridge )?seed /.test(m)) log(m); },
      });
      results.push(r);
      console.log(`${ds}: test accuracy ${formatPercentCI(r.ci, 2)} % (mean ± 95% CI over ${r.ci.n} seed${r.ci.n > 1 ? 's' : ''}; ${r.seeds[0].splits.length} split(s), ${r.nClasses} classes, ${r.nItems} clips, ${r.dim}-d features${r.fromCache ? ', cached' : ''})`);
      for (const s of r.seeds) console.log(`  seed ${s.seed}: ${(100 * s.acc).toFixed(2)} %  [${s.splits.map((x) => `${x.split} ${(100 * x.testAcc).toFixed(1)}`).join(', ')}]`);
      if (r.ridge) {
        console.log(`${ds}: ridge probe ${formatPercentCI(r.ridge.ci, 2)} % (closed form, λ${get.bool(a, 'choose-blocks') ? ' and blocks' : ''} chosen on validation; same splits)`);
        for (const s of r.ridge.seeds) console.log(`  seed ${s.seed}: ${(100 * s.acc).toFixed(2)} %  [${s.splits.map((x) => `${x.split} ${(100 * x.testAcc).toFixed(1)} λ ${x.lambda}${x.blocks ? ` blocks ${x.blocks.join('+')}` : ''}`).join(', ')}]`);
      }
      console.log(`${ds}: the standardised features use ${r.dimensionality.participation.toFixed(1)} of ${r.dimensionality.dims} dimensions (participation ratio)`);
    }
    const json = get.str(a, 'json');
    if (json) {
      await writeFile(json, JSON.stringify({ model: model.description, modelKey: model.modelKey, config: model.cfg, layer: layer ?? model.cfg.depth, results }, null, 1));
      log(`wrote ${json}`);
    }
    model.encoder.dispose();
    return 0;
  } finally {
    rt.destroy();
  }
}

runCli(main);
