// Clip embeddings: window logic against a CPU reference, the real tiny encoder, the embed CLI, and
// the aliasing stability curve.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useGpu } from './helpers/gpu';
import { tensor, type Tensor } from '../src/tensor/tensor';
import { noGrad } from '../src/tensor/autograd';
import { add, conv2d, permute, reshape } from '../src/ops';
import { embedClip, embedClips, cosine, type TokenEncoder } from '../src/eval/embed';
import { stabilityCurve } from '../src/eval/stability';
import { loadModel, tokenEncoder } from '../src/eval/model';
import { readSafetensors } from '../src/io/safetensors';
import { encodeWav } from '../src/audio/wav-write';
import { Rng } from '../src/util/rng';

useGpu();

const F = 80, P = 16, D = 4;

/**
 * A stand-in encoder whose tokens have a known closed form: a per-patch linear projection plus
 * 0.5·q (q = time column inside the window), so a restart of time positions per window is visible.
 */
function fakeEncoder(w: Float32Array): TokenEncoder {
  return {
    dim: D, nMels: F, patch: P, maxFrames: 608,
    tokens: (x: Tensor) => {
      const [B, , T] = x.shape;
      const Tp = T / P;
      const y = conv2d(reshape(x, [B, 1, F, T]), tensor(w, [D, 1, P, P]), null, { stride: P });
      const tok = permute(reshape(y, [B, D, (F / P) * Tp]), [0, 2, 1]);
      const pos = Float32Array.from({ length: (F / P) * Tp * D }, (_, i) => 0.5 * (Math.floor(i / D) % Tp));
      return add(tok, tensor(pos, [(F / P) * Tp, D]));
    },
  };
}

function randomMel(rng: Rng, nFrames: number) {
  return { data: Float32Array.from({ length: F * nFrames }, () => rng.normal()), nMels: F, nFrames };
}

describe('clip embedding', () => {
  it('windows a 1000-frame clip (608 + 392→400), restarts positions, concatenates along time', async () => {
    const rng = new Rng(7);
    const w = Float32Array.from({ length: D * P * P }, () => 0.05 * rng.normal());
    const mel = randomMel(rng, 1000);
    const e = await embedClip(fakeEncoder(w), mel, { maxBatch: 2 });
    expect(e.plan.windows.map((x) => x.frames)).toEqual([608, 400]);
    expect(e.nTimes).toBe(63); // 38 + 25 columns
    expect(e.dim).toBe((F / P) * D);
    expect(e.frames.length).toBe(63 * 20);
    expect(e.clip.length).toBe(20);
    // CPU reference: column c of the padded clip, window-local q for the position term.
    const ref = new Float32Array(63 * 20);
    for (let c = 0; c < 63; c++) {
      const q = c < 38 ? c : c - 38;
      for (let p = 0; p < F / P; p++) for (let d = 0; d < D; d++) {
        let s = 0.5 * q;
        for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) {
          const t = c * P + j;
          s += w[(d * P + i) * P + j] * (t < 1000 ? mel.data[(p * P + i) * 1000 + t] : 0);
        }
        ref[c * 20 + p * D + d] = s;
      }
    }
    let maxErr = 0;
    for (let i = 0; i < ref.length; i++) maxErr = Math.max(maxErr, Math.abs(ref[i] - e.frames[i]));
    expect(maxErr).toBeLessThan(1e-4);
    for (let k = 0; k < 20; k++) {
      let m = 0;
      for (let c = 0; c < 63; c++) m += ref[c * 20 + k] / 63;
      expect(e.clip[k]).toBeCloseTo(m, 4);
    }
    // Batched with other clips, the result is the same.
    const [a, b] = await embedClips(fakeEncoder(w), [randomMel(rng, 300), mel], { maxBatch: 3 });
    expect(a.nTimes).toBe(19);
    expect(Math.max(...b.frames.map((v, i) => Math.abs(v - e.frames[i])))).toBeLessThan(1e-5);
  });

  it('runs the tiny AaSP encoder on any window length, matching the encoder at 608 frames', async () => {
    const m = await loadModel({ config: 'tiny', seed: 3 });
    const rng = new Rng(1);
    // A non-zero fusion layer, so the alias branch actually contributes (it is zero at init).
    m.encoder.setParam('aape.fuse.weight', tensor(Float32Array.from({ length: 192 * 192 }, () => 0.05 * rng.normal()), [192, 192]));
    const enc = tokenEncoder(m.encoder);
    const x = Float32Array.from({ length: F * 608 }, () => rng.normal());
    const [ours, theirs] = noGrad(() => {
      const xt = tensor(x, [1, F, 608]);
      const z = m.encoder.embedFull(xt);
      return [enc.tokens(xt), m.encoder.encode(z)];
    });
    const a = await ours.toFloat32(), b = await theirs.toFloat32();
    expect(ours.shape).toEqual([1, 190, 192]);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeLessThan(1e-4);
    const e = await embedClip(enc, randomMel(rng, 700));
    expect(e.plan.windows.map((w) => w.frames)).toEqual([608, 96]);
    expect(e.nTimes).toBe(44);
    expect(e.clip.length).toBe(5 * 192);
    expect(e.clip.every(Number.isFinite)).toBe(true);
    m.encoder.dispose();
  });

  it('cuts the encoder after any block: norm of that block\'s output, the whole encoder at depth', async () => {
    const m = await loadModel({ config: 'tiny', seed: 4 });
    const rng = new Rng(6);
    const x = tensor(Float32Array.from({ length: F * 48 }, () => rng.normal()), [2, F, 24]);
    const depth = m.encoder.cfg.depth;
    const read = async (t: Tensor) => { const v = await t.toFloat32(); t.dispose(); return v; };
    const z = noGrad(() => m.encoder.embedFull(x));
    // Reference: the blocks applied one by one, by hand, then norm.
    const byHand: Float32Array[] = [];
    let h = z;
    for (let k = 0; k <= depth; k++) {
      if (k > 0) h = noGrad(() => m.encoder.blocks.items[k - 1].forward(h));
      byHand.push(await read(noGrad(() => m.encoder.norm.forward(h))));
    }
    const full = await read(noGrad(() => m.encoder.encode(z)));
    const maxDiff = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    for (let k = 0; k <= depth; k++) {
      const cut = await read(noGrad(() => m.encoder.encodeUpTo(z, k)));
      expect(maxDiff(cut, byHand[k]), `layer ${k}`).toBe(0);
      if (k < depth) expect(maxDiff(cut, full), `layer ${k} differs from the whole encoder`).toBeGreaterThan(1e-3);
      const viaView = await read(noGrad(() => tokenEncoder(m.encoder, k).tokens(x)));
      expect(maxDiff(viaView, cut)).toBe(0);
    }
    expect(maxDiff(byHand[depth], full)).toBe(0);
    // The view names its cut (the feature cache keys on it), except at full depth, which is the default.
    expect(tokenEncoder(m.encoder, 2).layer).toBe(2);
    expect(tokenEncoder(m.encoder, depth).layer).toBeUndefined();
    expect(tokenEncoder(m.encoder).layer).toBeUndefined();
    expect(() => tokenEncoder(m.encoder, depth + 1)).toThrow(`--layer ${depth + 1} is outside 0..${depth} (tiny has ${depth} blocks; 0 is the token embedding)`);
    expect(() => m.encoder.encodeUpTo(z, -1)).toThrow('layer -1 is outside 0..4');
    // Several cuts side by side: each token's features are the listed blocks' normed outputs, in order.
    const D = m.encoder.cfg.D, nTok = byHand[0].length / D;
    for (const cuts of [[0, 2, 4], [1, 3]]) {
      const both = await read(noGrad(() => m.encoder.encodeCuts(z, cuts)));
      const expected = new Float32Array(nTok * D * cuts.length);
      for (let t = 0; t < nTok; t++) cuts.forEach((k, j) => expected.set(byHand[k].subarray(t * D, (t + 1) * D), (t * cuts.length + j) * D));
      expect(maxDiff(both, expected), `cuts ${cuts}`).toBe(0);
      const view = tokenEncoder(m.encoder, cuts);
      expect([view.dim, view.layer]).toEqual([D * cuts.length, cuts]);
      expect(maxDiff(await read(noGrad(() => view.tokens(x))), both)).toBe(0);
    }
    expect(() => tokenEncoder(m.encoder, [3, 1])).toThrow('--layer 3,1: name at least one block, in ascending order, each once');
    expect(() => tokenEncoder(m.encoder, [1, depth + 1])).toThrow(`--layer ${depth + 1} is outside 0..${depth}`);
    expect(() => m.encoder.encodeCuts(z, [2, 2])).toThrow('layers [2, 2]: give at least one block, in ascending order, each once');
    z.dispose();
    x.dispose();
    m.encoder.dispose();
  });

  it('stability curve: 1 at s = 0, values in [-1, 1]', async () => {
    const m = await loadModel({ config: 'tiny', seed: 0, aape: false });
    const rng = new Rng(2);
    const mels = [randomMel(rng, 60), randomMel(rng, 80)];
    const c = await stabilityCurve(tokenEncoder(m.encoder), mels, { maxShift: 15, maxBatch: 16 });
    m.encoder.dispose();
    expect(c.shifts).toEqual(Array.from({ length: 16 }, (_, s) => s));
    expect(c.lengths).toEqual([32, 64]);
    expect(c.mean[0]).toBeCloseTo(1, 6);
    for (const row of c.perClip) for (const v of row) { expect(v).toBeGreaterThanOrEqual(-1 - 1e-6); expect(v).toBeLessThanOrEqual(1 + 1e-6); }
    expect(Math.min(...c.mean.slice(1))).toBeLessThan(1);
    expect(cosine([1, 0], [-1, 0])).toBe(-1);
  });
});

describe('embed CLI', () => {
  it('writes a readable safetensors file for a tiny random-init model', async () => {
    if (!existsSync('dist/embed.js')) spawnSync(process.execPath, ['build.mjs'], { stdio: 'inherit' });
    const dir = mkdtempSync(join(tmpdir(), 'aasp-embed-'));
    const sr = 16000, rng = new Rng(5);
    const wav = (n: number) => encodeWav(Float32Array.from({ length: n }, (_, i) => 0.3 * Math.sin(i * 0.05) + 0.01 * rng.normal()), sr, 'pcm16');
    writeFileSync(join(dir, 'a.wav'), wav(sr)); // 1 s → 101 frames → 112 padded
    writeFileSync(join(dir, 'b.wav'), wav(sr / 2));
    writeFileSync(join(dir, 'bad.wav'), new Uint8Array([1, 2, 3]));
    const out = join(dir, 'emb.safetensors');
    const r = spawnSync(process.execPath, ['dist/embed.js', '--config', 'tiny', '--frames', '--quiet', '--out', out, join(dir, 'a.wav'), join(dir, 'b.wav'), join(dir, 'bad.wav')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const f = await readSafetensors(out);
    expect(f.tensors.get('clip')!.shape).toEqual([2, 960]);
    expect(f.tensors.get('frames.0')!.shape).toEqual([7, 960]);
    expect(f.tensors.get('frames.1')!.shape).toEqual([4, 960]);
    expect(JSON.parse(f.metadata.files).map((p: string) => p.split('/').pop())).toEqual(['a.wav', 'b.wav']);
    expect(JSON.parse(f.metadata.skipped)[0].path).toContain('bad.wav');
    expect(f.metadata.encoder).toBe('student');
    const clip = f.tensors.get('clip')!.data as Float32Array;
    expect(clip.every(Number.isFinite)).toBe(true);
    // --layer 1: the encoder cut after its first block, recorded in the metadata; out of range exits 2.
    const out1 = join(dir, 'emb1.safetensors');
    const r1 = spawnSync(process.execPath, ['dist/embed.js', '--config', 'tiny', '--layer', '1', '--quiet', '--out', out1, join(dir, 'a.wav')], { encoding: 'utf8' });
    expect(r1.status, r1.stderr).toBe(0);
    const f1 = await readSafetensors(out1);
    expect(f.metadata.layer).toBe('4');
    expect(f1.metadata.layer).toBe('1');
    const clip1 = f1.tensors.get('clip')!.data as Float32Array;
    expect(clip1.length).toBe(960);
    expect(Math.max(...clip1.map((v, i) => Math.abs(v - clip[i])))).toBeGreaterThan(1e-3);
    const deep = spawnSync(process.execPath, ['dist/embed.js', '--config', 'tiny', '--layer', '5', '--quiet', '--out', join(dir, 'x.safetensors'), join(dir, 'a.wav')], { encoding: 'utf8' });
    expect(deep.status).toBe(2);
    expect(deep.stderr.trim()).toBe('error: --layer 5 is outside 0..4 (tiny has 4 blocks; 0 is the token embedding) (see --help)');
    const bad = spawnSync(process.execPath, ['dist/embed.js', '--frobnicate'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown option --frobnicate');
  });
});
