// Fine-tuning loop (single- and multi-label, mixup) with a small trainable stand-in encoder, the
// feature cache, and the generic labelled-CSV reader.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useGpu } from './helpers/gpu';
import { tensor, keep, type Tensor } from '../src/tensor/tensor';
import { conv2d, permute, reshape } from '../src/ops';
import { finetune, sampleBeta, type FinetuneClip, type TrainableEncoder } from '../src/eval/finetune';
import { cachedClipFeatures } from '../src/eval/extract';
import { readLabelledCsv } from '../src/eval/dataset';
import { encodeWav } from '../src/audio/wav-write';
import { DEFAULT_LOGMEL_CONFIG } from '../src/audio/logmel-cpu';
import { Rng } from '../src/util/rng';

useGpu();

// One patch row (F = P): mean pooling over tokens then keeps where in the patch the energy is.
const F = 16, P = 16, D = 8;

/** Patch projection with a trainable weight: tokens [B, (F/P)·(T/P), D]. */
function trainableEncoder(rng: Rng): TrainableEncoder & { w: Tensor } {
  const w = keep(tensor(Float32Array.from({ length: D * P * P }, () => 0.02 * rng.normal()), [D, 1, P, P])).requireGrad();
  return {
    w, dim: D, nMels: F, patch: P, maxFrames: 64,
    tokens: (x) => {
      const [B, , T] = x.shape;
      const y = conv2d(reshape(x, [B, 1, F, T]), w, null, { stride: P });
      return permute(reshape(y, [B, D, (F / P) * (T / P)]), [0, 2, 1]);
    },
    namedParameters: () => [['w', w]],
    decayNames: () => new Set(['w']),
  };
}

/** Class k lights up mel rows [4k, 4k + 4); noise elsewhere. */
function clip(rng: Rng, classes: number[], nFrames = 64): FinetuneClip['mel'] {
  const data = Float32Array.from({ length: F * nFrames }, () => 0.3 * rng.normal());
  for (const k of classes) for (let f = 4 * k; f < 4 * k + 4; f++) for (let t = 0; t < nFrames; t++) data[f * nFrames + t] += 1;
  return { data, nMels: F, nFrames };
}

describe('fine-tuning', () => {
  it('learns a single-label task (with mixup) and restores the best epoch', async () => {
    const rng = new Rng(1);
    const make = (n: number) => Array.from({ length: n }, (_, i) => ({ mel: clip(rng, [i % 4], 48 + (i % 3) * 16), label: i % 4 }));
    const enc = trainableEncoder(rng);
    const r = await finetune(enc, make(32), make(12), make(20), { nClasses: 4, epochs: 6, batchSize: 8, lr: 3e-2, mixup: 0.4, seed: 0 });
    expect(r.metric).toBe('accuracy');
    expect(r.test).toBeGreaterThanOrEqual(0.95);
    expect(r.bestValid).toBe(Math.max(...r.history.map((h) => h.valid)));
    expect(r.history.length).toBe(6);
    enc.w.dispose();
  });

  it('scores multi-label data with mAP', async () => {
    const rng = new Rng(2);
    const make = (n: number) => Array.from({ length: n }, (_, i) => {
      const labels = [i % 4, ...(i % 3 === 0 ? [(i + 1) % 4] : [])];
      return { mel: clip(rng, labels), labels };
    });
    const enc = trainableEncoder(rng);
    const r = await finetune(enc, make(40), make(12), make(24), { nClasses: 4, multiLabel: true, epochs: 6, batchSize: 8, lr: 3e-2, seed: 0 });
    expect(r.metric).toBe('mAP');
    expect(r.test).toBeGreaterThan(0.9);
    enc.w.dispose();
  });

  it('samples mixup weights from Beta(α, α)', () => {
    // Sample mean and variance within 4 standard errors of Beta(α, α)'s (the samples are float64, so
    // sampling error, not rounding, sets the tolerance): 0.010 and 0.0026 here, where Beta(0.5, 0.5)
    // would be off by 0.014 in variance (the old 1-decimal check allowed 0.05 in both).
    const a = 0.4, n = 20000;
    const rng = new Rng(3);
    const xs = Array.from({ length: n }, () => sampleBeta(rng, a, a));
    const m = xs.reduce((s, x) => s + x, 0) / n;
    const v = xs.reduce((s, x) => s + (x - m) ** 2, 0) / n;
    const variance = (a * a) / ((2 * a) ** 2 * (2 * a + 1)); // αβ / ((α+β)²(α+β+1))
    const kurtosis = 3 - 6 / (2 * a + 3); // fourth standardised moment of Beta(α, α)
    const seMean = Math.sqrt(variance / n), seVar = variance * Math.sqrt((kurtosis - 1) / n);
    expect(Math.abs(m - 0.5)).toBeLessThan(4 * seMean);
    expect(Math.abs(v - variance)).toBeLessThan(4 * seVar);
    expect(xs.every((x) => x >= 0 && x <= 1)).toBe(true);
  });
});

describe('feature cache and CSV datasets', () => {
  it('reuses cached features and recomputes when a file changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aasp-cache-'));
    const rng = new Rng(4);
    const wav = () => encodeWav(Float32Array.from({ length: 8000 }, () => 0.1 * rng.normal()), 16000, 'pcm16');
    const files = ['a.wav', 'b.wav'].map((f) => join(dir, f));
    for (const f of files) writeFileSync(f, wav());
    const enc = trainableEncoder(rng);
    const opts = { frontEnd: { ...DEFAULT_LOGMEL_CONFIG, nMels: F }, log: () => {}, cache: { dir: join(dir, 'cache'), model: 'test-model' } };
    const first = await cachedClipFeatures(files, enc, opts);
    expect(first.fromCache).toBe(false);
    expect(first.dim).toBe(D);
    const again = await cachedClipFeatures(files, enc, opts);
    expect(again.fromCache).toBe(true);
    expect([...again.features]).toEqual([...first.features]);
    expect((await cachedClipFeatures(files, enc, { ...opts, cache: { ...opts.cache, model: 'other' } })).fromCache).toBe(false);
    // The same files through a symlinked folder hit the same entry (two benchmark outputs sharing data).
    symlinkSync(dir, join(tmpdir(), `${dir.split('/').pop()}-link`));
    const viaLink = files.map((f) => join(tmpdir(), `${dir.split('/').pop()}-link`, f.split('/').pop()!));
    expect((await cachedClipFeatures(viaLink, enc, opts)).fromCache).toBe(true);
    writeFileSync(files[1], wav());
    utimesSync(files[1], new Date(), new Date(Date.now() + 5000));
    const changed = await cachedClipFeatures(files, enc, opts);
    expect(changed.fromCache).toBe(false);
    expect([...changed.features.slice(0, D)]).toEqual([...first.features.slice(0, D)]);
    // mean+std pooling has its own cache entry, and its rows are [mean, std over time].
    const ms = await cachedClipFeatures(files, enc, { ...opts, pool: 'mean+std' as const });
    expect(ms.fromCache).toBe(false);
    expect(ms.dim).toBe(2 * D);
    expect([...ms.features.slice(0, D)]).toEqual([...changed.features.slice(0, D)]);
    expect([...ms.features.slice(D, 2 * D)].every((v) => v >= 0) && ms.features.slice(D, 2 * D).some((v) => v > 0)).toBe(true);
    expect((await cachedClipFeatures(files, enc, { ...opts, pool: 'mean+std' as const })).fromCache).toBe(true);
    expect((await cachedClipFeatures(files, enc, opts)).fromCache).toBe(true);
    enc.w.dispose();
  });

  it('reads a generic labelled CSV with folds, relative to its folder or audio/', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aasp-csv-'));
    mkdirSync(join(dir, 'audio'));
    writeFileSync(join(dir, 'x.wav'), encodeWav(new Float32Array(100), 16000, 'pcm16'));
    writeFileSync(join(dir, 'audio', 'y.wav'), encodeWav(new Float32Array(100), 16000, 'pcm16'));
    writeFileSync(join(dir, 'list.csv'), 'filename,label,fold\nx.wav,dog,1\ny.wav,cat,2\nz.wav,cat,2\n');
    const ds = readLabelledCsv(join(dir, 'list.csv'));
    expect(ds.items.map((i) => [i.label, i.fold])).toEqual([['dog', 1], ['cat', 2]]);
    expect(ds.missing).toBe(1);
    expect(ds.classes).toEqual(['cat', 'dog']);
    writeFileSync(join(dir, 'bad.csv'), 'name,cls\nx.wav,dog\n');
    expect(() => readLabelledCsv(join(dir, 'bad.csv'))).toThrow(/file column/);
  });
});
