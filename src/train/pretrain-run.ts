/**
 * The pre-training run: set-up (config, model, teacher, optimizer, data), optional resume, the step
 * loop with metrics, plot, progress, periodic and on-signal checkpoints, and teardown.
 *
 * Generator discipline (spec 7): one Rng(seed) makes, in this order, the student's init, the data
 * order seed, the procedural corpus seed; then per step the crops (one draw per clip) and the masks.
 * A checkpoint written after step s holds that generator's state at that moment, the data position,
 * the AdamW moments and the teacher, so a resumed run replays exactly.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { init, type Runtime } from '../gpu/runtime';
import { tensor } from '../tensor/tensor';
import { Rng } from '../util/rng';
import { rngFor } from '../data/procedural/seeding';
import { hasEspeak } from '../data/procedural/speech';
import { ConfigError, grid, loadConfig, maskCounts, peakLr, validateConfig, type AaspConfig } from '../aasp/config';
import type { EmbedderFactory } from '../aasp/encoder';
import { AaspStudent, Teacher } from '../aasp/model';
import { drawMasks } from '../aasp/masking';
import { CheckpointError, CheckpointWriteError, restoreTensors, saveCheckpoint, type LoadedCheckpoint } from '../io/checkpoint';
import { Progress } from '../util/progress';
import { watchCompiles } from '../util/compile-progress';
import { DataStream, cpuLogMel, gpuLogMel, type ClipSource, type DataPosition, type FeatureFn } from './data';
import { fileSource, mixedSource, openLoaderPool, proceduralSource } from './sources';
import { MetricsLog, type StepMetrics } from './metrics';
import { effectiveRank } from './monitor';
import { shiftPairsProblem, trainingBatch } from './shift-pairs';
import { applyUpdate, computeGradients, freezeParameters, lrScales, makeOptimizer, makeSchedule } from './step';
import { UsageError, type PretrainOptions } from './options';
import { ensureOutDir, prepareCheckpointDir, resumeCheckpoint, resumedSettings, SkipReport } from './run-files';
import { startDistributed, rankLog } from './distributed-run';

/** Everything besides the config that a resumed run must reuse. */
export interface RunSettings {
  totalSteps: number;
  batch: number;
  peakLr: number;
  seed: number;
  data: string | null;
  clipSeconds: number;
  /** Speech fraction of the procedural corpus (absent in runs from before the option: null). */
  speechShare?: number | null;
  /** A dataset mixed into the procedural corpus and the share drawn from it (absent before the option: none). */
  mixData?: string | null;
  mixShare?: number | null;
  corpusSeed: number;
  features: 'cpu' | 'gpu';
  /** Steps between checkpoints (kept by a resume unless --checkpoint-every is given again). */
  checkpointEvery: number;
}

export interface RunHooks {
  makeEmbedder: EmbedderFactory;
  /** Feature extraction (default: CPU log-mel with the config's normalisation). */
  features?: (cfg: AaspConfig, rt: Runtime) => FeatureFn;
  log?: (msg: string) => void;
}

function applyOverrides(cfg: AaspConfig, o: PretrainOptions): AaspConfig {
  const c = { ...cfg };
  if (o.masks !== null) c.masks = o.masks;
  if (o.maskRatio !== null) c.maskRatio = o.maskRatio;
  if (o.maskType !== null) c.maskType = o.maskType;
  if (!o.aape) c.aape = false;
  if (!o.contrastive) c.lambda = 0;
  return validateConfig(c, `config ${o.config} with command-line overrides`);
}

/** Print a per-kernel GPU time table and save it as JSON. */
async function writeProfile(rows: Array<{ kernel: string; ms: number; count: number }>, path: string, step: number, log: (m: string) => void): Promise<void> {
  const total = rows.reduce((a, r) => a + r.ms, 0);
  const lines = rows.slice(0, 25).map((r) => `  ${r.kernel.padEnd(36)} ${r.ms.toFixed(1).padStart(9)} ms ${String(r.count).padStart(6)}×  ${((100 * r.ms) / total).toFixed(1).padStart(5)}%`);
  log(`profile of step ${step}: ${total.toFixed(1)} GPU-ms in ${rows.reduce((a, r) => a + r.count, 0)} dispatches\n${lines.join('\n')}`);
  writeFileSync(path, `${JSON.stringify({ step, total_ms: total, kernels: rows }, null, 2)}\n`);
}

/** Stream id of the run generator (data, crops, masks) under the run's seed. */
const RUN_STREAM = 0x52554e;

const stepName = (s: number) => `step-${String(s).padStart(6, '0')}.safetensors`;

export async function runPretrain(o: PretrainOptions, hooks: RunHooks): Promise<number> {
  // Data-parallel (issue 18): MPI starts first, so the rank can pick its GPU; only rank 0 logs and writes.
  const dist = o.distributed ? await startDistributed(o, hooks.log) : null;
  const lead = !dist || dist.lead;
  const log = rankLog(dist, hooks.log ?? ((m: string) => process.stderr.write(`${m}\n`)));
  // ---- configuration (all user errors surface before the GPU starts)
  let cfg: AaspConfig;
  let settings: RunSettings | null = null;
  let ck: LoadedCheckpoint | null = null;
  let ckPath = '';
  if (o.resume !== null) {
    ({ path: ckPath, ck } = await resumeCheckpoint(o.resume, o.out, log));
    cfg = validateConfig(ck.meta.config as AaspConfig, `${ckPath} (config)`);
    settings = resumedSettings(ck, o, log);
    const ignored = [...o.given].filter((k) => !['resume', 'out', 'steps', 'checkpointEvery', 'monitorEvery', 'plotEvery', 'distributed', 'distTimeout', 'distCheckEvery'].includes(k));
    if (ignored.length) log(`resuming: the checkpoint's config and run settings are used; ignoring --${ignored.join(', --')}`);
  } else {
    cfg = applyOverrides(await loadConfig(o.config), o);
  }
  const batchSize = settings ? settings.batch : o.batch;
  const noRoom = shiftPairsProblem(cfg.shiftPairs, batchSize);
  if (noRoom) throw new ConfigError(`config ${cfg.name}: ${noRoom} (--batch)`);
  // A dataset on disk is listed before the GPU starts, so a bad path fails at once.
  const dataPath = settings ? settings.data : o.data;
  const fileSrc = dataPath ? fileSource(dataPath, log) : null;
  const share = settings ? settings.speechShare ?? null : o.speechShare;
  const mixPath = settings ? settings.mixData ?? null : o.mixData;
  const mixShare = settings ? settings.mixShare ?? null : o.mixShare;
  // A mix loads corpus clips and dataset files in one pool of worker threads (opened here, closed by the mix).
  const mixPool = mixPath && mixShare && !fileSrc ? openLoaderPool({}, 'corpus synthesis and decoding', log) : undefined;
  const mixSrc = mixPath && mixShare ? fileSource(mixPath, log, { pool: mixPool }) : null;
  if (!fileSrc && share !== null && share > 0 && !hasEspeak()) throw new UsageError(`--speech-share ${share} needs espeak-ng, which is not installed (bash scripts/setup.sh installs it)`);

  ensureOutDir(o.out); // fails in a second, with one line, where the folder cannot be made
  let stream: DataStream | null = null;
  let skips: SkipReport | null = null;
  let source: ClipSource | null = fileSrc ?? mixSrc; // closed in `finally` however far the start gets
  let rt: Runtime | null = null;
  try {
    rt = await init();
    // Two generators from the one seed (spec 7): the model's init, and the run's (data order, corpus,
    // crops, masks). Kept apart so that ablations with other parameter sets (--no-aape, another
    // config) see the same clips, crops and masks as the run they are compared with.
    const student = new AaspStudent(cfg, new Rng(ck ? 0 : o.seed), hooks.makeEmbedder);
    const frozen = freezeParameters(student, cfg);
    if (frozen.length) log(`frozen at their initial values (config "frozen"): ${frozen.join(', ')}`);
    const scaled = [...lrScales(student, cfg)].filter(([, f]) => f !== 1);
    if (scaled.length) log(`learning-rate factors (config "lrScale"): ${Object.entries(cfg.lrScale).map(([p, f]) => `${p}* ×${f}`).join(', ')} (${scaled.length} of ${student.namedParameters().length} student parameters)`);
    const rng = rngFor(ck ? 0 : o.seed, 0, RUN_STREAM);
    const teacher = new Teacher(student, hooks.makeEmbedder);
    let startStep = 0;
    let pos: DataPosition;
    if (ck) {
      pos = ck.meta.dataPosition as DataPosition;
      startStep = ck.meta.step;
      rng.setState(Rng.deserialize(ck.meta.rng).getState());
    } else {
      pos = DataStream.startPosition(rng);
    }
    const corpusSeed = settings ? settings.corpusSeed : rng.nextU32();
    if (fileSrc) source = fileSrc;
    else {
      const corpus = proceduralSource(corpusSeed, settings ? settings.clipSeconds : o.clipSeconds, log, { pool: mixPool }, share);
      source = mixSrc ? mixedSource(corpus, mixSrc, mixShare!, corpusSeed, mixPool) : corpus;
    }
    if (!settings) {
      const total = o.steps ?? (o.epochs !== null ? Math.ceil((o.epochs * source.size!) / o.batch) : 1000);
      settings = { totalSteps: total, batch: o.batch, peakLr: o.lr ?? peakLr(cfg, o.batch), seed: o.seed, data: o.data, clipSeconds: o.clipSeconds, speechShare: o.speechShare, mixData: o.mixData, mixShare: o.mixShare, corpusSeed, features: o.features, checkpointEvery: o.checkpointEvery };
    }
    const run = settings;
    dist?.checkBatch(run.batch);
    const opt = makeOptimizer(student, cfg, run.peakLr);
    const parts = { student: student.namedParameters(), teacher: teacher.namedParameters(), optimizer: opt };
    if (ck) restoreTensors(ck, parts, ckPath);
    const sched = makeSchedule(cfg, run.totalSteps, run.peakLr);
    const makeFeatures = run.features === 'gpu' ? gpuLogMel : cpuLogMel;
    const features = hooks.features ? hooks.features(cfg, rt) : makeFeatures(cfg.melMean, cfg.melStd, cfg.nMels);
    stream = new DataStream(source, features, cfg.cropFrames, pos);
    const report = (skips = new SkipReport(log));
    stream.onSkip = (m) => report.add(m);

    if (lead) await prepareCheckpointDir(o.out, log);
    if (lead) writeFileSync(join(o.out, 'run.json'), `${JSON.stringify({ config: cfg, run, data: source.description, adapter: rt.adapterName }, null, 2)}\n`);
    const metrics = lead ? new MetricsLog(o.out, startStep, `AaSP pre-training (${cfg.name}, B ${run.batch}${cfg.aape ? '' : ', no AaPE'}${cfg.lambda > 0 ? '' : ', no contrastive'})`) : null;
    log(`AaSP pre-training: config ${cfg.name} (D ${cfg.D}, depth ${cfg.depth}, AaPE ${cfg.aape ? 'on' : 'off'}, λ ${cfg.lambda}), ${run.totalSteps} steps of ${run.batch} clips, peak lr ${run.peakLr}, on ${rt.adapterName}`);
    log(`data: ${source.description}${ck ? `; resuming at step ${startStep} from ${ckPath}` : ''}`);

    // An object, not a `let`: TypeScript does not see assignments made inside the signal handler.
    const sig = { stop: null as NodeJS.Signals | null };
    const onSignal = (name: NodeJS.Signals) => {
      if (sig.stop || dist?.stopRequested) process.exit(name === 'SIGINT' ? 130 : 143); // a second signal: leave now
      // Data parallel: the ranks agree on stopping inside a step's all-reduce, so all stop after the same step.
      if (dist) dist.stopRequested = name; else sig.stop = name;
      log(`${name}: finishing the current step, then writing a checkpoint (send again to quit at once)`);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    let lastGood = ck ? ckPath : null; // what a resume would start from if the next write fails
    const checkpoint = async (steps: number) => {
      const path = join(o.out, 'checkpoints', stepName(steps));
      try {
        await saveCheckpoint(path, parts, { step: steps, dataPosition: stream!.position, rng: rng.serialize(), config: cfg, run });
      } catch (e) {
        throw new CheckpointWriteError(path, e, lastGood);
      }
      lastGood = path;
      return path;
    };

    const { Fp, Tp } = grid(cfg);
    const { nMasked } = maskCounts(cfg);
    // Made after the first step, whose time is mostly kernel compilation (shown by watchCompiles), so
    // the bar's rate and ETA reflect training.
    let progress: Progress | null = null;
    let lastSaved = -1;
    // With shiftPairs P the stream gives B − P crops and the batch ends with P shifted copies.
    const fresh = run.batch - cfg.shiftPairs;
    stream.prefetch(fresh);
    for (let s = startStep; s < run.totalSteps && !sig.stop; s++) {
      const t0 = performance.now();
      const batch = await trainingBatch(stream, run.batch, cfg, rng);
      const dataWait = performance.now() - t0;
      const profiling = o.profile === s && rt.beginProfile({ detail: !!process.env.AASP_PROFILE_DETAIL });
      if (o.profile === s && !profiling) log('--profile: this adapter has no timestamp-query feature; no profile taken');
      const ms = drawMasks(rng, cfg.maskType, run.batch, cfg.masks, Fp, Tp, nMasked);
      stream.prefetch(fresh);
      // Data parallel: every rank drew the whole batch (same generator state) and trains on its share.
      dist?.beginStep(s);
      const x = dist ? tensor(dist.localBatch(batch.data, run.batch), [run.batch / dist.world, batch.nMels, cfg.cropFrames]) : tensor(batch.data, [run.batch, batch.nMels, cfg.cropFrames]);
      const monitor = o.monitorEvery > 0 && s % o.monitorEvery === 0;
      const compiling = lead && s === startStep ? watchCompiles(rt, JSON.stringify({ cfg, batch: run.batch, world: dist?.world ?? 1 })) : null;
      const r = await computeGradients(student, teacher, x, dist ? dist.localMasks(ms) : ms, monitor, dist);
      if (dist?.stopAgreed) sig.stop = dist.stopRequested ?? 'SIGTERM';
      const u = applyUpdate(student, teacher, opt, sched, cfg, s, r.gradNorm);
      compiling?.done();
      x.dispose();
      if (profiling) await writeProfile(await rt.endProfile(), join(o.out, 'profile.json'), s, log);
      if (!Number.isFinite(r.loss)) throw new Error(`loss is ${r.loss} at step ${s}`);
      const m: StepMetrics = {
        step: s, loss: r.loss, loss_pred: r.lossPred, loss_con: r.lossCon, ...(cfg.reconWeight > 0 ? { loss_rec: r.lossRec } : {}), ...(cfg.decorWeight > 0 ? { loss_decor: r.lossDecor } : {}), lr: u.lr,
        clips_per_s: 0, data_wait_ms: dataWait, step_ms: 0, grad_norm: r.gradNorm, clip_scale: u.clipScale, ema_tau: u.emaTau,
      };
      if (r.monitor) {
        const [rows, cols] = r.monitor.clipEmbShape;
        Object.assign(m, {
          target_std: r.monitor.targetStd, teacher_out_std: r.monitor.teacherOutStd, target_token_std: r.monitor.targetTokenStd,
          eff_rank: effectiveRank(r.monitor.clipEmb, rows, cols), eff_rank_max: Math.min(rows, cols), skipped: stream.position.skipped,
        });
      }
      if (dist) await dist.afterStep(s + 1, run.totalSteps, student.parameters(), m);
      m.step_ms = performance.now() - t0;
      m.clips_per_s = run.batch / (m.step_ms / 1000);
      metrics?.append(m);
      if (lead) (progress ??= new Progress(run.totalSteps, startStep)).update(s + 1, { loss: m.loss, lossPred: m.loss_pred, lossCon: m.loss_con, lossRec: m.loss_rec, lossDecor: m.loss_decor, clipsPerS: m.clips_per_s });
      if (o.plotEvery > 0 && (s + 1) % o.plotEvery === 0) metrics?.writePlot();
      const done = s + 1;
      if (lead && ((run.checkpointEvery > 0 && done % run.checkpointEvery === 0) || done === run.totalSteps || sig.stop)) {
        const p = await checkpoint(done);
        lastSaved = done;
        if (sig.stop) progress?.log(`checkpoint written: ${p}`);
      }
    }
    progress?.stop();
    metrics?.writePlot();
    await dist?.close();
    if (sig.stop) {
      log(`stopped by ${sig.stop} after ${lastSaved} steps; resume with --resume`);
      return sig.stop === 'SIGINT' ? 130 : 143;
    }
    log(`done: ${run.totalSteps} steps; metrics in ${metrics?.path}, plot in ${metrics?.plotPath}`);
    return 0;
  } finally {
    skips?.summary();
    await (stream ? stream.close() : source?.close?.());
    await mixPool?.close(); // already closed by the mix, unless the start failed before it was built
    rt?.destroy();
  }
}

export { ConfigError, CheckpointError };
