/**
 * `node dist/stability.js [options] [AUDIO_OR_DATASET...]`: the aliasing stability curve (spec 6) of
 * one or more models: mean cosine similarity between the embedding of a clip and of the same clip
 * shifted by s = 0..15 frames. Writes <out>.json, <out>.csv and <out>.svg (all models on one plot)
 * and prints a table. Without inputs it uses clips from the built-in procedural corpus.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { init } from '../gpu/runtime';
import { logMelCpu } from '../audio/logmel-cpu';
import { ProceduralCorpus } from '../data/procedural/corpus';
import { get, parseArgs, runCli, usage, UsageError, type FlagSpec } from '../eval/cli-args';
import { collectInputs, loadEvenlySpaced } from '../eval/inputs';
import { frontEndOf, loadModel, parseModelSpec, tokenEncoder } from '../eval/model';
import { clipSummaries, pairedSign, pairedStabilityCI, stabilityCI, stabilityCsv, stabilityCurve, stabilitySummary, type StabilityCurve } from '../eval/stability';
import type { MeanCI } from '../eval/stats';
import { lineChartSvg } from '../eval/svg-plot';
import type { EvalLayout } from '../eval/dataset';

const SPEC: Record<string, FlagSpec> = {
  models: { type: 'strings', help: 'models to compare: checkpoint paths (PATH@teacher for the teacher) or random[:CONFIG][:noaape][:seed=N]', default: ['random:tiny'], meta: 'LIST' },
  names: { type: 'strings', help: 'legend names for the models (default derived from them)', meta: 'LIST' },
  'max-shift': { type: 'int', help: 'largest shift in frames', default: 15 },
  length: { type: 'int', help: 'view length in frames (multiple of 16; default clip length − max shift, ≤ 608)' },
  limit: { type: 'int', help: 'use at most this many input files (evenly spaced over the list)', default: 64 },
  procedural: { type: 'int', help: 'clips from the procedural corpus when no input is given', default: 16 },
  'clip-seconds': { type: 'number', help: 'length of procedural clips', default: 6 },
  'corpus-seed': { type: 'int', help: 'seed of the procedural clips', default: 12345 },
  layout: { type: 'string', help: 'force a dataset layout', meta: 'NAME' },
  out: { type: 'string', help: 'output prefix (.json, .csv, .svg are added)', default: 'stability', meta: 'PREFIX' },
  'max-batch': { type: 'int', help: 'windows per encoder call', default: 8 },
};
const SYNOPSIS = 'node dist/stability.js [options] [AUDIO_OR_DATASET...]';

async function clips(a: ReturnType<typeof parseArgs>, log: (m: string) => void): Promise<{ samples: Float32Array[]; names: string[] }> {
  if (a.positional.length === 0) {
    const n = get.num(a, 'procedural'), seed = get.num(a, 'corpus-seed');
    const corpus = new ProceduralCorpus({ seed, durationSec: get.num(a, 'clip-seconds'), speech: null });
    log(`${n} procedural clips (seed ${seed}, ${get.num(a, 'clip-seconds')} s)`);
    const cs = Array.from({ length: n }, (_, i) => corpus.clip(i));
    return { samples: cs.map((c) => c.samples), names: cs.map((c) => `procedural:${c.index}:${c.info.type}`) };
  }
  const inputs = collectInputs(a.positional, { layout: get.str(a, 'layout') as EvalLayout | undefined });
  if (inputs.items.length === 0 || get.num(a, 'limit') < 1) throw new UsageError('no audio files in the inputs');
  const res = await loadEvenlySpaced(inputs.items, get.num(a, 'limit'), log);
  return { samples: res.samples, names: res.paths };
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), SPEC);
  if (a.help) { console.log(usage(SYNOPSIS, SPEC)); return 0; }
  const log = (m: string) => console.error(m);
  const specs = get.strs(a, 'models') ?? [];
  if (specs.length === 0) throw new UsageError('--models needs at least one model');
  const names = get.strs(a, 'names') ?? specs.map((s) => s.replace(/^.*\/(runs\/)?/, ''));
  if (names.length !== specs.length) throw new UsageError(`--names gives ${names.length} names for ${specs.length} models`);
  const maxShift = get.num(a, 'max-shift');
  const length = a.flags.length as number | undefined;
  if (length !== undefined && (length <= 0 || length % 16)) throw new UsageError('--length must be a positive multiple of 16');
  const { samples, names: clipNames } = await clips(a, log);
  if (samples.length === 0) throw new UsageError('no clip could be decoded');
  const rt = await init();
  const curves: { name: string; model: string; curve: StabilityCurve; summary: number }[] = [];
  try {
    for (const [k, spec] of specs.entries()) {
      const model = await loadModel(parseModelSpec(spec));
      log(`model ${names[k]}: ${model.description}`);
      const mels = samples.map((s) => logMelCpu(s, frontEndOf(model.cfg)));
      const curve = await stabilityCurve(tokenEncoder(model.encoder), mels, { maxShift, length, maxBatch: get.num(a, 'max-batch') });
      model.encoder.dispose();
      curves.push({ name: names[k], model: model.description, curve, summary: stabilitySummary(curve) });
    }
  } finally {
    rt.destroy();
  }
  // Each model against the first on the same clips: the paired interval orders them where the
  // per-model intervals (clip-to-clip spread) cannot.
  const ci = curves.map((c) => stabilityCI(c.curve));
  const vsFirst: (MeanCI | null)[] = curves.map((c, k) => (k === 0 ? null : pairedStabilityCI(c.curve, curves[0].curve)));
  const out = get.str(a, 'out')!;
  await mkdir(dirname(out) || '.', { recursive: true });
  await writeFile(`${out}.json`, JSON.stringify({ clips: clipNames, maxShift, models: curves.map((c, k) => ({ name: c.name, model: c.model, summary: c.summary, summaryCI: ci[k], perClipSummary: clipSummaries(c.curve), minusFirst: vsFirst[k], shifts: c.curve.shifts, mean: c.curve.mean, std: c.curve.std, lengths: c.curve.lengths, perClip: c.curve.perClip })) }, null, 1));
  await writeFile(`${out}.csv`, stabilityCsv(curves));
  await writeFile(`${out}.svg`, lineChartSvg(curves.map((c) => ({ name: `${c.name} (mean ${c.summary.toFixed(4)})`, x: c.curve.shifts, y: c.curve.mean })), {
    title: `Aliasing stability (${samples.length} clips)`, xLabel: 'shift s (frames)', yLabel: 'mean cosine similarity to s = 0',
  }));
  console.log(['shift', ...curves.map((c) => c.name)].join('\t'));
  for (const s of curves[0].curve.shifts) console.log([s, ...curves.map((c) => c.curve.mean[s].toFixed(5))].join('\t'));
  console.log(['mean s≥1', ...curves.map((c) => c.summary.toFixed(5))].join('\t'));
  const half = (x: MeanCI) => (Number.isFinite(x.half) ? ` ± ${x.half.toFixed(5)}` : '');
  console.log(['95 % CI over clips', ...ci.map((x) => half(x).replace(' ± ', '±') || '—')].join('\t'));
  for (const [k, d] of vsFirst.entries()) {
    if (!d) continue;
    const sign = pairedSign(d);
    const verdict = sign === null ? 'no interval' : ['less steady, CI excludes 0', 'CI contains 0', 'steadier, CI excludes 0'][sign + 1];
    console.log(`${curves[k].name} − ${curves[0].name}: ${d.mean >= 0 ? '+' : ''}${d.mean.toFixed(5)}${half(d)} over ${d.n} clips (${verdict})`);
  }
  console.log(`wrote ${out}.json, ${out}.csv, ${out}.svg`);
  return 0;
}

runCli(main);
