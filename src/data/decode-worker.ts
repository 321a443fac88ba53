/**
 * Worker-thread entry of the decode pool: per request, decode + resample one file or synthesise one
 * procedural corpus clip, and optionally compute its normalised log-mel, off the main thread. Built
 * as its own bundle (dist/decode-worker.js) next to the main one. Failures are replies, not throws.
 */
import { parentPort } from 'node:worker_threads';
import { AudioDecodeError } from '../audio/errors';
import { loadAudio } from '../audio/file-io';
import { logMelCpuFast } from '../audio/logmel-cpu-fast';
import { ProceduralCorpus, type CorpusType } from './procedural/corpus';
import { defaultSpeechSynth } from './procedural/speech';
import type { CancelRequest, DecodeReply, DecodeRequest, LoadJob, LoadResult } from './decode-pool';

if (!parentPort) throw new Error('decode-worker must run as a worker thread');
const port = parentPort;

/** Corpora by settings: a run uses one, so this stays tiny. */
const corpora = new Map<string, ProceduralCorpus>();

function corpusFor(job: Extract<LoadJob, { kind: 'procedural' }>): ProceduralCorpus {
  const key = `${job.seed}/${job.clipSeconds}/${job.types.join(',')}/${job.speechShare}`;
  let c = corpora.get(key);
  if (!c) {
    const types = job.types as readonly CorpusType[];
    // The main thread decided which types exist (speech only with espeak-ng); the worker must
    // produce exactly those, so a speech engine missing here is an error, not a silent change.
    const speech = types.includes('speech') ? defaultSpeechSynth(() => {}) : null;
    if (types.includes('speech') && !speech) throw new Error('espeak-ng is not runnable in the worker thread');
    c = new ProceduralCorpus({ seed: job.seed, durationSec: job.clipSeconds, types, speech, speechShare: job.speechShare });
    if (c.types.join(',') !== types.join(',')) throw new Error(`worker corpus types ${c.types.join(',')} differ from ${types.join(',')}`);
    corpora.set(key, c);
  }
  return c;
}

async function samplesOf(job: LoadJob): Promise<{ samples: Float32Array; sampleRate: number }> {
  if (job.kind === 'file') return loadAudio(job.path, job.targetRate);
  const clip = corpusFor(job).clip(job.index);
  return { samples: clip.samples, sampleRate: clip.sampleRate };
}

/** A buffer that can be transferred whole (a view into a larger buffer is compacted first). */
const own = (a: Float32Array): Float32Array => (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : a.slice());

function send(id: number, r: LoadResult): void {
  const reply: DecodeReply = { ...r, id };
  const data = r.ok ? (r.mel ? r.mel.data : r.samples) : null;
  try {
    port.postMessage(reply, data ? [data.buffer as ArrayBuffer] : []);
  } catch {
    port.postMessage(reply);
  }
}

async function run(req: DecodeRequest): Promise<LoadResult> {
  try {
    const { samples, sampleRate } = await samplesOf(req.job);
    if (!req.features) return { ok: true, samples: own(samples), sampleRate };
    const { mean, std, nMels } = req.features;
    const mel = logMelCpuFast(samples, { mean, std, nMels });
    return { ok: true, mel: { data: own(mel.data), nMels: mel.nMels, nFrames: mel.nFrames } };
  } catch (e) {
    return { ok: false, reason: e instanceof AudioDecodeError ? e.reason : `unexpected error: ${e instanceof Error ? e.message : String(e)}` };
  }
}

// Jobs run one at a time in arrival order; between two jobs the event loop delivers messages, so
// a cancel (the pool closing) drops what has not started.
const pending: DecodeRequest[] = [];
let running = false;

function pump(): void {
  const req = pending.shift();
  if (!req) { running = false; return; }
  running = true;
  void run(req).then((r) => { send(req.id, r); setImmediate(pump); });
}

port.on('message', (m: DecodeRequest | CancelRequest) => {
  if ('cancel' in m) {
    for (const r of pending.splice(0)) send(r.id, { ok: false, reason: 'cancelled' });
    return;
  }
  pending.push(m);
  if (!running) { running = true; setImmediate(pump); }
});
