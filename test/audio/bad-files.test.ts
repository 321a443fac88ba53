import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav-write';
import { listDataset } from '../../src/data/datasets';
import { loadItemsSafely, type SkippedFile } from '../../src/data/safe-load';

const dir = mkdtempSync(join(tmpdir(), 'aasp-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tone = (n: number, f: number, rate: number): Float32Array =>
  new Float32Array(n).map((_, i) => 0.3 * Math.sin((2 * Math.PI * f * i) / rate));

const good16 = encodeWav(tone(8000, 440, 16000), 16000, 'pcm16');
writeFileSync(join(dir, 'good_a.wav'), good16);
writeFileSync(join(dir, 'good_b.wav'), encodeWav(tone(22050, 880, 44100), 44100, 'float32'));
writeFileSync(join(dir, 'truncated.wav'), good16.subarray(0, good16.length / 2));
writeFileSync(join(dir, 'zero.wav'), new Uint8Array(0));
writeFileSync(join(dir, 'text.wav'), 'this is a README, not audio\n');
const nan = tone(4000, 440, 16000);
nan.fill(NaN, 100, 200);
writeFileSync(join(dir, 'nan.wav'), encodeWav(nan, 16000, 'float32'));

describe('bad input files are reported and skipped', () => {
  it('skips 4 bad files with their reasons and loads the 2 good ones', async () => {
    const ds = listDataset(dir);
    expect(ds.layout).toBe('folder');
    expect(ds.items).toHaveLength(6);
    const reported: SkippedFile[] = [];
    const res = await loadItemsSafely(ds.items, { onSkip: (s) => reported.push(s) });
    expect(res.skipCount).toBe(4);
    expect(reported).toEqual(res.skipped);
    const reason = (name: string): string => reported.find((s) => s.path === join(dir, name))?.reason ?? '(not reported)';
    expect(reason('truncated.wav')).toMatch(/^truncated: data chunk declares 16000 bytes, 7978 present$/);
    expect(reason('zero.wav')).toMatch(/^empty file \(0 bytes\)$/);
    expect(reason('text.wav')).toMatch(/^unknown format/);
    expect(reason('nan.wav')).toMatch(/^contains NaN\/Inf \(first at sample 100/);

    expect(res.good.map((g) => g.item.path)).toEqual([join(dir, 'good_a.wav'), join(dir, 'good_b.wav')]);
    for (const g of res.good) {
      expect(g.sampleRate).toBe(16000);
      expect(g.samples.length).toBe(8000); // 0.5 s each, the 44.1 kHz one resampled
      expect(g.samples.every(Number.isFinite)).toBe(true);
    }
  });

  it('reports through the default logger when no callback is given, and can drop samples', async () => {
    const ds = listDataset(dir);
    const warn = console.warn;
    const lines: string[] = [];
    console.warn = (msg: string) => { lines.push(msg); };
    try {
      const res = await loadItemsSafely(ds.items, { keepSamples: false, concurrency: 1 });
      expect(res.good).toHaveLength(2);
      expect(res.good[0].samples.length).toBe(0);
      expect(res.good[0].length).toBe(8000);
    } finally {
      console.warn = warn;
    }
    expect(lines).toHaveLength(4);
    expect(lines.some((l) => l.includes('zero.wav') && l.includes('empty file'))).toBe(true);
  });

  it('a missing file is skipped with "cannot read"', async () => {
    const res = await loadItemsSafely([{ path: join(dir, 'gone.wav') }], { onSkip: () => {} });
    expect(res.skipCount).toBe(1);
    expect(res.skipped[0].reason).toBe('cannot read: ENOENT');
  });
});
