/**
 * Pitch-shifted hard negatives (config `shiftPairs`): the band shift against a direct reference on
 * odd shapes, the batch's copies, the generator draws a resume relies on, and the config checks.
 */
import { describe, expect, it } from 'vitest';
import { addShiftedCopies, shiftBands } from '../src/train/shift-pairs';
import { Rng } from '../src/util/rng';
import { ConfigError, configFromObject, PRESETS } from '../src/aasp/config';

const melOf = (nMels: number, frames: number, seed: number) => {
  const r = new Rng(seed);
  return Float32Array.from({ length: nMels * frames }, () => r.uniform() * 4 - 2);
};

/** out[m][t] = in[clamp(m − k)][t], written the slow way. */
function reference(mel: Float32Array, nMels: number, frames: number, k: number): number[][] {
  const rows: number[][] = [];
  for (let m = 0; m < nMels; m++) {
    const from = m - k < 0 ? 0 : m - k >= nMels ? nMels - 1 : m - k;
    rows.push(Array.from({ length: frames }, (_, t) => mel[from * frames + t]));
  }
  return rows;
}
const rowsOf = (a: Float32Array, nMels: number, frames: number) => Array.from({ length: nMels }, (_, m) => Array.from(a.subarray(m * frames, (m + 1) * frames)));

describe('shiftBands', () => {
  for (const [nMels, frames, k] of [[7, 5, 2], [7, 5, -3], [11, 3, 6], [11, 3, -10], [5, 9, 0]]) {
    it(`${nMels} bands × ${frames} frames by ${k}`, () => {
      const mel = melOf(nMels, frames, nMels * 31 + frames);
      expect(rowsOf(shiftBands(mel, nMels, frames, k), nMels, frames)).toEqual(reference(mel, nMels, frames, k));
    });
  }
  it('moves content up for k > 0: a peak in band 2 lands in band 5', () => {
    const mel = new Float32Array(8 * 2); mel[2 * 2] = 1; mel[2 * 2 + 1] = 1;
    const out = shiftBands(mel, 8, 2, 3);
    expect(out[5 * 2]).toBe(1);
    expect(out.reduce((a, b) => a + b, 0)).toBe(2);
  });
  it('refuses a shift of all bands, a fractional shift and a wrong length', () => {
    expect(() => shiftBands(melOf(6, 2, 1), 6, 2, 6)).toThrow(/\|k\| < 6/);
    expect(() => shiftBands(melOf(6, 2, 1), 6, 2, 1.5)).toThrow(/integer/);
    expect(() => shiftBands(melOf(6, 2, 1), 6, 3, 1)).toThrow(/12 values are not 6 bands × 3 frames/);
  });
});

describe('addShiftedCopies', () => {
  const B = 5, nMels = 9, frames = 7, per = nMels * frames;
  it('keeps the first B − P clips, fills the last P with shifted copies of the first P, two draws per pair', () => {
    const batch = melOf(nMels, frames * B, 3);
    const before = batch.slice();
    const rng = new Rng(42);
    const shifts = addShiftedCopies(batch, B, nMels, frames, 2, 4, rng);
    expect(batch.subarray(0, 3 * per)).toEqual(before.subarray(0, 3 * per));
    shifts.forEach((k, i) => {
      expect(Math.abs(k)).toBeGreaterThanOrEqual(1);
      expect(Math.abs(k)).toBeLessThanOrEqual(4);
      expect(batch.subarray((3 + i) * per, (4 + i) * per)).toEqual(shiftBands(before.subarray(i * per, (i + 1) * per), nMels, frames, k));
    });
    const twin = new Rng(42);
    for (let i = 0; i < 4; i++) twin.uniform();
    expect(rng.getState()).toEqual(twin.getState());
  });
  it('draws both signs and every magnitude', () => {
    const seen = new Set<number>();
    const rng = new Rng(7);
    for (let i = 0; i < 200; i++) addShiftedCopies(melOf(nMels, frames * 2, i), 2, nMels, frames, 1, 3, rng).forEach((k) => seen.add(k));
    expect([...seen].sort((a, b) => a - b)).toEqual([-3, -2, -1, 1, 2, 3]);
  });
  it('refuses more pairs than half the batch', () => {
    expect(() => addShiftedCopies(melOf(nMels, frames * 3, 1), 3, nMels, frames, 2, 4, new Rng(1))).toThrow(/shiftPairs 2 needs a batch of at least 4 clips, got 3/);
  });
});

describe('shiftPairs in the config', () => {
  it('is off in every preset, and a bad value names the field', () => {
    for (const p of Object.values(PRESETS)) expect(p.shiftPairs).toBe(0);
    expect(() => configFromObject({ shiftPairs: -1 }, 'neg')).toThrow(/"shiftPairs" must be a non-negative integer/);
    expect(() => configFromObject({ shiftPairs: 1.5 }, 'frac')).toThrow(ConfigError);
    expect(() => configFromObject({ shiftPairs: 2, shiftMaxBands: 80 }, 'wide')).toThrow(/shiftMaxBands 80 must be below nMels 80/);
    expect(() => configFromObject({ shiftPairs: 2, lambda: 0 }, 'nocon')).toThrow(/needs lambda > 0/);
    expect(configFromObject({ base: 'tiny-cpu', shiftPairs: 4 }, 'ok').shiftMaxBands).toBe(8);
  });
});
