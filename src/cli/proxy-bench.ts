/**
 * `node dist/proxy-bench.js [options]`: a benchmark that needs no download. It writes labelled proxy
 * datasets from the procedural generator (pitch class, timbre family, modulation rate, event type;
 * spoken keywords and voices when espeak-ng is installed) in ESC-50 layout, pre-trains the tiny
 * config with and without AaPE, and prints one table: random init vs pre-trained × AaPE on vs off,
 * linear accuracy (mean ± 95 % CI over seeds, 5-fold CV) per task, and the aliasing-stability
 * summary. Everything lands in --out (datasets, pre-training runs, results.json, table.md,
 * stability.svg); finished pieces are reused when the command is run again.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { init } from '../gpu/runtime';
import { logMelCpu } from '../audio/logmel-cpu';
import { availableProxyTasks, writeProxyDataset } from '../data/procedural/proxy-writer';
import { PROXY_TASKS, type ProxyTaskName } from '../data/procedural/proxy-tasks';
import { ProceduralCorpus } from '../data/procedural/corpus';
import { defaultSpeechSynth } from '../data/procedural/speech';
import { get, parseArgs, runCli, usage, UsageError, type FlagSpec } from '../eval/cli-args';
import { frontEndOf, loadModel, tokenEncoder, type ModelSpec } from '../eval/model';
import { linearEvalDataset, type LinearRunResult } from '../eval/linear-run';
import { stabilityCsv, stabilityCurve, stabilitySummary, type StabilityCurve } from '../eval/stability';
import { lineChartSvg } from '../eval/svg-plot';
import { benchTable, type BenchRow } from '../eval/proxy-table';
import { pretrainOnce } from '../eval/proxy-pretrain';

const SPEC: Record<string, FlagSpec> = {
  out: { type: 'string', help: 'output folder', default: 'runs/proxy-bench', meta: 'DIR' },
  tasks: { type: 'strings', help: 'proxy tasks (default: pitch, timbre, modulation, event, + keywords, voices with espeak-ng)', meta: 'LIST' },
  'per-class': { type: 'int', help: 'examples per class (5 folds)', default: 10 },
  'clip-seconds': { type: 'number', help: 'length of the proxy clips', default: 3 },
  'data-seed': { type: 'int', help: 'seed of the proxy datasets', default: 0 },
  steps: { type: 'int', help: 'pre-training steps per run (0: random init only)', default: 24 },
  batch: { type: 'int', help: 'pre-training clips per step', default: 4 },
  'pretrain-clip-seconds': { type: 'number', help: 'procedural corpus clip length for pre-training', default: 6 },
  config: { type: 'string', help: 'model config (tiny, small, base or JSON)', default: 'tiny', meta: 'NAME|PATH' },
  'crop-frames': { type: 'int', help: 'pre-training crop / evaluation window in frames (multiple of 16; e.g. 304 ≈ 3 s runs ~2× faster than the tiny preset\'s 608)' },
  seed: { type: 'int', help: 'seed of the pre-training runs and random inits', default: 0 },
  checkpoints: { type: 'strings', help: 'use these two checkpoints (AaPE on, AaPE off) instead of pre-training', meta: 'ON,OFF' },
  seeds: { type: 'numbers', help: 'linear-evaluation seeds', default: [0, 1, 2], meta: 'LIST' },
  folds: { type: 'numbers', help: 'test folds to evaluate (default all 5)', meta: 'LIST' },
  // The proxy sets have ~100 training clips, i.e. one Adam step per epoch: EVAR's 3e-5 (tuned for
  // thousands of clips) barely moves the weights within 200 epochs, so the bench defaults higher.
  lr: { type: 'number', help: 'linear-evaluation learning rate (EVAR uses 3e-5 on full-size benchmarks)', default: 1e-3 },
  epochs: { type: 'int', help: 'linear-evaluation epoch cap', default: 200 },
  patience: { type: 'int', help: 'early-stopping patience', default: 20 },
  'stability-clips': { type: 'int', help: 'procedural clips for the stability curve', default: 8 },
  'cache-dir': { type: 'string', help: 'feature cache (default <out>/features)', meta: 'DIR' },
};
const SYNOPSIS = 'node dist/proxy-bench.js [options]';

interface BenchModel { name: string; spec: ModelSpec }

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), SPEC);
  if (a.help) { console.log(usage(SYNOPSIS, SPEC)); return 0; }
  if (a.positional.length) throw new UsageError(`unexpected argument ${a.positional[0]}`);
  const log = (m: string) => console.error(m);
  const out = get.str(a, 'out')!;
  const speech = defaultSpeechSynth(() => {});
  const known = availableProxyTasks(speech);
  const tasks = (get.strs(a, 'tasks') ?? known) as ProxyTaskName[];
  for (const t of tasks) {
    if (!(t in PROXY_TASKS)) throw new UsageError(`unknown task ${t} (known: ${Object.keys(PROXY_TASKS).join(', ')})`);
    if (!known.includes(t)) throw new UsageError(`task ${t} needs espeak-ng (apt-get install espeak-ng)`);
  }
  const perClass = get.num(a, 'per-class'), clipSec = get.num(a, 'clip-seconds'), dataSeed = get.num(a, 'data-seed');
  if (perClass < 5) throw new UsageError('--per-class must be at least 5 (one example per fold)');
  const steps = get.num(a, 'steps'), seed = get.num(a, 'seed');
  let config = get.str(a, 'config')!;
  const crop = a.flags['crop-frames'] as number | undefined;
  const cks = get.strs(a, 'checkpoints');
  if (cks && cks.length !== 2) throw new UsageError('--checkpoints needs two paths: AaPE on, AaPE off');
  const t0 = Date.now();
  await mkdir(out, { recursive: true });
  if (crop !== undefined) {
    if (!['tiny', 'small', 'base'].includes(config)) throw new UsageError('--crop-frames works with a preset --config (tiny, small, base); put cropFrames in your JSON instead');
    if (!(crop >= 16 && crop % 16 === 0)) throw new UsageError('--crop-frames must be a positive multiple of 16');
    // A preset with another crop length, as a config file both pre-training and evaluation read.
    const file = join(out, `config-${config}-crop${crop}.json`);
    await writeFile(file, JSON.stringify({ base: config, cropFrames: crop }) + '\n');
    config = file;
  }

  // 1. Proxy datasets (ESC-50 layout, 5 folds), written once per (task, size, length, seed).
  const dataDirs = new Map<ProxyTaskName, string>();
  for (const task of tasks) {
    const dir = join(out, 'data', `${task}-pc${perClass}-${clipSec}s-seed${dataSeed}`);
    dataDirs.set(task, dir);
    if (existsSync(join(dir, 'meta', 'esc50.csv'))) continue;
    log(`writing proxy dataset ${task} (${PROXY_TASKS[task].classes.length} classes × ${perClass}) to ${dir}`);
    await writeProxyDataset({ outDir: dir, task, perClass, seed: dataSeed, durationSec: clipSec, speech });
  }

  // 2. Pre-training, AaPE on and off (child processes; reused when already done).
  const models: BenchModel[] = [
    { name: 'random init, AaPE on', spec: { config, aape: true, seed } },
    { name: 'random init, AaPE off', spec: { config, aape: false, seed } },
  ];
  if (cks) {
    models.push({ name: 'pre-trained, AaPE on', spec: { checkpoint: cks[0] } }, { name: 'pre-trained, AaPE off', spec: { checkpoint: cks[1] } });
  } else if (steps > 0) {
    const base = { outRoot: out, steps, batch: get.num(a, 'batch'), clipSeconds: get.num(a, 'pretrain-clip-seconds'), seed, config };
    const on = await pretrainOnce({ ...base, aape: true }, log);
    const off = await pretrainOnce({ ...base, aape: false }, log);
    models.push({ name: `pre-trained ${steps} steps, AaPE on`, spec: { checkpoint: on } }, { name: `pre-trained ${steps} steps, AaPE off`, spec: { checkpoint: off } });
  }

  // 3. Linear evaluation per model and task, and the stability curve per model.
  const corpus = new ProceduralCorpus({ seed: 4242, durationSec: 6, speech: null });
  const stabClips = Array.from({ length: get.num(a, 'stability-clips') }, (_, i) => corpus.clip(i).samples);
  const rows: BenchRow[] = [];
  const details: { model: string; description: string; tasks: Record<string, LinearRunResult>; stability: StabilityCurve }[] = [];
  const rt = await init();
  try {
    for (const m of models) {
      const model = await loadModel(m.spec);
      // A given checkpoint's row says how long it was pre-trained (its step, from the metadata).
      const step = /step (\d+)/.exec(model.description);
      if (cks && 'checkpoint' in m.spec && step) m.name = m.name.replace('pre-trained', `pre-trained ${step[1]} steps`);
      log(`== ${m.name}: ${model.description}`);
      const res: Record<string, LinearRunResult> = {};
      for (const task of tasks) {
        res[task] = await linearEvalDataset(dataDirs.get(task)!, model, {
          cacheDir: get.str(a, 'cache-dir') ?? join(out, 'features'), seeds: get.nums(a, 'seeds'), onlyFolds: get.nums(a, 'folds'),
          lr: get.num(a, 'lr'), maxEpochs: get.num(a, 'epochs'), patience: get.num(a, 'patience'), log: (s) => { if (!s.startsWith('seed ')) log(s); },
        });
        log(`${m.name} / ${task}: ${(100 * res[task].ci.mean).toFixed(1)} % ± ${(100 * res[task].ci.half).toFixed(1)}`);
      }
      const curve = await stabilityCurve(tokenEncoder(model.encoder), stabClips.map((s) => logMelCpu(s, frontEndOf(model.cfg))));
      model.encoder.dispose();
      rows.push({ model: m.name, cells: Object.fromEntries(tasks.map((t) => [t, { ci: res[t].ci }])), stability: stabilitySummary(curve) });
      details.push({ model: m.name, description: model.description, tasks: res, stability: curve });
    }
  } finally {
    rt.destroy();
  }

  // 4. Report.
  const table = benchTable(tasks, rows);
  const minutes = (Date.now() - t0) / 60000;
  const pretrain = cks ? { checkpoints: cks } : { steps, batch: get.num(a, 'batch'), pretrainClipSeconds: get.num(a, 'pretrain-clip-seconds') };
  const settings = { tasks, perClass, clipSeconds: clipSec, dataSeed, ...pretrain, config, seed, seeds: get.nums(a, 'seeds'), lr: get.num(a, 'lr'), minutes };
  await writeFile(join(out, 'results.json'), JSON.stringify({ settings, rows, details }, null, 1));
  await writeFile(join(out, 'table.md'), `${table}\n\nSettings: ${JSON.stringify(settings)}\n`);
  const curves = details.map((d) => ({ name: d.model, curve: d.stability }));
  await writeFile(join(out, 'stability.csv'), stabilityCsv(curves));
  await writeFile(join(out, 'stability.svg'), lineChartSvg(curves.map((c) => ({ name: c.name, x: c.curve.shifts, y: c.curve.mean })), {
    title: 'Aliasing stability', xLabel: 'shift s (frames)', yLabel: 'mean cosine similarity to s = 0',
  }));
  console.log(table);
  console.log(`\nlinear accuracy: mean ± 95% CI over ${settings.seeds?.length ?? 3} seeds of the 5-fold average; ${minutes.toFixed(1)} min; results in ${out}/`);
  return 0;
}

runCli(main, () => usage(SYNOPSIS, SPEC));
