import { mkdir, mkdtemp, rm, utimes, writeFile, copyFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio, writeWavFile } from '../src/audio/file-io';
import { logMelCpu } from '../src/audio/logmel-cpu';
import { frontEndHash, LogMelCache } from '../src/data/logmel-cache';

describe('log-mel disk cache', () => {
  let dir: string;
  let wav: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'logmel-cache-'));
    wav = join(dir, 'audio', 'clip.wav');
    const x = Float32Array.from({ length: 8000 }, (_, i) => 0.4 * Math.sin(i * 0.07));
    await writeWavFile(wav, x, 16000);
  });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  const compute = async () => logMelCpu((await loadAudio(wav)).samples);

  it('misses, stores, then returns the same values', async () => {
    const cache = new LogMelCache(join(dir, 'cache'));
    expect(await cache.get(wav)).toBeNull();
    let calls = 0;
    const first = await cache.getOrCompute(wav, async () => { calls++; return compute(); });
    expect(first.hit).toBe(false);
    const second = await cache.getOrCompute(wav, async () => { calls++; return compute(); });
    expect(second.hit).toBe(true);
    expect(calls).toBe(1);
    expect(second.logmel.nMels).toBe(80);
    expect(second.logmel.nFrames).toBe(51);
    expect(Array.from(second.logmel.data)).toEqual(Array.from(first.logmel.data));
    expect(Array.from(second.logmel.data)).toEqual(Array.from(Float32Array.from((await compute()).data)));
    expect(cache.stats).toMatchObject({ hits: 1, misses: 2, writes: 1, invalid: 0 });
  });

  it('keys on the front-end parameters', async () => {
    expect(frontEndHash()).toBe(frontEndHash({ mean: -7.1 }));
    expect(frontEndHash({ mean: 0 })).not.toBe(frontEndHash());
    const a = new LogMelCache(join(dir, 'cache'));
    const b = new LogMelCache(join(dir, 'cache'), { mean: 0, std: 1 });
    expect(await a.entryPath(wav)).not.toBe(await b.entryPath(wav));
    expect(await b.get(wav)).toBeNull();
  });

  it('misses once the audio file changes (mtime)', async () => {
    const cache = new LogMelCache(join(dir, 'cache'));
    expect(await cache.get(wav)).not.toBeNull();
    const later = new Date(Date.now() + 5000);
    await utimes(wav, later, later);
    expect(await cache.get(wav)).toBeNull();
    await cache.put(wav, await compute());
    expect(await cache.get(wav)).not.toBeNull();
  });

  it('treats a corrupt or misplaced entry as a miss', async () => {
    const cache = new LogMelCache(join(dir, 'cache'));
    const entry = await cache.entryPath(wav);
    await writeFile(entry, new Uint8Array([1, 2, 3]));
    expect(await cache.get(wav)).toBeNull();
    expect(cache.stats.invalid).toBe(1);
    expect((await readdir(join(entry, '..'))).length).toBe(0); // the unreadable file was removed

    // An entry copied under another clip's key carries the wrong identity in its metadata.
    await cache.put(wav, await compute());
    const other = join(dir, 'audio', 'other.wav');
    await writeWavFile(other, new Float32Array(8000), 16000);
    const target = await cache.entryPath(other);
    await mkdir(join(target, '..'), { recursive: true });
    await copyFile(entry, target);
    expect(await cache.get(other)).toBeNull();
  });

  it('rejects data of the wrong shape', async () => {
    const cache = new LogMelCache(join(dir, 'cache'));
    await expect(cache.put(wav, { data: new Float32Array(10), nMels: 80, nFrames: 2 })).rejects.toThrow(/expected/);
  });
});
