// The random init's feature-cache key: recipes that differ only in their objective share it (and
// their encoders' weights are equal, which is what makes sharing safe); encoder fields split it.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useGpu } from './helpers/gpu';
import { encoderIdentity, OBJECTIVE_FIELDS, PRESETS, type AaspConfig } from '../src/aasp/config';
import { loadModel } from '../src/eval/model';

useGpu();

/** A valid value other than tiny-cpu's for every objective field (a new field must be added here). */
const OTHER: Partial<AaspConfig> = {
  name: 'another-recipe', Dp: 64, predDepth: 1, predHeads: 2,
  masks: 2, maskRatio: 0.5, maskType: 'inverse-block', lambda: 1, tau: 0.2, projDim: 64, targetLayers: 2, reconWeight: 10, decorWeight: 0.5, shiftPairs: 2, shiftMaxBands: 4, frozen: ['patch_embed.'], lrScale: { 'blocks.0.': 3 },
  baseLr: 1e-3, lrScaleWithBatch: true, beta1: 0.8, beta2: 0.9, adamEps: 1e-6, weightDecay: 0, clip: 1, warmupFraction: 0.2, ema0: 0.9, ema1: 0.99,
};

/** Some other value of the same type, for the pure identity checks. */
function changed(v: unknown): unknown {
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'boolean') return !v;
  if (Array.isArray(v)) return [...v, 'x.'];
  if (v && typeof v === 'object') return { ...v, 'x.': 2 };
  return `${v}-x`;
}

async function weights(cfg: Partial<AaspConfig>, seed: number) {
  const dir = mkdtempSync(join(tmpdir(), 'aasp-key-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({ base: 'tiny-cpu', ...cfg }));
  const m = await loadModel({ config: path, seed });
  const values = new Map<string, Float32Array>();
  for (const [name, t] of m.encoder.namedParameters()) values.set(name, (await t.toArray()) as Float32Array);
  m.encoder.dispose();
  return { key: m.modelKey, values };
}

describe('random-init cache key', () => {
  const base = PRESETS['tiny-cpu'];

  it('lists a test value for every objective field, each different from the preset', () => {
    expect(Object.keys(OTHER).sort()).toEqual([...OBJECTIVE_FIELDS].sort());
    for (const k of OBJECTIVE_FIELDS) expect(JSON.stringify(OTHER[k])).not.toBe(JSON.stringify(base[k]));
  });

  it('ignores each objective field and depends on every other field', () => {
    const id = encoderIdentity(base);
    for (const k of Object.keys(base) as (keyof AaspConfig)[]) {
      const other = encoderIdentity({ ...base, [k]: changed(base[k]) });
      if (OBJECTIVE_FIELDS.includes(k)) expect(other, k).toBe(id);
      else expect(other, k).not.toBe(id);
    }
    // Field order does not matter.
    const reversed = Object.fromEntries(Object.entries(base).reverse()) as unknown as AaspConfig;
    expect(encoderIdentity(reversed)).toBe(id);
  });

  it('gives one key to encoders with equal weights and different keys otherwise', async () => {
    const a = await weights({}, 2), b = await weights(OTHER, 2);
    expect(b.key).toBe(a.key);
    expect([...b.values.keys()]).toEqual([...a.values.keys()]);
    for (const [name, v] of a.values) expect(b.values.get(name), name).toEqual(v);
    // Another seed, or an encoder field, is another model.
    expect((await weights({}, 3)).key).not.toBe(a.key);
    expect((await weights({ aape: false }, 2)).key).not.toBe(a.key);
    expect((await weights({ melMean: -6 }, 2)).key).not.toBe(a.key);
  });
});
