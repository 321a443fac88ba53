/**
 * Linear evaluation of one model on one dataset (Node only): list the labelled items, get their
 * clip features (cached on disk), and run the EVAR protocol over folds and seeds. Shared by the
 * linear-eval CLI and the proxy benchmark.
 */
import { listEvalDataset, singleLabel, type EvalLayout } from './dataset';
import { cachedClipFeatures } from './extract';
import { participationRatio, type Dimensionality } from './dimensionality';
import type { Pooling } from './windows';
import { frontEndOf, tokenEncoder, type LayerCut, type LoadedModel } from './model';
import { encodeLabels, runLinearProtocol, runRidgeProtocol, type ChosenBlocks, type ProtocolOptions, type ProtocolResult, type RidgeProtocolResult } from './protocol';

export interface LinearRunOptions extends ProtocolOptions {
  layout?: EvalLayout;
  labelKey?: string;
  /** Feature cache folder; null disables the cache. */
  cacheDir?: string | null;
  maxBatch?: number;
  log?: (msg: string) => void;
  /** Clip feature pooling (default 'mean', the spec's protocol). */
  pool?: Pooling;
  /** Features from the encoder cut after this block, or these blocks side by side (default: all blocks, the spec's protocol). */
  layer?: LayerCut;
  /** Also run the closed-form ridge probe on the same splits (default true; it costs seconds). */
  ridge?: boolean;
  /** With several `layer` blocks: the ridge probe chooses on validation which of them to read (EVAR reads them all). */
  chooseBlocks?: boolean;
}

export interface LinearRunResult extends ProtocolResult {
  dataset: string;
  layout: string;
  classes: string[];
  nItems: number;
  skipped: { path: string; reason: string }[];
  fromCache: boolean;
  featureSeconds: number;
  trainSeconds: number;
  /** The ridge probe beside the EVAR result (absent with ridge: false). */
  ridge?: RidgeProtocolResult;
  /** How many directions the standardised clip features use (all items, labels not looked at). */
  dimensionality: Dimensionality;
}

/** The blocks a ridge probe may choose among: `layer` must name several. */
function chosenBlocks(layer: LayerCut | undefined, model: LoadedModel): ChosenBlocks {
  if (layer === undefined || typeof layer === 'number' || layer.length < 2) throw new Error('choosing blocks for the ridge probe needs features read at several blocks (--layer 1,4)');
  return { count: layer.length, width: model.cfg.D, names: layer };
}

export async function linearEvalDataset(path: string, model: LoadedModel, opts: LinearRunOptions = {}): Promise<LinearRunResult> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const ds = listEvalDataset(path, { layout: opts.layout, labelKey: opts.labelKey });
  if (ds.missing) log(`${ds.missing} files named by the metadata are missing (e.g. ${ds.missingExamples.slice(0, 3).join(', ')})`);
  const { items, classes } = singleLabel(ds);
  log(`dataset ${path}: ${ds.layout}, ${items.length} labelled files, ${classes.length} classes`);
  const chosen = opts.chooseBlocks ? chosenBlocks(opts.layer, model) : undefined;
  const t0 = Date.now();
  const feats = await cachedClipFeatures(items.map((i) => i.path), tokenEncoder(model.encoder, opts.layer), {
    frontEnd: frontEndOf(model.cfg), maxBatch: opts.maxBatch, pool: opts.pool, log,
    cache: { dir: opts.cacheDir === undefined ? '.cache/features' : opts.cacheDir, model: model.modelKey },
  });
  const t1 = Date.now();
  const kept = feats.kept.map((i) => items[i]);
  const { y } = encodeLabels(kept.map((i) => i.label), classes);
  const labelled = { x: feats.features, n: kept.length, dim: feats.dim, y, classes, items: kept.map((i) => ({ label: i.label, fold: i.fold, split: i.split, group: i.group })) };
  const result = await runLinearProtocol(labelled, { ...opts, log });
  const ridge = opts.ridge === false ? undefined : runRidgeProtocol(labelled, {
    seeds: opts.seeds, validFraction: opts.validFraction, kFolds: opts.kFolds, onlyFolds: opts.onlyFolds, groupFolds: opts.groupFolds, log,
    ...(chosen ? { chooseBlocks: chosen } : {}),
  });
  return {
    ...result, ...(ridge ? { ridge } : {}), dataset: path, layout: ds.layout, classes, nItems: kept.length, skipped: feats.skipped, fromCache: feats.fromCache,
    featureSeconds: (t1 - t0) / 1000, trainSeconds: (Date.now() - t1) / 1000,
    dimensionality: participationRatio(feats.features, kept.length, feats.dim),
  };
}
