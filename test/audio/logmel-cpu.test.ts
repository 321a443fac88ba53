import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cropOrPadFrames, padFramesToMultiple } from '../../src/audio/crop';
import { FftPlan } from '../../src/audio/fft';
import { logMelCpu, numFrames } from '../../src/audio/logmel-cpu';
import { hannWindow, hzToMelSlaney, melFilterbank, melToHzSlaney } from '../../src/audio/mel-filters';
import { Rng } from '../../src/util/rng';

const DIR = fileURLToPath(new URL('../fixtures/audio/logmel/', import.meta.url));
const index = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')) as {
  signals: Record<string, { samples: number; frames: number; source: string }>;
};

function readF32(name: string): Float32Array {
  const b = readFileSync(join(DIR, name));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

describe('log-mel CPU reference vs numpy golden fixtures', () => {
  for (const [name, meta] of Object.entries(index.signals)) {
    it(`${name} (${meta.source}) matches within 1e-4`, () => {
      const wave = readF32(`${name}.wave.f32`);
      const ref = readF32(`${name}.logmel.f32`);
      expect(wave.length).toBe(meta.samples);
      const lm = logMelCpu(wave);
      expect(lm.nMels).toBe(80);
      expect(lm.nFrames).toBe(meta.frames);
      expect(lm.data.length).toBe(ref.length);
      let maxErr = 0;
      for (let i = 0; i < ref.length; i++) maxErr = Math.max(maxErr, Math.abs(lm.data[i] - ref[i]));
      expect(maxErr).toBeLessThan(1e-4);
    });
  }

  it('a 10 s clip at 16 kHz gives 1001 frames', () => {
    expect(numFrames(160000)).toBe(1001);
    const x = new Float32Array(160000);
    for (let i = 0; i < x.length; i++) x[i] = 0.1 * Math.sin(i * 0.05);
    const lm = logMelCpu(x);
    expect(lm.nFrames).toBe(1001);
    expect(lm.data.length).toBe(80 * 1001);
  });

  it('silence maps to the normalised log of eps', () => {
    const lm = logMelCpu(new Float32Array(1600));
    const expected = (Math.log(1.1920929e-7) + 7.1) / 4.2;
    for (const v of lm.data) expect(v).toBeCloseTo(expected, 10);
  });
});

describe('front-end building blocks', () => {
  it('FFT of length 400 matches a direct DFT', () => {
    const n = 400;
    const rng = new Rng(3);
    const re = new Float64Array(n).map(() => rng.normal());
    const im = new Float64Array(n).map(() => rng.normal());
    const oRe = new Float64Array(n), oIm = new Float64Array(n);
    new FftPlan(n).forward(re, im, oRe, oIm);
    let maxErr = 0;
    for (let k = 0; k < n; k++) {
      let sr = 0, si = 0;
      for (let j = 0; j < n; j++) {
        const a = (-2 * Math.PI * ((j * k) % n)) / n;
        sr += re[j] * Math.cos(a) - im[j] * Math.sin(a);
        si += re[j] * Math.sin(a) + im[j] * Math.cos(a);
      }
      maxErr = Math.max(maxErr, Math.abs(sr - oRe[k]), Math.abs(si - oIm[k]));
    }
    expect(maxErr).toBeLessThan(1e-10);
  });

  it('FFT handles prime and composite lengths', () => {
    for (const n of [1, 2, 3, 7, 12, 97]) {
      const re = new Float64Array(n), im = new Float64Array(n);
      re[1 % n] = 1; // a unit impulse at index 1 (index 0 for n = 1)
      const oRe = new Float64Array(n), oIm = new Float64Array(n);
      new FftPlan(n).forward(re, im, oRe, oIm);
      for (let k = 0; k < n; k++) {
        const a = n === 1 ? 0 : (-2 * Math.PI * k) / n;
        expect(oRe[k]).toBeCloseTo(Math.cos(a), 12);
        expect(oIm[k]).toBeCloseTo(Math.sin(a), 12);
      }
    }
  });

  it('periodic Hann window', () => {
    const w = hannWindow(400);
    expect(w[0]).toBe(0);
    expect(w[200]).toBeCloseTo(1, 15);
    expect(w[100]).toBeCloseTo(0.5, 15);
    expect(w[399]).toBeGreaterThan(0); // periodic: the last sample is not the zero of a symmetric window
  });

  it('Slaney mel scale and filterbank shape', () => {
    expect(hzToMelSlaney(1000)).toBeCloseTo(15, 12);
    expect(hzToMelSlaney(200)).toBeCloseTo(3, 12);
    for (const f of [50, 700, 1000, 3000, 8000]) expect(melToHzSlaney(hzToMelSlaney(f))).toBeCloseTo(f, 9);
    const fb = melFilterbank();
    expect(fb.length).toBe(80 * 201);
    // Area normalisation: each triangle integrates (in Hz) to about 1, i.e. Σ weights·Δf ≈ 1.
    const df = 8000 / 200;
    for (const m of [10, 40, 79]) {
      let area = 0;
      for (let k = 0; k < 201; k++) area += fb[m * 201 + k] * df;
      expect(area).toBeGreaterThan(0.8);
      expect(area).toBeLessThan(1.2);
    }
    for (const v of fb) expect(v).toBeGreaterThanOrEqual(0);
  });
});

describe('crop and pad', () => {
  const mel = (nFrames: number) => {
    const data = new Float64Array(80 * nFrames);
    for (let m = 0; m < 80; m++) for (let t = 0; t < nFrames; t++) data[m * nFrames + t] = m * 10000 + t + 1;
    return { data, nMels: 80, nFrames };
  };

  it('random crop is a contiguous window and depends on the generator', () => {
    const src = mel(1001);
    const offsets = new Set<number>();
    for (let s = 0; s < 20; s++) {
      const c = cropOrPadFrames(src, 608, new Rng(s));
      expect(c.nFrames).toBe(608);
      expect(c.padded).toBe(0);
      expect(c.offset).toBeGreaterThanOrEqual(0);
      expect(c.offset).toBeLessThanOrEqual(1001 - 608);
      for (const m of [0, 37, 79]) {
        for (const t of [0, 300, 607]) expect(c.data[m * 608 + t]).toBe(m * 10000 + c.offset + t + 1);
      }
      offsets.add(c.offset);
    }
    expect(offsets.size).toBeGreaterThan(10);
    const a = cropOrPadFrames(src, 608, new Rng(7)), b = cropOrPadFrames(src, 608, new Rng(7));
    expect(a.offset).toBe(b.offset);
  });

  it('short clips are padded at the end with zeros and consume one draw like long ones', () => {
    const r1 = new Rng(5), r2 = new Rng(5);
    const c = cropOrPadFrames(mel(100), 608, r1);
    cropOrPadFrames(mel(1001), 608, r2);
    expect(r1.nextU32()).toBe(r2.nextU32());
    expect(c.offset).toBe(0);
    expect(c.padded).toBe(508);
    expect(c.data[5 * 608 + 99]).toBe(5 * 10000 + 100);
    expect(c.data[5 * 608 + 100]).toBe(0);
    expect(c.data[79 * 608 + 607]).toBe(0);
  });

  it('pads to a multiple of 16 frames for evaluation', () => {
    const p = padFramesToMultiple(mel(1001));
    expect(p.nFrames).toBe(1008);
    expect(p.data[1007]).toBe(0);
    expect(p.data[1000]).toBe(1001);
  });
});
