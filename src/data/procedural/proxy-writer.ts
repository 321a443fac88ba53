/**
 * Writes a proxy task to disk in the ESC-50 layout (meta/esc50.csv + audio/*.wav, 5 folds), so the
 * evaluation code reads it exactly like the real benchmark.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeWav, type WavEncoding } from '../../audio/wav-write';
import { hashString, rngFor } from './seeding';
import { defaultSpeechSynth, type SpeechSynth } from './speech';
import { normalizePeak, uniform, whiteNoise, mixInto } from './synth';
import { PROXY_TASKS, type ProxyTaskName } from './proxy-tasks';

/** Options of {@link writeProxyDataset}. */
export interface ProxyDatasetOptions {
  /** Output folder (created; an existing meta/esc50.csv is overwritten). */
  outDir: string;
  task: ProxyTaskName;
  /** Examples per class (default 40, ESC-50's size). Must be at least `folds`. */
  perClass?: number;
  /** Seed (default 0): the dataset is a pure function of (seed, task, options). */
  seed?: number;
  /** Clip length in seconds (default 5, as ESC-50). */
  durationSec?: number;
  /** Number of folds (default 5). */
  folds?: number;
  sampleRate?: number;
  /** WAV sample format (default 16-bit PCM). */
  encoding?: WavEncoding;
  /** Speech engine for keywords/voices: default espeak-ng when installed. */
  speech?: SpeechSynth | null;
}

/** What was written. */
export interface ProxyDatasetSummary {
  root: string;
  task: ProxyTaskName;
  classes: readonly string[];
  count: number;
}

/** Proxy tasks that can be made here (speech tasks only with a speech engine). */
export function availableProxyTasks(speech: SpeechSynth | null = defaultSpeechSynth()): ProxyTaskName[] {
  return (Object.keys(PROXY_TASKS) as ProxyTaskName[]).filter((t) => !PROXY_TASKS[t].needsSpeech || speech !== null);
}

/**
 * Generate and write a labelled proxy dataset in ESC-50 layout. Every class has `perClass`
 * examples spread evenly over the folds (example j of a class goes to fold j mod folds + 1).
 * File names follow ESC-50's `<fold>-<clip id>-A-<target>.wav`.
 */
export async function writeProxyDataset(opts: ProxyDatasetOptions): Promise<ProxyDatasetSummary> {
  const task = PROXY_TASKS[opts.task];
  if (!task) throw new Error(`unknown proxy task "${opts.task}" (known: ${Object.keys(PROXY_TASKS).join(', ')})`);
  const perClass = opts.perClass ?? 40;
  const folds = opts.folds ?? 5;
  const seed = opts.seed ?? 0;
  const sr = opts.sampleRate ?? 16000;
  const n = Math.round((opts.durationSec ?? 5) * sr);
  if (!(perClass >= folds && folds >= 1)) throw new Error(`writeProxyDataset: need perClass (${perClass}) ≥ folds (${folds}) ≥ 1`);
  if (!(n > 0)) throw new Error(`writeProxyDataset: bad duration ${opts.durationSec}`);
  const speech = task.needsSpeech ? (opts.speech === undefined ? defaultSpeechSynth() : opts.speech) : null;
  if (task.needsSpeech && !speech) throw new Error(`proxy task "${task.name}" needs espeak-ng (apt-get install espeak-ng)`);

  const audioDir = join(opts.outDir, 'audio');
  await mkdir(audioDir, { recursive: true });
  await mkdir(join(opts.outDir, 'meta'), { recursive: true });
  const stream = hashString(`proxy:${task.name}`);
  const rows = ['filename,fold,target,category,esc10,src_file,take'];
  let clipId = 0;
  for (let c = 0; c < task.classes.length; c++) {
    for (let j = 0; j < perClass; j++, clipId++) {
      const rng = rngFor(seed, clipId, stream);
      const out = new Float32Array(n);
      task.render(rng, c, out, sr, speech);
      // Same finishing as the corpus: a faint noise floor and a random peak level.
      let peak = 0;
      for (let i = 0; i < n; i++) peak = Math.max(peak, Math.abs(out[i]));
      if (peak === 0) throw new Error(`proxy task ${task.name}: class ${task.classes[c]} rendered silence (example ${j})`);
      mixInto(out, whiteNoise(rng, n), 0, peak * Math.pow(10, uniform(rng, -70, -45) / 20));
      normalizePeak(out, uniform(rng, 0.3, 0.95));
      const fold = (j % folds) + 1;
      const src = 100000 + clipId;
      const filename = `${fold}-${src}-A-${c}.wav`;
      await writeFile(join(audioDir, filename), encodeWav(out, sr, opts.encoding ?? 'pcm16'));
      rows.push(`${filename},${fold},${c},${csvField(task.classes[c])},False,${src},A`);
    }
  }
  await writeFile(join(opts.outDir, 'meta', 'esc50.csv'), rows.join('\n') + '\n');
  return { root: opts.outDir, task: task.name, classes: task.classes, count: clipId };
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
