import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { logMelCpu } from '../src/audio/logmel-cpu';
import { logMelCpuFast } from '../src/audio/logmel-cpu-fast';
import { Rng } from '../src/util/rng';

const f32 = (name: string) => { const b = readFileSync(new URL(`./fixtures/audio/logmel/${name}`, import.meta.url)); return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); };

describe('fast CPU log-mel (real FFT via a half-size complex FFT, sparse mel)', () => {
  it('matches the float64 reference on the fixtures and on odd lengths', () => {
    const r = new Rng(4);
    const signals = ['tone', 'chirp', 'noise', 'speech'].map((n) => f32(`${n}.wave.f32`));
    for (const L of [1, 2, 159, 161, 400, 401]) signals.push(Float32Array.from({ length: L }, () => 0.3 * r.normal()));
    for (const x of signals) {
      const a = logMelCpu(x), b = logMelCpuFast(x);
      expect(b.nFrames).toBe(a.nFrames);
      let e = 0;
      for (let i = 0; i < a.data.length; i++) e = Math.max(e, Math.abs(a.data[i] - b.data[i]));
      expect(e, `L = ${x.length}`).toBeLessThan(1e-5);
    }
  });

  it('handles other even and odd n_fft', () => {
    const x = Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i * 0.2));
    for (const cfg of [{ nFft: 512, winLength: 400 }, { nFft: 401, winLength: 401 }]) {
      const a = logMelCpu(x, cfg), b = logMelCpuFast(x, cfg);
      let e = 0;
      for (let i = 0; i < a.data.length; i++) e = Math.max(e, Math.abs(a.data[i] - b.data[i]));
      expect(e).toBeLessThan(1e-5);
    }
  });
});
