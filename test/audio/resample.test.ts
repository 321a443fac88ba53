import { describe, expect, it } from 'vitest';
import { resample, resampledLength } from '../../src/audio/resample';
import { dominantFrequency, peakAmplitude, sine } from './spectrum';

/** The middle of a signal, away from the start/stop transients of a tone switched on abruptly. */
function middle(x: Float32Array, rate: number, trimSeconds = 0.05): Float32Array {
  const k = Math.round(trimSeconds * rate);
  return x.subarray(k, x.length - k);
}

const db = (ratio: number): number => 20 * Math.log10(ratio);

describe('band-limited resampler', () => {
  it('keeps a 1 kHz tone at 1 kHz (44.1 kHz → 16 kHz), at the same level', () => {
    const y = resample(sine(1000, 44100, 1), 44100, 16000);
    expect(y.length).toBe(16000);
    const mid = middle(y, 16000);
    expect(Math.abs(dominantFrequency(mid, 16000) - 1000)).toBeLessThan(2);
    expect(Math.abs(db(peakAmplitude(mid, 16000) / 0.5))).toBeLessThan(0.05);
  });

  for (const from of [48000, 22050, 8000, 32000, 11025]) {
    it(`keeps tones where they were for ${from} → 16000`, () => {
      for (const f of [440, 1000, 3000]) {
        const y = resample(sine(f, from, 1), from, 16000);
        expect(y.length).toBe(16000);
        const mid = middle(y, 16000);
        expect(Math.abs(dominantFrequency(mid, 16000) - f)).toBeLessThan(2);
        expect(Math.abs(db(peakAmplitude(mid, 16000) / 0.5))).toBeLessThan(0.05);
      }
    });
  }

  it('passes 7 kHz (inside the pass band, 0.875 of the new Nyquist) within 0.1 dB', () => {
    const y = middle(resample(sine(7000, 44100, 1), 44100, 16000), 16000);
    expect(Math.abs(dominantFrequency(y, 16000) - 7000)).toBeLessThan(2);
    expect(Math.abs(db(peakAmplitude(y, 16000) / 0.5))).toBeLessThan(0.1);
  });

  // A 9 kHz tone cannot exist at 16 kHz; without the low-pass it would fold back to 7 kHz.
  for (const [from, f] of [[44100, 9000], [48000, 8500], [48000, 12000], [44101, 9000], [22050, 8200]] as const) {
    it(`attenuates ${f} Hz at ${from} Hz → 16 kHz by ≥ 60 dB (no alias)`, () => {
      const y = middle(resample(sine(f, from, 1), from, 16000), 16000);
      const residue = peakAmplitude(y, 16000);
      const attenuation = -db(residue / 0.5);
      expect(attenuation).toBeGreaterThanOrEqual(60);
    });
  }

  it('the measurement itself sees an alias when no filter is applied (control)', () => {
    // Naive decimation of a 9 kHz tone 48 kHz → 16 kHz (factor 3): the alias at 7 kHz is full scale.
    const x = sine(9000, 48000, 1);
    const naive = new Float32Array(16000);
    for (let i = 0; i < naive.length; i++) naive[i] = x[3 * i];
    expect(Math.abs(dominantFrequency(naive, 16000) - 7000)).toBeLessThan(2);
    expect(-db(peakAmplitude(naive, 16000) / 0.5)).toBeLessThan(1);
  });

  it('upsampling 8 kHz → 16 kHz leaves no image above 4 kHz', () => {
    const y = middle(resample(sine(3000, 8000, 1), 8000, 16000), 16000);
    // An unfiltered zero-stuffing upsampler would put an image at 8000 − 3000 = 5000 Hz.
    expect(-db(peakAmplitude(y, 16000, 4100, 8000) / 0.5)).toBeGreaterThanOrEqual(60);
  });

  it('output length is ceil(n · to / from); equal rates return the input', () => {
    expect(resampledLength(44100, 44100, 16000)).toBe(16000);
    expect(resampledLength(44101, 44100, 16000)).toBe(16001);
    expect(resampledLength(3, 48000, 16000)).toBe(1);
    expect(resample(new Float32Array(441), 44100, 16000).length).toBe(160);
    const x = new Float32Array(10);
    expect(resample(x, 16000, 16000)).toBe(x);
  });

  it('a constant stays constant away from the edges (unit DC gain in every phase)', () => {
    const y = resample(new Float32Array(44100).fill(0.25), 44100, 16000);
    for (let i = 200; i < y.length - 200; i++) expect(Math.abs(y[i] - 0.25)).toBeLessThan(1e-6);
  });

  it('rejects non-integer or non-positive rates', () => {
    expect(() => resample(new Float32Array(4), 44100.5, 16000)).toThrow(/positive integers/);
    expect(() => resample(new Float32Array(4), 0, 16000)).toThrow(/positive integers/);
  });
});
