/**
 * Train / validation / test splits for linear evaluation (spec 6):
 * - datasets with folds (ESC-50: 5, UrbanSound8K: 10): each fold is the test set once, the other
 *   folds train, and a random 10 % of that train set is held out for validation (early stopping);
 * - datasets with official splits (Speech Commands v2, NSynth, a CSV with a split column): train /
 *   valid / test as given (a random 10 % of train when there is no validation split);
 * - datasets with labels only (one folder per class, file lists): stratified random k folds, then
 *   as above;
 * - with `groupFolds` k, whatever the dataset gives: grouped k folds, every group (NSynth: the
 *   instrument) in exactly one fold, so a fold's test groups are unseen in its training (as NSynth's
 *   split by instrument, but each group is tested once and the draw of groups varies with the seed).
 * The random choices depend on the seed, so each of the 3 evaluation seeds also draws its own
 * validation subset. Platform-neutral.
 */
import { Rng } from '../util/rng';

/** What the splitter needs of an item. */
export interface SplitItem { label?: string; fold?: number; split?: string; group?: string }

export interface EvalSplit {
  /** "fold 3" or "official". */
  name: string;
  train: number[];
  valid: number[];
  test: number[];
}

export interface SplitOptions {
  seed?: number;
  /** Share of train held out for validation when none is given (default 0.1). */
  validFraction?: number;
  /** Folds to make for a dataset that has neither folds nor splits (default 5). */
  kFolds?: number;
  /** Evaluate only these folds (1-based); default all. */
  onlyFolds?: number[];
  /**
   * Grouped k-fold cross-validation instead of the dataset's own folds or splits: groups dealt to
   * folds after a seeded shuffle, stratified by each group's most common label. Needs `group` on
   * every item. 0 or absent: the dataset's own folds or splits.
   */
  groupFolds?: number;
}

const VALID_NAMES = new Set(['valid', 'validation', 'val', 'dev']);
const TEST_NAMES = new Set(['test', 'eval', 'evaluation']);

/** Hold out a random `fraction` (at least one item, never all) of `pool` for validation. */
export function holdOut(pool: number[], fraction: number, rng: Rng): { train: number[]; valid: number[] } {
  if (pool.length < 2) throw new Error(`cannot hold out a validation set from ${pool.length} training item(s)`);
  const nValid = Math.min(pool.length - 1, Math.max(1, Math.round(fraction * pool.length)));
  const perm = rng.permutation(pool.length);
  const inValid = new Set(perm.slice(0, nValid));
  const train: number[] = [], valid: number[] = [];
  pool.forEach((idx, k) => (inValid.has(k) ? valid : train).push(idx));
  return { train, valid };
}

/** Stratified fold numbers 1..k: within each class, items are shuffled and dealt round-robin. */
export function stratifiedFolds(labels: readonly (string | undefined)[], k: number, rng: Rng): number[] {
  if (!Number.isInteger(k) || k < 2) throw new Error(`stratifiedFolds: need k ≥ 2, got ${k}`);
  const byClass = new Map<string, number[]>();
  labels.forEach((l, i) => {
    const key = l ?? '';
    const list = byClass.get(key) ?? [];
    list.push(i);
    byClass.set(key, list);
  });
  const folds = new Array<number>(labels.length);
  let offset = 0;
  // Continuing the deal across classes keeps fold sizes balanced when classes are small.
  for (const key of [...byClass.keys()].sort()) {
    const idx = rng.shuffle(byClass.get(key)!);
    idx.forEach((i, j) => { folds[i] = ((offset + j) % k) + 1; });
    offset += idx.length;
  }
  return folds;
}

/** Fold numbers 1..k by group: each group's items share a fold; groups stratified by their majority label. */
export function groupedFolds(items: readonly SplitItem[], k: number, rng: Rng): number[] {
  const members = new Map<string, number[]>();
  items.forEach((it, i) => {
    if (it.group === undefined) throw new Error(`grouped folds need a group (e.g. the NSynth instrument) on every item; item ${i} has none`);
    members.set(it.group, [...(members.get(it.group) ?? []), i]);
  });
  if (members.size < k) throw new Error(`grouped ${k}-fold cross-validation needs at least ${k} groups, the dataset has ${members.size}`);
  const groups = [...members.keys()].sort();
  const major = groups.map((g) => {
    const counts = new Map<string, number>();
    for (const i of members.get(g)!) counts.set(items[i].label ?? '', (counts.get(items[i].label ?? '') ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
  });
  // The groups are the units dealt to folds, stratified by their majority label.
  const groupFold = stratifiedFolds(major, k, rng);
  const folds = new Array<number>(items.length);
  groups.forEach((g, j) => { for (const i of members.get(g)!) folds[i] = groupFold[j]; });
  return folds;
}

function foldSplits(folds: readonly number[], opts: SplitOptions, rng: Rng): EvalSplit[] {
  const ids = [...new Set(folds)].sort((a, b) => a - b);
  if (ids.length < 2) throw new Error(`cross-validation needs at least 2 folds, the dataset has ${ids.length}`);
  const wanted = opts.onlyFolds ?? ids;
  for (const f of wanted) if (!ids.includes(f)) throw new Error(`fold ${f} is not in the dataset (folds: ${ids.join(', ')})`);
  return wanted.map((f) => {
    const test: number[] = [], pool: number[] = [];
    folds.forEach((g, i) => (g === f ? test : pool).push(i));
    return { name: `fold ${f}`, ...holdOut(pool, opts.validFraction ?? 0.1, rng), test };
  });
}

/** The evaluation splits of a dataset's items (indices into `items`). */
export function makeSplits(items: readonly SplitItem[], opts: SplitOptions = {}): EvalSplit[] {
  if (items.length === 0) throw new Error('makeSplits: the dataset is empty');
  const rng = new Rng(opts.seed ?? 0);
  if (opts.groupFolds) return foldSplits(groupedFolds(items, opts.groupFolds, rng), opts, rng);
  const withFold = items.filter((it) => it.fold !== undefined).length;
  const withSplit = items.filter((it) => it.split !== undefined).length;
  if (withFold === items.length) return foldSplits(items.map((it) => it.fold!), opts, rng);
  if (withFold > 0) throw new Error(`${withFold} of ${items.length} items have a fold number; either all or none must`);
  if (withSplit > 0) {
    if (withSplit < items.length) throw new Error(`${withSplit} of ${items.length} items have a split name; either all or none must`);
    const train: number[] = [], valid: number[] = [], test: number[] = [];
    const unknown = new Set<string>();
    items.forEach((it, i) => {
      const s = it.split!.toLowerCase();
      if (s === 'train' || s === 'training') train.push(i);
      else if (VALID_NAMES.has(s)) valid.push(i);
      else if (TEST_NAMES.has(s)) test.push(i);
      else unknown.add(it.split!);
    });
    if (unknown.size) throw new Error(`unknown split name(s): ${[...unknown].join(', ')} (expected train, valid, test)`);
    if (test.length === 0) throw new Error('the dataset has splits but no test split');
    if (train.length === 0) throw new Error('the dataset has splits but no train split');
    if (valid.length === 0) return [{ name: 'official', ...holdOut(train, opts.validFraction ?? 0.1, rng), test }];
    return [{ name: 'official', train, valid, test }];
  }
  return foldSplits(stratifiedFolds(items.map((it) => it.label), opts.kFolds ?? 5, rng), opts, rng);
}
