import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio } from '../../src/audio/file-io';
import { DecodePool, defaultWorkerUrl } from '../../src/data/decode-pool';

const FIX = fileURLToPath(new URL('../fixtures/audio/decode/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'aasp-pool-'));
const workerFile = join(dir, 'decode-worker.mjs');

beforeAll(async () => {
  // The worker runs the way it ships: bundled by esbuild into one ESM file. CommonJS dependencies
  // inside it call require('worker_threads'), which an ESM bundle must provide (same banner as dist/).
  await build({
    entryPoints: [fileURLToPath(new URL('../../src/data/decode-worker.ts', import.meta.url))],
    bundle: true, platform: 'node', format: 'esm', outfile: workerFile, logLevel: 'error',
    banner: { js: "import { createRequire as __aaspCreateRequire } from 'node:module'; const require = __aaspCreateRequire(import.meta.url);" },
  });
  writeFileSync(join(dir, 'bad.wav'), 'not audio');
  writeFileSync(join(dir, 'crash-worker.mjs'), "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n");
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FILES = ['s16_16k.wav', 'tone_16k.flac', 'tone_44k.mp3', 'tone_22k.ogg', 's24_8k.wav', 'f64_8k.wav', 'stereo_8k.wav'].map((f) => FIX + f);

describe('worker-thread decode pool', () => {
  it('decodes off-thread, in order, identical to in-process loading; errors are values', async () => {
    const pool = new DecodePool({ workers: 2, workerUrl: pathToFileURL(workerFile), maxInFlight: 3 });
    try {
      const paths = [...FILES, join(dir, 'bad.wav'), join(dir, 'missing.wav'), ...FILES];
      let pulled = 0, consumed = 0, maxAhead = 0;
      function* source(): Generator<string> {
        for (const p of paths) { pulled++; maxAhead = Math.max(maxAhead, pulled - consumed); yield p; }
      }
      const results = [];
      for await (const r of pool.map(source())) { consumed++; results.push(r); }
      expect(results.map((r) => r.path)).toEqual(paths);
      expect(maxAhead).toBeLessThanOrEqual(3);
      const bad = results[FILES.length], missing = results[FILES.length + 1];
      expect(bad.ok).toBe(false);
      expect(!bad.ok && bad.reason).toMatch(/unknown format/);
      expect(!missing.ok && missing.reason).toBe('cannot read: ENOENT');
      for (const [k, p] of FILES.entries()) {
        const ref = await loadAudio(p, 16000);
        for (const r of [results[k], results[k + FILES.length + 2]]) {
          expect(r.ok).toBe(true);
          if (!r.ok) continue;
          expect(r.sampleRate).toBe(16000);
          expect(r.samples).toEqual(ref.samples);
        }
      }
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('decode() resolves, and close() fails what is still queued', async () => {
    const pool = new DecodePool({ workers: 1, workerUrl: pathToFileURL(workerFile), targetRate: 8000 });
    const one = await pool.decode(FIX + 's16_16k.wav');
    expect(one.ok && one.samples.length).toBe(2400);
    const pending = [pool.decode(FIX + 'tone_16k.flac'), pool.decode(FIX + 'tone_22k.ogg'), pool.decode(FIX + 'tone_44k.mp3')];
    await pool.close();
    const after = await Promise.all(pending);
    expect(after.some((r) => !r.ok && r.reason === 'pool closed')).toBe(true);
    await expect(pool.decode(FIX + 's16_16k.wav')).rejects.toThrow(/closed/);
  }, 60_000);

  it('a crashing worker yields a failure result, not an exception', async () => {
    const pool = new DecodePool({ workers: 1, workerUrl: pathToFileURL(join(dir, 'crash-worker.mjs')) });
    try {
      const r = await pool.decode(FIX + 's16_16k.wav');
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).toMatch(/decode worker crashed: exited with code 3/);
      const r2 = await pool.decode(FIX + 's16_16k.wav'); // served by the replacement worker
      expect(!r2.ok && r2.reason).toMatch(/crashed/);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('the default worker URL sits next to the module and is checked up front', () => {
    expect(defaultWorkerUrl().href).toMatch(/\/decode-worker\.js$/);
    // Under vitest the module is the .ts source, where no decode-worker.js exists.
    expect(() => new DecodePool()).toThrow(/worker script not found/);
  });
});
