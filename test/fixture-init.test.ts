import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { fixtureParam, fixtureValues, fixtureInput, nameHash, readSafetensors, goldenTensor } from './helpers/fixture-init';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'golden');

/** Bit-level equality of two float32 arrays (reports the first mismatch). */
function expectBitIdentical(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) expect.fail(`${what}[${i}]: got ${got[i]} want ${want[i]}`);
  }
}

describe('fixture-init (bit-identical with test/reference/fixture_init.py)', () => {
  const sample = readSafetensors(join(GOLDEN, 'fixture_init_sample.safetensors'));

  it('nameHash matches FNV-1a on UTF-8 bytes', () => {
    let n = 0;
    for (const [key, t] of sample.tensors) {
      if (!key.startsWith('hash.')) continue;
      expect(nameHash(key.slice('hash.'.length)), key).toBe(t.data[0]);
      n++;
    }
    expect(n).toBeGreaterThanOrEqual(5);
    expect(nameHash('')).toBe(2166136261);
  });

  it('fixtureValues matches for several (center, scale)', () => {
    for (const [key, t] of sample.tensors) {
      if (!key.startsWith('values.')) continue;
      const [center, scale] = JSON.parse(sample.metadata[key]) as [number, number];
      expectBitIdentical(fixtureValues(key.slice('values.'.length), t.data.length, center, scale), t.data as Float32Array, key);
    }
  });

  it('fixtureParam applies the role table', () => {
    let n = 0;
    for (const [key, t] of sample.tensors) {
      if (!key.startsWith('param.')) continue;
      expectBitIdentical(fixtureParam(key.slice('param.'.length), t.shape), t.data as Float32Array, key);
      n++;
    }
    expect(n).toBeGreaterThanOrEqual(10);
  });

  it('large flat indices stay exact', () => {
    const meta = JSON.parse(sample.metadata.stress) as { name: string; count: number; center: number; scale: number };
    const all = fixtureValues(meta.name, meta.count, meta.center, meta.scale);
    const idx = goldenTensor(sample, 'stress.idx').data as Int32Array;
    const want = goldenTensor(sample, 'stress.val').data as Float32Array;
    expectBitIdentical(Float32Array.from(idx, (i) => all[i]), want, 'stress');
    const tail = fixtureValues(meta.name, 3, meta.center, meta.scale, idx[idx.length - 1]);
    expect(tail[0]).toBe(want[want.length - 1]);
  });

  it('reproduces every AaPE fixture parameter and the inputs of the golden files', () => {
    const aape = readSafetensors(join(GOLDEN, 'aape.safetensors'));
    let n = 0;
    for (const [key, t] of aape.tensors) {
      if (!key.startsWith('patch_embed.') && !key.startsWith('aape.')) continue;
      expectBitIdentical(fixtureParam(key, t.shape), t.data as Float32Array, `aape:${key}`);
      n++;
    }
    expect(n).toBe(16);
    const x = goldenTensor(aape, 'x');
    expectBitIdentical(fixtureInput('input.x', x.shape), x.data as Float32Array, 'aape:x');
    const tiny = readSafetensors(join(GOLDEN, 'tiny_step.safetensors'));
    const tx = goldenTensor(tiny, 'x');
    expect(tx.shape).toEqual([2, 80, 608]);
    expectBitIdentical(fixtureInput('input.x', tx.shape), tx.data as Float32Array, 'tiny:x');
  });
});
