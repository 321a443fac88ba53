/**
 * `node dist/proxy-bench.js [options]`: a benchmark that needs no download. It writes labelled proxy
 * datasets from the procedural generator (pitch class, timbre family, modulation rate, event type;
 * spoken keywords and voices when espeak-ng is installed) in ESC-50 layout, and, when fluidsynth and
 * fluid-soundfont-gm are installed, the `instruments` set (GM notes rendered from recorded samples,
 * NSynth layout, split by instrument; tasks `instruments` = family and `instrument-pitch` = pitch
 * class). It pre-trains the tiny config with and without AaPE and prints one table: random init vs
 * pre-trained × AaPE on vs off, per task the EVAR protocol and the closed-form ridge probe (mean ±
 * 95 % CI over seeds), and the aliasing-stability summaries (procedural clips; recorded notes when
 * the instruments set is rendered). Everything lands in --out (datasets, pre-training runs,
 * results.json, table.md, report.md with loss.svg, stability.svg and stability-recorded.svg);
 * finished pieces are reused when the command is run again, so an interrupted run resumes.
 * --docs DIR also writes DIR/results/bench-report.md beside copies of its plots.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { init } from '../gpu/runtime';
import { logMelCpu } from '../audio/logmel-cpu';
import { availableProxyTasks, writeProxyDataset } from '../data/procedural/proxy-writer';
import { PROXY_TASKS, type ProxyTaskName } from '../data/procedural/proxy-tasks';
import { ProceduralCorpus } from '../data/procedural/corpus';
import { defaultSpeechSynth } from '../data/procedural/speech';
import { get, parseArgs, runCli, usage, UsageError, type FlagSpec, type Parsed } from '../eval/cli-args';
import { CHOOSE_BLOCKS_FLAG, LAYER_FLAG, chooseBlocksOption, cutNote, cutWords, frontEndOf, layerArg, layerOption, layerProblem, loadModel, parseModelSpec, tokenEncoder, type ModelSpec } from '../eval/model';
import { linearEvalDataset, type LinearRunResult } from '../eval/linear-run';
import { POOLINGS } from '../eval/windows';
import { formatPercentCI } from '../eval/stats';
import { clipSummaries, stabilityCsv, stabilityCurve, type StabilityCurve } from '../eval/stability';
import { lineChartSvg } from '../eval/svg-plot';
import { collectInputs, loadEvenlySpaced } from '../eval/inputs';
import { benchTable, dimensionalityTable, stabilityPairsTable, verdictTable, type BenchRow, type BenchTask } from '../eval/proxy-table';
import { pretrainOnce } from '../eval/proxy-pretrain';
import { lossCurve } from '../eval/loss-curve';
import { GM_FAMILIES, instrumentsUnavailable, writeInstrumentsDataset } from '../data/procedural/instruments';
import { PRESETS, loadConfig } from '../aasp/config';
import { baselineEvalDataset } from '../eval/baseline-run';

/** The SoundFont tasks: one rendered set (NSynth layout), two labels. */
const INSTRUMENT_TASKS = { instruments: { labelKey: 'instrument_family', classes: GM_FAMILIES.length }, 'instrument-pitch': { labelKey: 'pitch_class', classes: 12 } } as const;
type InstrumentTask = keyof typeof INSTRUMENT_TASKS;
type BenchTaskName = ProxyTaskName | InstrumentTask;
const isInstrumentTask = (t: string): t is InstrumentTask => t in INSTRUMENT_TASKS;

const SPEC: Record<string, FlagSpec> = {
  out: { type: 'string', help: 'output folder', default: 'runs/proxy-bench', meta: 'DIR' },
  'data-dir': { type: 'string', help: 'where the task data sets are written, or found when already there (default <out>/data; proxy-seeds shares one between seeds)', meta: 'DIR' },
  tasks: { type: 'strings', help: 'tasks (default: pitch, timbre, modulation, event, + keywords, voices with espeak-ng, + instruments, instrument-pitch with fluidsynth)', meta: 'LIST' },
  // 50 per class: 40 test clips per class over the 5 folds, so one clip moves a class's accuracy by
  // 2.5 points rather than the 10 of a 10-per-class set (whose EVAR scores swung ±10 by seed).
  'per-class': { type: 'int', help: 'examples per class (5 folds)', default: 50 },
  'instrument-notes': { type: 'int', help: 'notes per GM instrument in the instruments set (12 families, 95 instruments)', default: 12 },
  'instrument-programs': { type: 'int', help: 'only the first N instruments of each family (toy sizes)', meta: 'N' },
  'instrument-folds': { type: 'int', help: 'instruments tasks: grouped K-fold cross-validation over all notes, each instrument in one fold (test instruments unseen in training; the draw varies with the seed); 0: the fixed NSynth-style split by instrument', default: 5, meta: 'K' },
  'clip-seconds': { type: 'number', help: 'length of the proxy clips', default: 3 },
  'data-seed': { type: 'int', help: 'seed of the proxy datasets', default: 0 },
  steps: { type: 'int', help: 'pre-training steps per run (0: random init only)', default: 24 },
  batch: { type: 'int', help: 'pre-training clips per step', default: 4 },
  'pretrain-clip-seconds': { type: 'number', help: 'procedural corpus clip length for pre-training', default: 6 },
  config: { type: 'string', help: 'model config (tiny, small, base or JSON)', default: 'tiny', meta: 'NAME|PATH' },
  'crop-frames': { type: 'int', help: 'pre-training crop / evaluation window in frames (multiple of 16; e.g. 304 ≈ 3 s runs ~2× faster than the tiny preset\'s 608)' },
  seed: { type: 'int', help: 'seed of the pre-training runs and random inits', default: 0 },
  checkpoints: { type: 'strings', help: 'use these checkpoints (AaPE on[, AaPE off]) instead of pre-training; PATH@teacher evaluates its EMA teacher', meta: 'ON[,OFF]' },
  'pretrain-data': { type: 'string', help: 'pre-training corpus for --steps runs: a dataset path, or "instruments-train" (the rendered train instruments only)', meta: 'PATH' },
  'pretrain-instrument-share': { type: 'number', help: 'fraction of the procedural pre-training corpus drawn from the rendered train instruments (pretrain --mix-data <instruments>/nsynth-train --mix-share P; test instruments never)', meta: 'P' },
  'pretrain-speech-share': { type: 'number', help: 'fraction of the procedural pre-training corpus that is espeak-ng speech (pretrain --speech-share; default: 1/9, all types alike)', meta: 'P' },
  models: { type: 'strings', help: 'rows to evaluate: random-on, random-off, pretrained-on, pretrained-off (default all), logmel (log-mel statistics, no encoder)', meta: 'LIST' },
  docs: { type: 'string', help: 'also write DIR/results/bench-report.md with its plots (docs/results.md links them)', meta: 'DIR' },
  seeds: { type: 'numbers', help: 'linear-evaluation seeds', default: [0, 1, 2], meta: 'LIST' },
  folds: { type: 'numbers', help: 'test folds to evaluate (default all 5)', meta: 'LIST' },
  // The proxy sets have ~100 training clips, i.e. one Adam step per epoch: EVAR's 3e-5 (tuned for
  // thousands of clips) barely moves the weights within 200 epochs, so the bench defaults higher.
  lr: { type: 'number', help: 'linear-evaluation learning rate (EVAR uses 3e-5 on full-size benchmarks)', default: 1e-3 },
  epochs: { type: 'int', help: 'linear-evaluation epoch cap', default: 200 },
  patience: { type: 'int', help: 'early-stopping patience', default: 20 },
  'stability-clips': { type: 'int', help: 'procedural clips for the stability curve (its interval and the paired AaPE on − off comparison are over clips)', default: 32 },
  // The paired on − off difference on recorded notes is ~0.0007 with a clip-to-clip spread that
  // needs a few hundred notes to resolve it (docs/results.md), hence the whole split by default.
  'stability-notes': { type: 'int', help: 'recorded notes (evenly spaced over the instruments test split) for the second stability set, when that set is rendered (default: all of them)', meta: 'N' },
  layer: { ...LAYER_FLAG, help: `${LAYER_FLAG.help}; probes and stability curves alike` },
  'choose-blocks': CHOOSE_BLOCKS_FLAG,
  'cache-dir': { type: 'string', help: 'feature cache (default <out>/features)', meta: 'DIR' },
  pool: { type: 'string', help: "clip feature from the encoder's frame features: mean (the spec's protocol) or mean+std (also the spread over time)", default: 'mean', meta: 'NAME' },
};
const SYNOPSIS = 'node dist/proxy-bench.js [options]';

interface BenchModel { name: string; spec: ModelSpec }

/**
 * A share of the procedural pre-training corpus given by `flag` (speech: [0, 1]; a mixed-in dataset:
 * (0, 1], since 0 would mix nothing), checked up front; it has no meaning with --pretrain-data.
 */
function corpusShare(a: Parsed, flag: string, zeroOk: boolean): number | undefined {
  const p = get.optNum(a, flag);
  if (p === undefined) return undefined;
  if (!((zeroOk ? p >= 0 : p > 0) && p <= 1)) throw new UsageError(`--${flag} must be in ${zeroOk ? '[' : '('}0, 1], got ${p}`);
  if (get.str(a, 'pretrain-data')) throw new UsageError(`--${flag} shapes the procedural corpus, not --pretrain-data`);
  return p;
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), SPEC);
  if (a.help) { console.log(usage(SYNOPSIS, SPEC)); return 0; }
  if (a.positional.length) throw new UsageError(`unexpected argument ${a.positional[0]}`);
  const log = (m: string) => console.error(m);
  const out = get.str(a, 'out')!;
  const speech = defaultSpeechSynth(() => {});
  const noInstruments = instrumentsUnavailable();
  const known: BenchTaskName[] = [...availableProxyTasks(speech), ...(noInstruments ? [] : Object.keys(INSTRUMENT_TASKS) as InstrumentTask[])];
  if (noInstruments && !get.strs(a, 'tasks')) log(`instruments tasks skipped: ${noInstruments}`);
  const tasks = (get.strs(a, 'tasks') ?? known) as BenchTaskName[];
  for (const t of tasks) {
    if (!(t in PROXY_TASKS) && !isInstrumentTask(t)) throw new UsageError(`unknown task ${t} (known: ${[...Object.keys(PROXY_TASKS), ...Object.keys(INSTRUMENT_TASKS)].join(', ')})`);
    if (isInstrumentTask(t) && noInstruments) throw new UsageError(`task ${t}: ${noInstruments}`);
    if (!known.includes(t)) throw new UsageError(`task ${t} needs espeak-ng (apt-get install espeak-ng)`);
  }
  const notes = get.num(a, 'instrument-notes');
  if (!(notes >= 1)) throw new UsageError('--instrument-notes must be at least 1');
  const perClass = get.num(a, 'per-class'), clipSec = get.num(a, 'clip-seconds'), dataSeed = get.num(a, 'data-seed');
  if (perClass < 5) throw new UsageError('--per-class must be at least 5 (one example per fold)');
  const nStab = get.num(a, 'stability-clips');
  const nNotes = (a.flags['stability-notes'] as number | undefined) ?? Infinity;
  if (!(nStab >= 1) || !(nNotes >= 1)) throw new UsageError('--stability-clips and --stability-notes must be at least 1');
  const steps = get.num(a, 'steps'), seed = get.num(a, 'seed');
  let config = get.str(a, 'config')!;
  const crop = a.flags['crop-frames'] as number | undefined;
  const cks = get.strs(a, 'checkpoints')?.map(parseModelSpec);
  if (cks && (cks.length < 1 || cks.length > 2)) throw new UsageError('--checkpoints needs one or two paths: AaPE on[, AaPE off]');
  for (const c of cks ?? []) if (!c.checkpoint || !existsSync(c.checkpoint)) throw new UsageError(`--checkpoints: ${c.checkpoint ?? 'a random init'} is not a checkpoint file`);
  const t0 = Date.now();
  await mkdir(out, { recursive: true });
  if (crop !== undefined) {
    if (!(config in PRESETS)) throw new UsageError(`--crop-frames works with a preset --config (${Object.keys(PRESETS).join(', ')}); put cropFrames in your JSON instead`);
    if (!(crop >= 16 && crop % 16 === 0)) throw new UsageError('--crop-frames must be a positive multiple of 16');
    // A preset with another crop length, as a config file both pre-training and evaluation read.
    const file = join(out, `config-${config}-crop${crop}.json`);
    await writeFile(file, JSON.stringify({ base: config, cropFrames: crop }) + '\n');
    config = file;
  }

  // 1. Proxy datasets (ESC-50 layout, 5 folds), written once per (task, size, length, seed); the
  // instruments set (NSynth layout) once per (notes, seed), complete when its three splits are.
  const dataDirs = new Map<BenchTaskName, string>();
  const progs = a.flags['instrument-programs'] as number | undefined;
  const instFolds = get.num(a, 'instrument-folds');
  if (!(instFolds === 0 || (Number.isInteger(instFolds) && instFolds >= 2))) throw new UsageError('--instrument-folds must be 0 (the fixed split) or at least 2');
  const share = corpusShare(a, 'pretrain-speech-share', true);
  const instShare = corpusShare(a, 'pretrain-instrument-share', false);
  if (progs !== undefined && !(progs >= 2)) throw new UsageError('--instrument-programs must be at least 2 (one train and one test instrument per family)');
  const dataRoot = get.str(a, 'data-dir') ?? join(out, 'data');
  const instDir = join(dataRoot, `instruments-n${notes}${progs ? `-p${progs}` : ''}-seed${dataSeed}`);
  const instDone = () => ['train', 'valid', 'test'].every((s) => existsSync(join(instDir, `nsynth-${s}`, 'examples.json')));
  const needInstruments = tasks.some(isInstrumentTask) || get.str(a, 'pretrain-data') === 'instruments-train' || instShare !== undefined;
  if (needInstruments && !instDone()) {
    if (noInstruments) throw new UsageError(`instruments set: ${noInstruments}`);
    log(`rendering the instruments set (${notes} notes per GM instrument, fluidsynth) to ${instDir}`);
    const r = await writeInstrumentsDataset({ outDir: instDir, notesPerProgram: notes, seed: dataSeed, programsPerFamily: progs });
    log(`instruments: ${r.notes} notes (${Object.entries(r.bySplit).map(([k, v]) => `${k} ${v}`).join(', ')}; ${r.silent} silent left out)`);
  }
  for (const task of tasks) {
    if (isInstrumentTask(task)) { dataDirs.set(task, instDir); continue; }
    const dir = join(dataRoot, `${task}-pc${perClass}-${clipSec}s-seed${dataSeed}`);
    dataDirs.set(task, dir);
    if (existsSync(join(dir, 'meta', 'esc50.csv'))) continue;
    log(`writing proxy dataset ${task} (${PROXY_TASKS[task].classes.length} classes × ${perClass}) to ${dir}`);
    await writeProxyDataset({ outDir: dir, task, perClass, seed: dataSeed, durationSec: clipSec, speech });
  }

  // 2. Pre-training, AaPE on and off (child processes; reused when already done).
  const ROWS = ['random-on', 'random-off', 'pretrained-on', 'pretrained-off', 'logmel'];
  const want = new Set(get.strs(a, 'models') ?? ROWS.slice(0, 4));
  for (const w of want) if (!ROWS.includes(w)) throw new UsageError(`--models: unknown row ${w} (known: ${ROWS.join(', ')})`);
  const pool = get.oneOf(a, 'pool', POOLINGS);
  // Checked before any pre-training starts, and again per model (a checkpoint carries its own depth).
  const layer = cks ? layerArg(a) : layerOption(a, await loadConfig(config));
  const chooseBlocks = chooseBlocksOption(a);
  const models: BenchModel[] = [];
  if (want.has('random-on')) models.push({ name: 'random init, AaPE on', spec: { config, aape: true, seed } });
  if (want.has('random-off')) models.push({ name: 'random init, AaPE off', spec: { config, aape: false, seed } });
  const lossRuns: { name: string; dir: string }[] = [];
  if (cks) {
    const who = (c: ModelSpec) => (c.teacher ? 'pre-trained (teacher)' : 'pre-trained');
    if (want.has('pretrained-on')) models.push({ name: `${who(cks[0])}, AaPE on`, spec: cks[0] });
    if (cks[1] && want.has('pretrained-off')) models.push({ name: `${who(cks[1])}, AaPE off`, spec: cks[1] });
    cks.forEach((c, i) => lossRuns.push({ name: i ? 'AaPE off' : 'AaPE on', dir: dirname(dirname(c.checkpoint!)) }));
  } else if (steps > 0) {
    const pd = get.str(a, 'pretrain-data');
    const extra = pd ? ['--data', pd === 'instruments-train' ? join(instDir, 'nsynth-train') : pd]
      : [...(share !== undefined ? ['--speech-share', String(share)] : []), ...(instShare !== undefined ? ['--mix-data', join(instDir, 'nsynth-train'), '--mix-share', String(instShare)] : [])];
    const base = { outRoot: out, steps, batch: get.num(a, 'batch'), clipSeconds: get.num(a, 'pretrain-clip-seconds'), seed, config, extra };
    if (want.has('pretrained-on')) {
      const on = await pretrainOnce({ ...base, aape: true }, log);
      models.push({ name: `pre-trained ${steps} steps, AaPE on`, spec: { checkpoint: on } });
      lossRuns.push({ name: 'AaPE on', dir: dirname(dirname(on)) });
    }
    if (want.has('pretrained-off')) {
      const off = await pretrainOnce({ ...base, aape: false }, log);
      models.push({ name: `pre-trained ${steps} steps, AaPE off`, spec: { checkpoint: off } });
      lossRuns.push({ name: 'AaPE off', dir: dirname(dirname(off)) });
    }
  }

  if (models.length === 0 && !want.has('logmel')) throw new UsageError('--models selects no row that this run can evaluate (pre-trained rows need --steps > 0 or --checkpoints)');

  // 3. Linear evaluation per model and task, and the stability curves per model: on procedural clips,
  // and on recorded notes (unseen test instruments) when the instruments set is rendered, since a
  // claim about aliasing should hold on recordings, not only on the generator's own sounds.
  const corpus = new ProceduralCorpus({ seed: 4242, durationSec: 6, speech: null });
  const stabSets: StabilityClips[] = [{ set: 'procedural clips', file: 'stability', samples: Array.from({ length: nStab }, (_, i) => corpus.clip(i).samples) }];
  if (instDone()) stabSets.push({ set: 'recorded notes', file: 'stability-recorded', samples: await recordedNotes(join(instDir, 'nsynth-test'), nNotes, log) });
  const rows: BenchRow[] = [];
  const evalOpts = (task: BenchTaskName) => ({
    seeds: get.nums(a, 'seeds'), onlyFolds: isInstrumentTask(task) ? undefined : get.nums(a, 'folds'),
    ...(isInstrumentTask(task) ? { layout: 'nsynth' as const, labelKey: INSTRUMENT_TASKS[task].labelKey, groupFolds: instFolds } : {}),
    lr: get.num(a, 'lr'), maxEpochs: get.num(a, 'epochs'), patience: get.num(a, 'patience'),
  });
  const details: { model: string; description: string; tasks: Record<string, LinearRunResult>; stability: Record<string, StabilityCurve> | null }[] = [];
  const rt = await init();
  try {
    for (const m of models) {
      const model = await loadModel(m.spec);
      // A given checkpoint's row says how long it was pre-trained (its step, from the metadata).
      const step = /step (\d+)/.exec(model.description);
      if (cks && 'checkpoint' in m.spec && step) m.name = m.name.replace('pre-trained', `pre-trained ${step[1]} steps`);
      const bad = layerProblem(layer, model.cfg);
      if (bad) throw new UsageError(`${model.description}: ${bad}`);
      log(`== ${m.name}: ${model.description}${cutNote(layer)}`);
      const res: Record<string, LinearRunResult> = {};
      for (const task of tasks) {
        res[task] = await linearEvalDataset(dataDirs.get(task)!, model, {
          cacheDir: get.str(a, 'cache-dir') ?? join(out, 'features'), pool, layer, chooseBlocks, ...evalOpts(task), log: (s) => { if (!/^(ridge )?seed /.test(s)) log(s); },
        });
        const r = res[task];
        log(`${m.name} / ${task}: EVAR ${formatPercentCI(r.ci)} %, ridge ${r.ridge ? formatPercentCI(r.ridge.ci) : '—'} %`);
      }
      const curves: Record<string, StabilityCurve> = {};
      for (const st of stabSets) curves[st.set] = await stabilityCurve(tokenEncoder(model.encoder, layer), st.samples.map((s) => logMelCpu(s, frontEndOf(model.cfg))));
      model.encoder.dispose();
      rows.push({
        model: m.name, cells: Object.fromEntries(tasks.map((t) => [t, { ci: res[t].ci, ridge: res[t].ridge?.ci, participation: res[t].dimensionality.participation }])),
        stability: stabSets.map((st) => ({ set: st.set, clips: clipSummaries(curves[st.set]) })),
      });
      details.push({ model: m.name, description: model.description, tasks: res, stability: curves });
    }
    if (want.has('logmel')) {
      const name = 'log-mel statistics (no encoder)';
      const fe = frontEndOf(await loadConfig(config));
      const res: Record<string, LinearRunResult> = {};
      for (const task of tasks) {
        res[task] = await baselineEvalDataset(dataDirs.get(task)!, fe, {
          ...evalOpts(task), log: (s) => { if (!/^(ridge )?seed /.test(s)) log(s); },
        });
        log(`${name} / ${task}: EVAR ${formatPercentCI(res[task].ci)} %, ridge ${res[task].ridge ? formatPercentCI(res[task].ridge!.ci) : '—'} %`);
      }
      rows.push({ model: name, cells: Object.fromEntries(tasks.map((t) => [t, { ci: res[t].ci, ridge: res[t].ridge?.ci, participation: res[t].dimensionality.participation }])) });
      details.push({ model: name, description: 'per-band log-mel mean and std + modulation spectrum 1–48 Hz in 4 band groups (src/eval/logmel-baseline.ts)', tasks: res, stability: null });
    }
  } finally {
    rt.destroy();
  }

  // 4. Report.
  const benchTasks: BenchTask[] = tasks.map((t) => ({ name: t, classes: isInstrumentTask(t) ? INSTRUMENT_TASKS[t].classes : PROXY_TASKS[t].classes.length }));
  const table = benchTable(benchTasks, rows);
  const verdict = verdictTable(benchTasks, rows);
  const stabPairs = stabilityPairsTable(rows);
  const dims = dimensionalityTable(benchTasks, rows);
  const minutes = (Date.now() - t0) / 60000;
  const pretrain = cks ? { checkpoints: get.strs(a, 'checkpoints') } : { steps, batch: get.num(a, 'batch'), pretrainClipSeconds: get.num(a, 'pretrain-clip-seconds'), pretrainData: get.str(a, 'pretrain-data') ?? `procedural corpus${share === undefined ? '' : `, speech share ${share}`}${instShare === undefined ? '' : `, a share ${instShare} from the rendered train instruments`}` };
  const settings = { tasks, models: models.map((m) => m.name), perClass, clipSeconds: clipSec, instrumentNotes: notes, instrumentFolds: instFolds, ...(progs ? { instrumentPrograms: progs } : {}), dataSeed, ...pretrain, config, seed, seeds: get.nums(a, 'seeds'), lr: get.num(a, 'lr'), pool, ...(layer === undefined ? {} : { layer }), ...(chooseBlocks ? { chooseBlocks } : {}), minutes };
  await writeFile(join(out, 'results.json'), JSON.stringify({ settings, rows, details }, null, 1));
  await writeFile(join(out, 'table.md'), `${table}\n\n${verdict}\n\n${stabPairs ? `${stabPairs}\n\n` : ''}${dims ? `${dims}\n\n` : ''}Settings: ${JSON.stringify(settings)}\n`);
  const stabPlots: StabilityClips[] = [];
  for (const st of stabSets) {
    const curves = details.flatMap((d) => (d.stability ? [{ name: d.model, curve: d.stability[st.set] }] : []));
    if (!curves.length) continue;
    await writeFile(join(out, `${st.file}.csv`), stabilityCsv(curves));
    await writeFile(join(out, `${st.file}.svg`), lineChartSvg(curves.map((c) => ({ name: c.name, x: c.curve.shifts, y: c.curve.mean })), {
      title: `Aliasing stability, ${st.set}`, xLabel: 'shift s (frames)', yLabel: 'mean cosine similarity to s = 0',
    }));
    stabPlots.push(st);
  }
  const losses = lossRuns.map((r) => ({ name: r.name, ...lossCurve(join(r.dir, 'metrics.jsonl')) })).filter((c) => c.x.length > 0);
  if (losses.length) await writeFile(join(out, 'loss.svg'), lineChartSvg(losses, { title: 'Pre-training loss', xLabel: 'step', yLabel: 'loss (pred + λ·con)' }));
  const command = `node dist/proxy-bench.js ${process.argv.slice(2).join(' ')}`;
  const report = [
    `Command: \`${command}\``, '',
    `Time: ${minutes.toFixed(1)} min on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC (reused pieces not counted).`, '',
    ...(layer === undefined ? [] : [`Features: every model's encoder cut after ${cutWords(layer)} (norm applied), not the spec's whole encoder.${chooseBlocks ? ' The ridge probe chooses on validation which of the blocks to read (every non-empty subset, each with its own λ); EVAR reads them all.' : ''}`, '']),
    'Test accuracy (%), mean ± 95 % CI (Student t) over the evaluation seeds; EVAR = the linear protocol of docs/model.md (Adam, early stopping), ridge = closed-form ridge probe on the same splits (λ on validation).', '',
    table, '', 'Pre-trained vs random init (same AaPE setting), difference in points:', '', verdict, '',
    ...(losses.length ? ['![pre-training loss](loss.svg)', ''] : []), ...stabPlots.flatMap((st) => [`![aliasing stability, ${st.set}](${st.file}.svg)`, '']),
    ...(dims ? ['How many directions the clip features use (participation ratio (Σλ)²/Σλ² of the standardised features\' covariance; it is the dimension for isotropic features and 1 for a single direction). Where a pre-trained model\'s is far below the random init\'s, EVAR (gradient steps, early stopping) tends to fall behind ridge:', '', dims, ''] : []),
    ...(stabPairs ? ['Stability of AaPE on against AaPE off on the same clips (per-clip mean cosine over s = 1..15; 95 % CI of the paired differences):', '', stabPairs, ''] : []),
    `Settings: \`${JSON.stringify(settings)}\``, '',
  ].join('\n');
  await writeFile(join(out, 'report.md'), report);
  const docs = get.str(a, 'docs');
  if (docs) {
    await mkdir(join(docs, 'results'), { recursive: true });
    for (const f of [...stabPlots.map((st) => `${st.file}.svg`), 'loss.svg']) if (existsSync(join(out, f))) await copyFile(join(out, f), join(docs, 'results', f));
    await writeFile(join(docs, 'results', 'bench-report.md'), report); // beside its plots: the links hold
    log(`wrote ${join(docs, 'results', 'bench-report.md')} and its plots`);
  }
  console.log(table);
  console.log(`\n${verdict}`);
  if (stabPairs) console.log(`\n${stabPairs}`);
  console.log(`\naccuracy: mean ± 95% CI over ${settings.seeds?.length ?? 3} seeds (EVAR protocol and ridge probe); ${minutes.toFixed(1)} min; results in ${out}/`);
  return 0;
}

/** A stability clip set: what it is, its output files' stem, and its audio. */
interface StabilityClips { set: string; file: string; samples: Float32Array[] }

/** n notes evenly spaced over a rendered NSynth split (so every family is drawn), decoded at 16 kHz. */
async function recordedNotes(split: string, n: number, log: (m: string) => void): Promise<Float32Array[]> {
  const { samples } = await loadEvenlySpaced(collectInputs([split], { layout: 'nsynth' }).items, n, (m) => log(`stability: ${m}`));
  if (!samples.length) throw new Error(`stability: no recorded note could be decoded from ${split}`);
  return samples;
}

runCli(main);
