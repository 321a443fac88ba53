/**
 * The whole linear-evaluation run: for each seed, every split (fold) is trained and tested; a seed's
 * score is the mean test accuracy over the splits (EVAR's cross-validation average), and the report
 * is the mean and 95 % t-interval of those scores over the seeds. Platform-neutral.
 */
import { makeSplits, type EvalSplit, type SplitItem, type SplitOptions } from './folds';
import { trainLinear, type FeatureSet, type LinearOptions } from './linear';
import { meanCI, type MeanCI } from './stats';
import { RIDGE_LAMBDAS, trainRidge, trainRidgeChoosingBlocks, type BlockLayout, type RidgeResult } from './ridge';

/** Clip features of a labelled dataset. */
export interface LabelledFeatures {
  /** Row-major [n, dim]. */
  x: Float32Array;
  n: number;
  dim: number;
  /** Class index per row. */
  y: Int32Array;
  classes: string[];
  /** Fold / split annotation per row (for makeSplits). */
  items: SplitItem[];
}

export interface SplitResult { split: string; testAcc: number; bestValidAcc: number; bestEpoch: number; epochs: number; nTrain: number; nValid: number; nTest: number }
export interface SeedResult { seed: number; acc: number; splits: SplitResult[] }
export interface ProtocolResult { seeds: SeedResult[]; ci: MeanCI; nClasses: number; dim: number }

export interface ProtocolOptions extends Omit<LinearOptions, 'seed' | 'onEpoch'>, Omit<SplitOptions, 'seed'> {
  /** Default [0, 1, 2]. */
  seeds?: number[];
  /** Progress line per finished split. */
  log?: (msg: string) => void;
}

function subset(f: LabelledFeatures, idx: number[]): FeatureSet {
  const x = new Float32Array(idx.length * f.dim), y = new Int32Array(idx.length);
  idx.forEach((i, k) => { x.set(f.x.subarray(i * f.dim, (i + 1) * f.dim), k * f.dim); y[k] = f.y[i]; });
  return { x, n: idx.length, dim: f.dim, y };
}

/** Labels (strings) → class indices over the sorted class list (or the given one). */
export function encodeLabels(labels: readonly (string | undefined)[], classes?: readonly string[]): { y: Int32Array; classes: string[] } {
  const cls = classes ? [...classes] : [...new Set(labels.filter((l): l is string => l !== undefined))].sort();
  const index = new Map(cls.map((c, i) => [c, i]));
  const y = new Int32Array(labels.length);
  labels.forEach((l, i) => {
    const k = l === undefined ? undefined : index.get(l);
    if (k === undefined) throw new Error(`item ${i} has ${l === undefined ? 'no label' : `label "${l}" outside the class list`}`);
    y[i] = k;
  });
  return { y, classes: cls };
}

export async function runLinearProtocol(f: LabelledFeatures, opts: ProtocolOptions = {}): Promise<ProtocolResult> {
  const seeds = opts.seeds ?? [0, 1, 2];
  if (seeds.length === 0) throw new Error('runLinearProtocol: no seeds');
  const nClasses = f.classes.length;
  if (nClasses < 2) throw new Error(`linear evaluation needs at least 2 classes, found ${nClasses}`);
  const log = opts.log ?? (() => {});
  const results: SeedResult[] = [];
  for (const seed of seeds) {
    const splits: EvalSplit[] = makeSplits(f.items, { ...opts, seed });
    const rs: SplitResult[] = [];
    for (const [k, sp] of splits.entries()) {
      // Each split gets its own init/order stream derived from the seed.
      const r = await trainLinear(subset(f, sp.train), subset(f, sp.valid), subset(f, sp.test), nClasses, { ...opts, seed: seed * 1000 + k });
      rs.push({ split: sp.name, testAcc: r.testAcc, bestValidAcc: r.bestValidAcc, bestEpoch: r.bestEpoch, epochs: r.epochs, nTrain: sp.train.length, nValid: sp.valid.length, nTest: sp.test.length });
      log(`seed ${seed} ${sp.name}: test ${(100 * r.testAcc).toFixed(2)} % (valid ${(100 * r.bestValidAcc).toFixed(2)} % at epoch ${r.bestEpoch + 1} of ${r.epochs})`);
    }
    results.push({ seed, acc: rs.reduce((a, r) => a + r.testAcc, 0) / rs.length, splits: rs });
  }
  return { seeds: results, ci: meanCI(results.map((r) => r.acc)), nClasses, dim: f.dim };
}

export interface RidgeSplitResult {
  split: string; testAcc: number; validAcc: number; lambda: number; nTrain: number; nValid: number; nTest: number;
  /** With blocks chosen on validation: the blocks the probe read (their names, e.g. [1] of [1, 4]). */
  blocks?: number[];
}
export interface RidgeProtocolResult {
  probe: 'ridge';
  seeds: { seed: number; acc: number; splits: RidgeSplitResult[] }[];
  ci: MeanCI;
  nClasses: number;
  dim: number;
}

/**
 * The closed-form ridge probe (ridge.ts) on exactly the splits the EVAR protocol uses for each seed
 * (same folds, same validation hold-out), so the two columns differ only in the probe. Its spread
 * over seeds comes from the validation hold-out alone; with an official validation split it is 0.
 */
/** Features read at several blocks side by side, for the probe to choose among (`trainRidgeChoosingBlocks`); `names`: the blocks, e.g. [1, 4]. */
export type ChosenBlocks = BlockLayout & { names: readonly number[] };

export function runRidgeProtocol(f: LabelledFeatures, opts: Omit<ProtocolOptions, 'lr' | 'batchSize' | 'maxEpochs' | 'patience'> & { lambdas?: number[]; chooseBlocks?: ChosenBlocks } = {}): RidgeProtocolResult {
  const seeds = opts.seeds ?? [0, 1, 2];
  if (seeds.length === 0) throw new Error('runRidgeProtocol: no seeds');
  const nClasses = f.classes.length;
  if (nClasses < 2) throw new Error(`linear evaluation needs at least 2 classes, found ${nClasses}`);
  const out: RidgeProtocolResult['seeds'] = [];
  for (const seed of seeds) {
    const splits = makeSplits(f.items, { ...opts, seed }).map((sp) => {
      const sets = [subset(f, sp.train), subset(f, sp.valid), subset(f, sp.test)] as const;
      const cb = opts.chooseBlocks;
      const r: RidgeResult & { blocks?: number[] } = cb ? trainRidgeChoosingBlocks(...sets, nClasses, cb, opts.lambdas ?? RIDGE_LAMBDAS) : trainRidge(...sets, nClasses, opts.lambdas ?? RIDGE_LAMBDAS);
      const blocks: { blocks?: number[] } = cb && r.blocks ? { blocks: r.blocks.map((j) => cb.names[j]) } : {};
      opts.log?.(`ridge seed ${seed} ${sp.name}: test ${(100 * r.testAcc).toFixed(2)} % (valid ${(100 * r.validAcc).toFixed(2)} % at λ ${r.lambda}${blocks.blocks ? `, block${blocks.blocks.length > 1 ? 's' : ''} ${blocks.blocks.join(', ')}` : ''})`);
      return { split: sp.name, testAcc: r.testAcc, validAcc: r.validAcc, lambda: r.lambda, nTrain: sp.train.length, nValid: sp.valid.length, nTest: sp.test.length, ...blocks };
    });
    out.push({ seed, acc: splits.reduce((a, r) => a + r.testAcc, 0) / splits.length, splits });
  }
  return { probe: 'ridge', seeds: out, ci: meanCI(out.map((r) => r.acc)), nClasses, dim: f.dim };
}
