/**
 * Linear evaluation of the model-free log-mel baseline (logmel-baseline.ts) on one dataset (Node
 * only), with the same listing, splits and probes as linear-run.ts, so its row sits in the same table.
 */
import { loadAudio } from '../audio/file-io';
import { logMelCpu, type LogMelConfig } from '../audio/logmel-cpu';
import { listEvalDataset, singleLabel } from './dataset';
import { logMelStatsDim, logMelStatsFeatures } from './logmel-baseline';
import type { LinearRunOptions, LinearRunResult } from './linear-run';
import { encodeLabels, runLinearProtocol, runRidgeProtocol } from './protocol';
import { participationRatio } from './dimensionality';

export async function baselineEvalDataset(path: string, frontEnd: LogMelConfig, opts: LinearRunOptions = {}): Promise<LinearRunResult> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const ds = listEvalDataset(path, { layout: opts.layout, labelKey: opts.labelKey });
  const { items, classes } = singleLabel(ds);
  const t0 = Date.now();
  const dim = logMelStatsDim(frontEnd.nMels);
  const x = new Float32Array(items.length * dim);
  for (const [i, it] of items.entries()) {
    const a = await loadAudio(it.path, frontEnd.sampleRate);
    x.set(logMelStatsFeatures(logMelCpu(a.samples, frontEnd)), i * dim);
  }
  const t1 = Date.now();
  const { y } = encodeLabels(items.map((i) => i.label), classes);
  const labelled = { x, n: items.length, dim, y, classes, items: items.map((i) => ({ label: i.label, fold: i.fold, split: i.split, group: i.group })) };
  const result = await runLinearProtocol(labelled, { ...opts, log });
  const ridge = opts.ridge === false ? undefined : runRidgeProtocol(labelled, { seeds: opts.seeds, validFraction: opts.validFraction, kFolds: opts.kFolds, onlyFolds: opts.onlyFolds, groupFolds: opts.groupFolds, log });
  return {
    ...result, ...(ridge ? { ridge } : {}), dataset: path, layout: ds.layout, classes, nItems: items.length, skipped: [], fromCache: false,
    featureSeconds: (t1 - t0) / 1000, trainSeconds: (Date.now() - t1) / 1000,
    dimensionality: participationRatio(x, items.length, dim),
  };
}
