import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { logMelCpu, numFrames } from '../src/audio/logmel-cpu';
import { LogMelGpu, logMelGpu, resolveTuning, splitFactors, type LogMelMethod } from '../src/audio/logmel-gpu';
import { tensor } from '../src/tensor/tensor';
import { Rng } from '../src/util/rng';
import { useGpu } from './helpers/gpu';

const DIR = fileURLToPath(new URL('./fixtures/audio/logmel/', import.meta.url));
const index = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')) as {
  signals: Record<string, { samples: number; frames: number; source: string }>;
};

function readF32(name: string): Float32Array {
  const b = readFileSync(join(DIR, name));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Clip `b` of a [B, nMels, T] result, cut to its first `frames` frames. */
function clipOf(all: Float32Array, b: number, nMels: number, T: number, frames = T): Float32Array {
  const out = new Float32Array(nMels * frames);
  for (let m = 0; m < nMels; m++) out.set(all.subarray((b * nMels + m) * T, (b * nMels + m) * T + frames), m * frames);
  return out;
}

function noise(n: number, seed: number, amp = 0.3): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => amp * r.normal());
}

function tone(n: number, hz: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / 16000));
}

const gpu = useGpu();
const METHODS: LogMelMethod[] = ['fft-thread', 'fft-group', 'dft-group', 'matmul'];

describe('log-mel on the GPU vs the numpy golden fixtures (max abs error ≤ 1e-3)', () => {
  for (const method of METHODS) {
    for (const [name, meta] of Object.entries(index.signals)) {
      it(`${method}: ${name} (${meta.source})`, async () => {
        const wave = readF32(`${name}.wave.f32`);
        const ref = readF32(`${name}.logmel.f32`);
        const y = logMelGpu([wave], { tuning: { method } });
        expect(y.shape).toEqual([1, 80, meta.frames]);
        const err = maxAbsDiff(await y.toFloat32(), ref);
        y.dispose();
        console.log(`logmel-gpu ${method} ${name}: max abs error ${err.toExponential(2)}`);
        expect(err).toBeLessThanOrEqual(1e-3);
      });
    }
  }
});

describe('log-mel on the GPU: shapes, batches and lengths', () => {
  it('picks the per-frame FFT on a CPU adapter and splits 400 as 20·20', () => {
    expect(splitFactors(400)).toEqual([20, 20]);
    expect(splitFactors(512)).toEqual([32, 16]);
    expect(splitFactors(7)).toEqual([7, 1]);
    const t = resolveTuning(gpu.rt());
    expect(['fft-thread', 'fft-group']).toContain(t.method);
    if (/llvmpipe|lavapipe|swiftshader/i.test(gpu.rt().adapterName)) expect(t.method).toBe('fft-thread');
  });

  it('10 s at 16 kHz gives [1, 80, 1001] and matches the CPU reference', async () => {
    const x = new Float32Array(160000);
    const r = new Rng(11);
    for (let i = 0; i < x.length; i++) x[i] = 0.3 * Math.sin(i * 0.03 + 0.002 * i * (i / 16000)) + 0.05 * r.normal();
    const y = logMelGpu(x);
    expect(y.shape).toEqual([1, 80, 1001]);
    const err = maxAbsDiff(await y.toFloat32(), logMelCpu(x).data);
    y.dispose();
    expect(err).toBeLessThanOrEqual(1e-3);
  });

  for (const method of ['fft-thread', 'fft-group'] as LogMelMethod[]) {
    it(`${method}: odd lengths 1, 2, 159, 160, 161, 400, 401 match the CPU reference`, async () => {
      for (const L of [1, 2, 159, 160, 161, 400, 401]) {
        const x = noise(L, L);
        const y = logMelGpu([x], { tuning: { method } });
        expect(y.shape).toEqual([1, 80, numFrames(L)]);
        const err = maxAbsDiff(await y.toFloat32(), logMelCpu(x).data);
        y.dispose();
        expect(err, `L = ${L}`).toBeLessThanOrEqual(1e-3);
      }
    });
  }

  it('a batch of clips of different content equals the clips one by one', async () => {
    const L = 16000 + 37;
    const clips = [tone(L, 440), noise(L, 1), tone(L, 3000), noise(L, 2, 0.01), new Float32Array(L), readF32('speech.wave.f32').subarray(0, L)];
    const batch = logMelGpu(clips);
    const T = numFrames(L);
    expect(batch.shape).toEqual([clips.length, 80, T]);
    const all = await batch.toFloat32();
    batch.dispose();
    for (let b = 0; b < clips.length; b++) {
      const one = logMelGpu([clips[b]]);
      expect(maxAbsDiff(clipOf(all, b, 80, T), await one.toFloat32())).toBe(0);
      one.dispose();
    }
  });

  it('a tensor [B, L] input with per-clip lengths equals zero-padded arrays; frames past a clip hold padValue', async () => {
    const lens = [16000, 480, 1, 9999];
    const L = Math.max(...lens);
    const clips = lens.map((n, i) => noise(n, 100 + i));
    const packed = new Float32Array(lens.length * L);
    clips.forEach((c, i) => packed.set(c, i * L));
    const x = tensor(packed, [lens.length, L]);
    const y = logMelGpu(x, { lengths: lens, padValue: -5 });
    const fromArrays = logMelGpu(clips, { padValue: -5 });
    const T = numFrames(L);
    expect(y.shape).toEqual([4, 80, T]);
    const a = await y.toFloat32();
    expect(maxAbsDiff(a, await fromArrays.toFloat32())).toBe(0);
    for (let b = 0; b < lens.length; b++) {
      const Tb = numFrames(lens[b]);
      const ref = logMelCpu(clips[b]).data;
      expect(maxAbsDiff(clipOf(a, b, 80, T, Tb), ref), `clip ${b}`).toBeLessThanOrEqual(1e-3);
      for (let m = 0; m < 80; m += 13) for (let t = Tb; t < T; t += 7) expect(a[(b * 80 + m) * T + t]).toBe(-5);
    }
    x.dispose(); y.dispose(); fromArrays.dispose();
  });

  it('big batches are split into chunks that fit the scratch budget, with the same result', async () => {
    const clips = [noise(3200, 7), tone(3200, 1000), noise(3200, 8)];
    const whole = LogMelGpu.for(gpu.rt(), {}, { method: 'fft-thread' }).compute(clips);
    const groups = Math.ceil(numFrames(3200) / 4);
    const perClip = groups * (2 * 20 * 11 + 201) * 16;
    const chunked = new LogMelGpu(gpu.rt(), {}, { method: 'fft-thread', scratchBytes: perClip + 16 });
    const before = gpu.rt().dispatchCount;
    const y = chunked.compute(clips);
    expect(gpu.rt().dispatchCount - before).toBe(3);
    expect(maxAbsDiff(await y.toFloat32(), await whole.toFloat32())).toBe(0);
    whole.dispose(); y.dispose(); chunked.dispose();
  });

  it('caches one extractor per runtime and config, and honours config overrides', async () => {
    const rt = gpu.rt();
    expect(LogMelGpu.for(rt)).toBe(LogMelGpu.for(rt));
    expect(LogMelGpu.for(rt, { mean: 0, std: 1 })).not.toBe(LogMelGpu.for(rt));
    const x = noise(4000, 3);
    const raw = logMelGpu(x, { mean: 0, std: 1 });
    const err = maxAbsDiff(await raw.toFloat32(), logMelCpu(x, { mean: 0, std: 1 }).data);
    raw.dispose();
    expect(err).toBeLessThanOrEqual(4.2e-3); // un-normalised: the same error, 4.2 times larger
  });

  // Each front end compiles its own pipelines (tens of seconds on a loaded lavapipe with a cold
  // shader cache), so each gets its own test and time budget.
  const fronts = [
    { cfg: { nFft: 512, winLength: 400, nMels: 64, fMin: 0, fMax: 8000 }, method: 'auto' as LogMelMethod },
    { cfg: { nFft: 320, winLength: 320, hopLength: 128, nMels: 40, fMin: 20, fMax: 7600 }, method: 'fft-thread' as LogMelMethod },
  ];
  for (const { cfg, method } of fronts) {
    it(`other front ends: n_fft ${cfg.nFft}, window ${cfg.winLength}, ${cfg.nMels} mels (${method})`, async () => {
      const x = noise(8000, 5);
      const y = logMelGpu(x, { ...cfg, tuning: { method } });
      expect(y.shape).toEqual([1, cfg.nMels, numFrames(8000, cfg.hopLength ?? 160)]);
      expect(maxAbsDiff(await y.toFloat32(), logMelCpu(x, cfg).data)).toBeLessThanOrEqual(1e-3);
      y.dispose();
    });
  }

  it('auto picks the cooperative kernel when the factors are too large to unroll', () => {
    expect(resolveTuning(gpu.rt(), {}, { nFft: 512 }).method).toBe('fft-group');
    expect(resolveTuning(gpu.rt(), { method: 'matmul' }, { nFft: 512 }).method).toBe('matmul');
  });

  it('rejects bad input', () => {
    expect(() => logMelGpu([])).toThrow(/empty batch/);
    expect(() => logMelGpu([new Float32Array(0)])).toThrow(/empty signal/);
    const x = tensor(new Float32Array(20), [2, 10]);
    expect(() => logMelGpu(x, { lengths: [10, 11] })).toThrow(/lengths/);
    x.dispose();
    expect(() => new LogMelGpu(gpu.rt(), { nFft: 2048 })).toThrow(/nFft/);
  });
});
