/**
 * mixedSource: the procedural corpus with a share of its clips drawn from a dataset. Each item's
 * draw ("which source, which file") is a pure function of (seed, index), so batches are the same
 * whatever was looked ahead and after a resume; the share and the spread over files are what was
 * asked for; features come from the same item as samples.
 */
import { describe, expect, it } from 'vitest';
import { mixedSource } from '../src/train/sources';
import { DataStream, type ClipSource, type FeatureFn } from '../src/train/data';
import { Rng } from '../src/util/rng';

/** A source whose item i is a clip of one sample: tag + i (so the origin of every clip can be read back). */
function fake(tag: number, size: number | null, withFeatures = true): ClipSource & { loaded: number[] } {
  const loaded: number[] = [];
  const s: ClipSource & { loaded: number[] } = {
    size, description: `fake ${tag}`, loaded,
    load: async (i) => { loaded.push(i); return { samples: new Float32Array([tag + i]) }; },
  };
  if (withFeatures) s.loadFeatures = async (i) => ({ mel: { data: new Float32Array([tag + i]), nMels: 1, nFrames: 1 } });
  return s;
}
const value = async (s: ClipSource, i: number) => { const r = await s.load(i); if ('skip' in r) throw new Error(r.skip); return r.samples[0]; };

describe('mixedSource', () => {
  it('draws the asked share from the dataset, spread over its files; the rest is the corpus item of the same index', async () => {
    const base = fake(0, null), extra = fake(1e6, 7);
    const mix = mixedSource(base, extra, 0.3, 11);
    expect(mix.size).toBeNull();
    const N = 4000;
    const vals = await Promise.all(Array.from({ length: N }, (_, i) => value(mix, i)));
    const fromExtra = vals.filter((v) => v >= 1e6).map((v) => v - 1e6);
    // Binomial(4000, 0.3): sd 29, so ±120 is four sd.
    expect(Math.abs(fromExtra.length - 0.3 * N)).toBeLessThan(120);
    const perFile = Array.from({ length: 7 }, (_, f) => fromExtra.filter((v) => v === f).length);
    for (const c of perFile) expect(Math.abs(c - fromExtra.length / 7)).toBeLessThan(60);
    vals.forEach((v, i) => { if (v < 1e6) expect(v).toBe(i); });
    expect(mix.description).toBe('fake 0, with a share 0.3 of its clips from the fake 1000000');
  });

  it('is a pure function of (seed, index): the same in any order, another seed draws otherwise; share 1 takes only the dataset', async () => {
    const a = mixedSource(fake(0, null), fake(1e6, 5), 0.5, 3);
    const fwd = await Promise.all(Array.from({ length: 200 }, (_, i) => value(a, i)));
    const b = mixedSource(fake(0, null), fake(1e6, 5), 0.5, 3);
    const back: number[] = [];
    for (let i = 199; i >= 0; i--) back[i] = await value(b, i);
    expect(back).toEqual(fwd);
    const c = mixedSource(fake(0, null), fake(1e6, 5), 0.5, 4);
    const other = await Promise.all(Array.from({ length: 200 }, (_, i) => value(c, i)));
    expect(other).not.toEqual(fwd);
    const all = mixedSource(fake(0, null), fake(1e6, 5), 1, 3);
    for (let i = 0; i < 50; i++) expect(await value(all, i)).toBeGreaterThanOrEqual(1e6);
  });

  it('features come from the same item as samples, and only when both sources can make them', async () => {
    const mix = mixedSource(fake(0, null), fake(1e6, 9), 0.4, 5);
    for (let i = 0; i < 100; i++) {
      const f = await mix.loadFeatures!(i, { mean: 0, std: 1, nMels: 1 });
      if ('skip' in f) throw new Error(f.skip);
      expect(f.mel.data[0]).toBe(await value(mix, i));
    }
    expect(mixedSource(fake(0, null), fake(1e6, 9, false), 0.4, 5).loadFeatures).toBeUndefined();
  });

  it('a stream over the mix resumed from a saved position gives the same batches', async () => {
    const feats: FeatureFn = (s) => ({ data: new Float32Array(4).fill(s[0]), nMels: 1, nFrames: 4 });
    const make = () => mixedSource(fake(0, null, false), fake(1e6, 6, false), 0.5, 9);
    const rng = new Rng(1);
    const whole = new DataStream(make(), feats, 4, DataStream.startPosition(rng));
    const batches: number[][] = [];
    let saved = whole.position, savedRng = rng.getState();
    for (let b = 0; b < 4; b++) {
      if (b === 2) { saved = whole.position; savedRng = rng.getState(); }
      batches.push(Array.from((await whole.nextBatch(3, rng)).data.filter((_, k) => k % 4 === 0)));
    }
    const r2 = new Rng(0);
    r2.setState(savedRng);
    const resumed = new DataStream(make(), feats, 4, saved);
    for (let b = 2; b < 4; b++) expect(Array.from((await resumed.nextBatch(3, r2)).data.filter((_, k) => k % 4 === 0))).toEqual(batches[b]);
    expect(batches.flat().some((v) => v >= 1e6) && batches.flat().some((v) => v < 1e6)).toBe(true);
  });

  it('refuses a finite base, an empty or endless dataset and a share outside (0, 1]', () => {
    expect(() => mixedSource(fake(0, 3), fake(1, 3), 0.5, 0)).toThrow(/the base must be endless/);
    expect(() => mixedSource(fake(0, null), fake(1, 0), 0.5, 0)).toThrow(/non-empty dataset/);
    expect(() => mixedSource(fake(0, null), fake(1, null), 0.5, 0)).toThrow(/non-empty dataset/);
    for (const p of [0, 1.5, NaN]) expect(() => mixedSource(fake(0, null), fake(1, 3), p, 0)).toThrow(/share must be in \(0, 1\]/);
  });
});
