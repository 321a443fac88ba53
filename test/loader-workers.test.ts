/**
 * The pre-training loader in worker threads (src/train/sources.ts, src/data/decode-pool.ts): corpus
 * synthesis, decoding and the CPU log-mel off the main thread must give bit-identical batches to the
 * in-thread path, skip bad files with a reason (counted), resume exactly from a saved position, and
 * fall back to the main thread, saying so, when the worker script is missing or a worker fails.
 * The worker is built here with esbuild, as test/audio/decode-pool.test.ts does.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWavFile } from '../src/audio/file-io';
import { logMelCpu } from '../src/audio/logmel-cpu';
import { DecodePool } from '../src/data/decode-pool';
import { ProceduralCorpus } from '../src/data/procedural/corpus';
import { DataStream, cpuLogMel, type ClipSource, type DataPosition, type FeatureFn } from '../src/train/data';
import { fileSource, mixedSource, openLoaderPool, proceduralSource, type LoaderOptions } from '../src/train/sources';
import { Rng } from '../src/util/rng';

const dir = mkdtempSync(join(tmpdir(), 'aasp-loader-'));
const wavDir = join(dir, 'wavs');
const workerFile = join(dir, 'decode-worker.mjs');
const worker: LoaderOptions = { workers: 1, workerUrl: pathToFileURL(workerFile) };
const inThread: LoaderOptions = { workers: 0 };
const SECS = 1.5;
const CROP = 48;

beforeAll(async () => {
  await build({
    entryPoints: [fileURLToPath(new URL('../src/data/decode-worker.ts', import.meta.url))],
    bundle: true, platform: 'node', format: 'esm', outfile: workerFile, logLevel: 'error',
    banner: { js: "import { createRequire as __aaspCreateRequire } from 'node:module'; const require = __aaspCreateRequire(import.meta.url);" },
  });
  writeFileSync(join(dir, 'crash-worker.mjs'), "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n");
  // Answers at once, but dies on a path containing "boom".
  writeFileSync(join(dir, 'picky-worker.mjs'), "import { parentPort } from 'node:worker_threads';\n" +
    "parentPort.on('message', (r) => { if (!r.job) return; if (r.job.path.includes('boom')) process.exit(4); parentPort.postMessage({ id: r.id, ok: true, samples: new Float32Array([r.id]), sampleRate: 16000 }); });\n");
  mkdirSync(wavDir);
  const corpus = new ProceduralCorpus({ seed: 3, durationSec: SECS, speech: null });
  for (let i = 0; i < 5; i++) await writeWavFile(join(wavDir, `c${i}.wav`), corpus.clip(i).samples, 16000, 'pcm16');
  writeFileSync(join(wavDir, 'bad.wav'), 'not audio');
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bits = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const features = cpuLogMel(-7.1, 4.2, 80);
/** The same numbers without the CPU log-mel mark: the stream loads samples and computes here (as with --features gpu). */
const untagged: FeatureFn = (s) => logMelCpu(s, { mean: -7.1, std: 4.2, nMels: 80 });

async function batches(src: ClipSource, f: FeatureFn, n: number, B: number, seed = 11, skips: string[] = []) {
  const rng = new Rng(seed);
  const st = new DataStream(src, f, CROP, DataStream.startPosition(rng));
  st.onSkip = (m) => skips.push(m);
  const out: Float32Array[] = [];
  try {
    for (let k = 0; k < n; k++) { st.prefetch(B); out.push((await st.nextBatch(B, rng)).data); }
    return { out, pos: st.position, fromSource: st.featuresFromSource };
  } finally {
    await st.close();
  }
}

describe('loader in worker threads', () => {
  it('pool jobs: a procedural clip and its log-mel equal the in-thread computation', async () => {
    const pool = new DecodePool({ workers: 1, workerUrl: pathToFileURL(workerFile) });
    try {
      const corpus = new ProceduralCorpus({ seed: 5, durationSec: SECS, speech: null });
      const job = { kind: 'procedural' as const, seed: 5, clipSeconds: SECS, index: 9, types: corpus.types, speechShare: null };
      const s = await pool.load(job);
      expect(s.ok && s.samples).toEqual(corpus.clip(9).samples);
      // The speech share travels with the job (0: no speech, the other types drawn evenly).
      const shared = new ProceduralCorpus({ seed: 5, durationSec: SECS, speech: null, speechShare: 0 });
      const s0 = await pool.load({ ...job, index: 4, speechShare: 0 });
      expect(s0.ok && s0.samples).toEqual(shared.clip(4).samples);
      expect(s0.ok && s0.samples).not.toEqual(corpus.clip(4).samples);
      const m = await pool.load(job, { mean: -7.1, std: 4.2, nMels: 80 });
      const ref = logMelCpu(corpus.clip(9).samples, { mean: -7.1, std: 4.2, nMels: 80 });
      expect(m.ok && m.mel && [m.mel.nMels, m.mel.nFrames]).toEqual([80, ref.nFrames]);
      expect(m.ok && m.mel && bits(m.mel.data)).toEqual(bits(Float32Array.from(ref.data)));
      const bad = await pool.load({ kind: 'file', path: join(wavDir, 'bad.wav'), targetRate: 16000 }, { mean: 0, std: 1, nMels: 80 });
      expect(!bad.ok && bad.reason).toMatch(/unknown format/);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('a crash fails only the job that was running; jobs queued behind it in that worker are re-run', async () => {
    const pool = new DecodePool({ workers: 1, workerUrl: pathToFileURL(join(dir, 'picky-worker.mjs')) });
    try {
      const rs = await Promise.all(['a', 'boom', 'b', 'c'].map((p) => pool.decode(p)));
      expect(rs.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['ok', 'decode worker crashed: exited with code 4', 'ok', 'ok']);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('close() drops the jobs a worker has not started instead of running them', async () => {
    const pool = new DecodePool({ workers: 1, workerUrl: pathToFileURL(workerFile) });
    const types = new ProceduralCorpus({ seed: 5, durationSec: 4, speech: null }).types;
    const jobs = Array.from({ length: 30 }, (_, i) => pool.load({ kind: 'procedural', seed: 5, clipSeconds: 4, index: i, types, speechShare: null }, { mean: -7.1, std: 4.2, nMels: 80 }));
    await jobs[0];
    const t1 = performance.now();
    await jobs[1];
    const perJob = performance.now() - t1;
    const t2 = performance.now();
    await pool.close();
    expect(performance.now() - t2).toBeLessThan(6 * perJob + 150); // one job and a pause, not the 28 left
    const rest = await Promise.all(jobs.slice(2));
    expect(rest.every((r) => !r.ok && r.reason === 'pool closed')).toBe(true);
  }, 60_000);

  it('procedural corpus: worker and in-thread batches are bit-identical (CPU features and samples-only)', async () => {
    const logs: string[] = [];
    const log = (m: string) => logs.push(m);
    const a = await batches(proceduralSource(21, SECS, log, inThread), features, 2, 3);
    const b = await batches(proceduralSource(21, SECS, log, worker), features, 2, 3);
    const c = await batches(proceduralSource(21, SECS, log, worker), untagged, 2, 3);
    expect([a.fromSource, b.fromSource, c.fromSource]).toEqual([false, true, false]);
    for (const k of [0, 1]) {
      expect(a.out[k].length).toBe(3 * 80 * CROP);
      expect(bits(b.out[k])).toEqual(bits(a.out[k]));
      expect(bits(c.out[k])).toEqual(bits(a.out[k]));
    }
    expect(b.pos).toEqual(a.pos);
    expect(logs.filter((m) => /worker/.test(m))).toEqual([]);
  }, 120_000);

  it('WAV folder: bit-identical batches; a bad file is skipped with its reason and counted', async () => {
    const sa: string[] = [], sb: string[] = [];
    // 6 files (one bad), 3 batches of 4 = 12 good items: more than two epochs.
    const a = await batches(fileSource(wavDir, () => {}, inThread), features, 3, 4, 11, sa);
    const b = await batches(fileSource(wavDir, () => {}, worker), features, 3, 4, 11, sb);
    expect(b.fromSource).toBe(true);
    for (const k of [0, 1, 2]) expect(bits(b.out[k])).toEqual(bits(a.out[k]));
    expect(b.pos).toEqual(a.pos);
    expect(b.pos.skipped).toBeGreaterThanOrEqual(2);
    expect(sb.length).toBe(b.pos.skipped);
    for (const m of sb) expect(m).toMatch(/bad\.wav: .*unknown format/);
  }, 120_000);

  it('a mix of the corpus and a folder shares one pool: batches equal the in-thread mix; the mix names the pool once and closes it, a source alone does not', async () => {
    const quiet = () => {};
    const mix = (o: LoaderOptions, pool?: DecodePool | null) => mixedSource(proceduralSource(9, SECS, quiet, o), fileSource(wavDir, quiet, o), 0.5, 9, pool);
    const job = { kind: 'procedural' as const, seed: 9, clipSeconds: SECS, index: 0, types: new ProceduralCorpus({ seed: 9, durationSec: SECS, speech: null }).types, speechShare: null };
    const pool = openLoaderPool(worker, 'corpus synthesis and decoding', quiet)!;
    // A source given the shared pool neither names nor closes it.
    const alone = proceduralSource(9, SECS, quiet, { pool });
    expect(alone.description).not.toContain('worker thread');
    await alone.close!();
    expect((await pool.load(job, null)).ok).toBe(true);
    const shared = mix({ pool }, pool);
    expect(shared.description.match(/worker thread/g)).toHaveLength(1);
    expect(shared.description).toMatch(/ \(6 files\); loading in 1 worker thread$/);
    const [skipsA, skipsB]: string[][] = [[], []];
    const a = await batches(shared, features, 3, 4, 11, skipsA); // closing the stream closes the mix
    const b = await batches(mix(inThread), features, 3, 4, 11, skipsB);
    expect(a.fromSource).toBe(true);
    a.out.forEach((x, k) => expect(bits(x)).toEqual(bits(b.out[k])));
    expect(skipsA.length).toBe(skipsB.length);
    await expect(pool.load(job, null)).rejects.toThrow('DecodePool: closed');
  }, 60_000);

  it('resuming from a saved position continues identically (worker path, and across paths)', async () => {
    const rng = new Rng(4);
    const src = proceduralSource(8, SECS, () => {}, worker);
    const st = new DataStream(src, features, CROP, DataStream.startPosition(rng));
    let pos: DataPosition | null = null;
    let state = '';
    const rest: Float32Array[] = [];
    try {
      for (let k = 0; k < 2; k++) { st.prefetch(2); await st.nextBatch(2, rng); }
      pos = st.position;
      state = rng.serialize();
      for (let k = 0; k < 2; k++) { st.prefetch(2); rest.push((await st.nextBatch(2, rng)).data); }
    } finally {
      await st.close();
    }
    for (const opts of [worker, inThread]) {
      const r2 = Rng.deserialize(state);
      const st2 = new DataStream(proceduralSource(8, SECS, () => {}, opts), features, CROP, pos!);
      try {
        for (let k = 0; k < 2; k++) { st2.prefetch(2); expect(bits((await st2.nextBatch(2, r2)).data)).toEqual(bits(rest[k])); }
      } finally {
        await st2.close();
      }
      expect(r2.serialize()).toBe(rng.serialize());
    }
  }, 120_000);

  it('without the worker script, or with failing workers, loads on the main thread and says so once', async () => {
    const ref = await batches(proceduralSource(2, SECS, () => {}, inThread), features, 1, 2);
    const logs: string[] = [];
    const missing = proceduralSource(2, SECS, (m) => logs.push(m), { workerUrl: pathToFileURL(join(dir, 'nope.js')) });
    expect(missing.loadFeatures).toBeUndefined();
    const a = await batches(missing, features, 1, 2);
    expect(logs.filter((m) => /worker script .*nope\.js not found.*main thread/.test(m)).length).toBe(1);
    expect(bits(a.out[0])).toEqual(bits(ref.out[0]));
    const fileLogs: string[] = [];
    expect(fileSource(wavDir, (m) => fileLogs.push(m), { workerUrl: pathToFileURL(join(dir, 'nope.js')) }).loadFeatures).toBeUndefined();
    expect(fileLogs.join('\n')).toMatch(/not found.*decoding and the CPU log-mel run on the main thread/);

    const crashLogs: string[] = [];
    const crashing = proceduralSource(2, SECS, (m) => crashLogs.push(m), { workers: 1, workerUrl: pathToFileURL(join(dir, 'crash-worker.mjs')) });
    const b = await batches(crashing, features, 1, 2);
    expect(bits(b.out[0])).toEqual(bits(ref.out[0]));
    expect(crashLogs.filter((m) => /worker failed on procedural clip .*crashed/.test(m)).length).toBe(1);
  }, 120_000);
});
