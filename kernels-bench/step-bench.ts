/**
 * step-bench: `node dist/step-bench.js [--configs tiny,small] [--batch 8,4] [--reps 3] [--json FILE]
 * [--torch-device cpu|cuda] [--threads 2] [--python /usr/bin/python3] [--ab TUNING-JSON]`
 *
 * One full AaSP training step (teacher targets, leak-free student with AaPE, predictor, losses,
 * backward, clipping, AdamW, EMA) in this engine and in the PyTorch reference (test/reference/,
 * float32), on the same parameters (ours are written out and loaded there), the same batch and crop
 * and the same masks, so the first losses agree (printed as a check). Repeats are taken in turn (ours,
 * PyTorch, ours, …) and the ratio is the median of the per-repeat ratios PyTorch ms / our ms (> 1:
 * we are faster), so a slow spell of a shared machine lands on both sides; the same for the CPU time
 * of each process over all its threads, which other load does not inflate. Then one profiled step of
 * ours: GPU time by kernel family, the dispatch count, and the pool's peak bytes.
 * Without PyTorch it says so once and reports ours only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, type Runtime } from '../src/gpu/runtime';
import { tuningFor, withTuning, type Tuning } from '../src/gpu/tuning';
import '../src/ops';
import { get, parseArgs, runCli, usage, UsageError, type FlagSpec } from '../src/eval/cli-args';
import { grid, loadConfig, maskCounts, peakLr, type AaspConfig } from '../src/aasp/config';
import { AaspStudent, Teacher } from '../src/aasp/model';
import { makeEmbedder } from '../src/aasp/embedder';
import { drawMasks, type MaskSet } from '../src/aasp/masking';
import { applyUpdate, computeGradients, makeOptimizer, makeSchedule } from '../src/train/step';
import { writeSafetensors } from '../src/io/safetensors';
import { tensor } from '../src/tensor/tensor';
import { Rng } from '../src/util/rng';
import { rand } from './harness';
import { referenceConfig, torchMissing, TorchStep } from './step-bench-torch';
import { kernelFamilies, median, type Family } from './step-bench-stats';

const SPEC: Record<string, FlagSpec> = {
  configs: { type: 'strings', help: 'configs to time: tiny, small, base or a JSON file', default: ['tiny', 'small'], meta: 'LIST' },
  batch: { type: 'numbers', help: 'batch per config, or one for all (default: 8 for tiny, 4 otherwise)', meta: 'LIST' },
  reps: { type: 'int', help: 'timed repeats of each side', default: 3, meta: 'N' },
  warmup: { type: 'int', help: 'untimed steps of each side first (pipelines, pools, caches)', default: 1, meta: 'N' },
  json: { type: 'string', help: 'also write the records as JSON', meta: 'FILE' },
  'torch-device': { type: 'string', help: 'PyTorch device: cpu or cuda (TF32 off)', default: 'cpu', meta: 'DEV' },
  threads: { type: 'int', help: 'PyTorch CPU threads (torch.set_num_threads)', default: 2, meta: 'N' },
  python: { type: 'string', help: 'Python with torch (or env AASP_PYTHON)', default: process.env.AASP_PYTHON ?? '/usr/bin/python3', meta: 'PATH' },
  profile: { type: 'boolean', help: 'profile one extra step of ours (kernel families, dispatches)', default: true },
  seed: { type: 'int', help: 'seed of parameters, batch and masks', default: 0, meta: 'N' },
  ab: { type: 'string', help: 'A/B: also time ours under this tuning patch in each repeat, e.g. \'{"lambdaFused":false}\'', meta: 'JSON' },
};
const SYNOPSIS = 'node dist/step-bench.js [options]';

export interface StepRecord {
  config: string; B: number; T: number; reps: number;
  ours_ms: number; ours_samples: number[];
  torch_ms: number | null; torch_samples: number[]; ratio: number | null; ratio_samples: number[];
  torch: { version: string; device: string; threads: number } | null; torch_note: string | null;
  loss: { ours: number; torch: number | null };
  dispatches: number | null; gpu_ms: number | null; families: Family[]; peak_pool_bytes: number; adapter: string;
  /** --ab: ours under the tuning patch, and the median of per-repeat ratios (patched ms / default ms). */
  ab: { patch: Partial<Tuning>; ms: number; samples: number[]; ratio: number; cpu_samples: number[]; cpu_ratio: number } | null;
  /** CPU milliseconds of each repeat (all threads of each process) and the median of their paired ratios. */
  ours_cpu_samples: number[]; torch_cpu_samples: number[]; cpu_ratio: number | null;
}

const fmt = (v: number | null, d = 0) => (v === null || !Number.isFinite(v) ? '—' : v.toFixed(d));

/** Everything one config's step needs, ours. */
function buildOurs(cfg: AaspConfig, B: number, seed: number) {
  const student = new AaspStudent(cfg, new Rng(seed), makeEmbedder);
  const teacher = new Teacher(student, makeEmbedder);
  const lr = peakLr(cfg, B);
  const total = 1000;
  const opt = makeOptimizer(student, cfg, lr);
  const sched = makeSchedule(cfg, total, lr);
  const { Fp, Tp } = grid(cfg);
  const ms: MaskSet = drawMasks(new Rng(seed + 1), 'random', B, cfg.masks, Fp, Tp, maskCounts(cfg).nMasked);
  // A normalised log-mel has roughly unit scale; the values do not change the work.
  const xData = rand(B * cfg.nMels * cfg.cropFrames, 1234 + seed, -2, 2);
  const x = tensor(xData, [B, cfg.nMels, cfg.cropFrames]);
  const step = async (rt: Runtime, s: number): Promise<number> => {
    const r = await computeGradients(student, teacher, x, ms);
    applyUpdate(student, teacher, opt, sched, cfg, s, r.gradNorm);
    await rt.sync();
    return r.loss;
  };
  const dispose = () => { x.dispose(); opt.dispose(); teacher.dispose(); student.dispose(); };
  return { student, ms, xData, total, lr, step, dispose };
}

async function benchConfig(rt: Runtime, name: string, B: number, o: { reps: number; warmup: number; device: string; threads: number; seed: number; profile: boolean; ab: Partial<Tuning> | null }, torch: (() => TorchStep) | null, torchNote: string | null, log: (s: string) => void): Promise<StepRecord> {
  const cfg = await loadConfig(name);
  const ours = buildOurs(cfg, B, o.seed);
  let tp: TorchStep | null = null;
  let tinfo: StepRecord['torch'] = null;
  let note = torchNote;
  const dir = mkdtempSync(join(tmpdir(), 'aasp-step-bench-'));
  try {
    if (torch) {
      // The same parameters, batch and masks for the reference (raw little-endian files).
      const params: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
      for (const [n, t] of ours.student.namedParameters()) params[n] = { dtype: 'F32', shape: [...t.shape], data: await t.toFloat32() };
      await writeSafetensors(join(dir, 'params.safetensors'), params);
      writeFileSync(join(dir, 'x.f32'), ours.xData);
      writeFileSync(join(dir, 'vis.i32'), ours.ms.vis);
      writeFileSync(join(dir, 'mask.i32'), ours.ms.mask);
      tp = torch();
      try {
        tinfo = await tp.setup({ config: referenceConfig(cfg, ours.total, ours.lr), params: join(dir, 'params.safetensors'), x: join(dir, 'x.f32'), vis: join(dir, 'vis.i32'), mask: join(dir, 'mask.i32'), B, device: o.device, threads: o.threads });
      } catch (e) {
        note = (e as Error).message.split('\n')[0];
        log(`PyTorch: ${note}; ours only for ${cfg.name}`);
        tp.close();
        tp = null;
      }
    }
    // Step 0 of each side first: the losses of the same step on the same state must agree.
    const loss = { ours: await ours.step(rt, 0), torch: tp ? (await tp.step(0)).loss : null };
    const abStep = (st: number) => withTuning(rt, o.ab!, () => ours.step(rt, st));
    let s = 1;
    if (o.ab) await abStep(s++);
    for (let i = 1; i < o.warmup; i++, s++) { await ours.step(rt, s); if (tp) await tp.step(s); }
    const oursMs: number[] = [], torchMs: number[] = [], abMs: number[] = [];
    const oursCpu: number[] = [], torchCpu: number[] = [], abCpu: number[] = [];
    // Wall time, and the process's CPU time over all threads (lavapipe's included): the measure of
    // work that load from other processes does not inflate.
    const timed = async (f: () => Promise<unknown>, cpu: number[]) => {
      const c0 = process.cpuUsage(), t0 = performance.now();
      await f();
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
      return performance.now() - t0;
    };
    for (let i = 0; i < o.reps; i++, s++) {
      oursMs.push(await timed(() => ours.step(rt, s), oursCpu));
      if (tp) { const t = await tp.step(s); torchMs.push(t.ms); torchCpu.push(t.cpuMs); }
      if (o.ab) abMs.push(await timed(() => abStep(++s), abCpu));
    }
    tp?.close();
    tp = null;
    // The profiled step (timestamps serialise the work a little: not one of the timed repeats).
    rt.pool.resetPeak();
    const profiling = o.profile && rt.beginProfile();
    await ours.step(rt, s);
    const peak = rt.stats().peakBytes;
    const rows = profiling ? await rt.endProfile() : null;
    const ratios = torchMs.map((t, i) => t / oursMs[i]);
    return {
      config: cfg.name, B, T: cfg.cropFrames, reps: o.reps, ours_ms: median(oursMs), ours_samples: oursMs,
      torch_ms: torchMs.length ? median(torchMs) : null, torch_samples: torchMs, ratio: ratios.length ? median(ratios) : null, ratio_samples: ratios,
      torch: tinfo, torch_note: note, loss,
      dispatches: rows ? rows.reduce((a, r) => a + r.count, 0) : null, gpu_ms: rows ? rows.reduce((a, r) => a + r.ms, 0) : null,
      families: rows ? kernelFamilies(rows) : [], peak_pool_bytes: peak, adapter: rt.adapterName,
      ab: o.ab ? { patch: o.ab, ms: median(abMs), samples: abMs, ratio: median(abMs.map((t, i) => t / oursMs[i])), cpu_samples: abCpu, cpu_ratio: median(abCpu.map((t, i) => t / oursCpu[i])) } : null,
      ours_cpu_samples: oursCpu, torch_cpu_samples: torchCpu, cpu_ratio: torchCpu.length ? median(torchCpu.map((t, i) => t / oursCpu[i])) : null,
    };
  } finally {
    tp?.close();
    ours.dispose();
    rt.pool.trim();
    rmSync(dir, { recursive: true, force: true });
  }
}

function printRecord(r: StepRecord, log: (s: string) => void): void {
  const lossCheck = r.loss.torch === null ? '' : `, first-step loss ours ${r.loss.ours.toFixed(6)} PyTorch ${r.loss.torch.toFixed(6)} (rel. diff ${(Math.abs(r.loss.ours - r.loss.torch) / Math.abs(r.loss.torch)).toExponential(1)})`;
  log(`${r.config} B ${r.B}: ours ${fmt(r.ours_ms)} ms, PyTorch ${fmt(r.torch_ms)} ms, ratio ${r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`} (PyTorch ms / ours, median of ${r.ratio_samples.length} paired repeats${r.ratio_samples.length ? `: ${r.ratio_samples.map((x) => x.toFixed(2)).join(', ')}` : ''})${lossCheck}`);
  if (r.cpu_ratio !== null) log(`  CPU time (all threads): ours ${fmt(median(r.ours_cpu_samples))} ms, PyTorch ${fmt(median(r.torch_cpu_samples))} ms, ratio ${r.cpu_ratio.toFixed(2)}×`);
  if (r.ab) log(`  A/B ${JSON.stringify(r.ab.patch)}: ${fmt(r.ab.ms)} ms, ${r.ab.ratio.toFixed(3)}× the default's wall time (paired: ${r.ab.samples.map((t, i) => (t / r.ours_samples[i]).toFixed(3)).join(', ')}), ${r.ab.cpu_ratio.toFixed(3)}× its CPU time (paired: ${r.ab.cpu_samples.map((t, i) => (t / r.ours_cpu_samples[i]).toFixed(3)).join(', ')})`);
  log(`  ${r.dispatches ?? '—'} dispatches, ${fmt(r.gpu_ms)} GPU-ms profiled, peak pool ${(r.peak_pool_bytes / 2 ** 20).toFixed(1)} MiB`);
  for (const f of r.families.slice(0, 12)) log(`  ${f.family.padEnd(28)} ${f.ms.toFixed(1).padStart(9)} ms ${String(f.count).padStart(5)}× ${f.percent.toFixed(1).padStart(5)}%`);
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), SPEC);
  if (a.help) { console.log(usage(SYNOPSIS, SPEC)); return 0; }
  if (a.positional.length) throw new UsageError(`unexpected argument ${a.positional[0]}`);
  const configs = get.strs(a, 'configs')!;
  const batches = get.nums(a, 'batch') ?? configs.map((c) => (c === 'tiny' ? 8 : 4));
  if (!configs.length) throw new UsageError('--configs: give at least one config');
  if (batches.length !== 1 && batches.length !== configs.length) throw new UsageError(`--batch: give one batch or one per config (${configs.length}), got ${batches.length}`);
  if (batches.some((b) => !Number.isInteger(b) || b < 1)) throw new UsageError(`--batch: batches must be positive integers, got ${batches.join(',')}`);
  const device = get.str(a, 'torch-device')!;
  if (device !== 'cpu' && device !== 'cuda') throw new UsageError(`--torch-device: cpu or cuda, got ${device}`);
  const reps = get.num(a, 'reps'), warmup = get.num(a, 'warmup'), threads = get.num(a, 'threads');
  if (reps < 1 || warmup < 1 || threads < 1) throw new UsageError('--reps, --warmup and --threads must be at least 1');
  for (const c of configs) await loadConfig(c); // a bad config fails before any work
  let ab: Partial<Tuning> | null = null;
  const abText = get.str(a, 'ab');
  if (abText !== undefined) {
    try { ab = JSON.parse(abText) as Partial<Tuning>; } catch (e) { throw new UsageError(`--ab: not valid JSON (${(e as Error).message})`); }
    if (!ab || typeof ab !== 'object' || Array.isArray(ab)) throw new UsageError('--ab: give a JSON object of tuning fields, e.g. {"lambdaFused":false}');
  }
  const log = (s: string) => console.log(s);
  const python = get.str(a, 'python')!;
  const missing = torchMissing(python);
  if (missing) log(`PyTorch not available (${python}: ${missing}); reporting ours only`);
  const rt = await init();
  const records: StepRecord[] = [];
  try {
    log(`adapter: ${rt.describe()}`);
    for (const k of Object.keys(ab ?? {})) if (!(k in tuningFor(rt))) throw new UsageError(`--ab: unknown tuning field "${k}" (known: ${Object.keys(tuningFor(rt)).join(', ')})`);
    for (let i = 0; i < configs.length; i++) {
      const B = batches.length === 1 ? batches[0] : batches[i];
      const r = await benchConfig(rt, configs[i], B, { reps, warmup, device, threads, seed: get.num(a, 'seed'), profile: get.bool(a, 'profile'), ab }, missing ? null : () => new TorchStep(python), missing, log);
      records.push(r);
      printRecord(r, log);
      const path = get.str(a, 'json');
      if (path) writeFileSync(path, `${JSON.stringify(records, null, 1)}\n`);
    }
    const x = (v: number | null) => (v === null ? '—' : `${v.toFixed(2)}×`);
    log('\n| config | B | ours ms | PyTorch ms | ratio | CPU-time ratio | dispatches | peak pool MiB |\n|---|---|---|---|---|---|---|---|');
    for (const r of records) log(`| ${r.config} | ${r.B} | ${fmt(r.ours_ms)} | ${fmt(r.torch_ms)} | ${x(r.ratio)} | ${x(r.cpu_ratio)} | ${r.dispatches ?? '—'} | ${(r.peak_pool_bytes / 2 ** 20).toFixed(1)} |`);
  } finally {
    rt.destroy();
  }
  return 0;
}

runCli(main);
