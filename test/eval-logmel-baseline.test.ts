// The model-free log-mel baseline: its modulation spectrum peaks at the rate of an amplitude-modulated tone.
import { describe, expect, it } from 'vitest';
import { logMelCpu, DEFAULT_LOGMEL_CONFIG } from '../src/audio/logmel-cpu';
import { logMelStatsDim, logMelStatsFeatures, MODULATION_HZ } from '../src/eval/logmel-baseline';

function amTone(rateHz: number, depth = 0.5, seconds = 1.9, sr = 16000): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * sr) }, (_, i) => {
    const t = i / sr;
    return 0.5 * (1 + depth * Math.sin(2 * Math.PI * rateHz * t)) * Math.sin(2 * Math.PI * 1000 * t);
  });
}

describe('log-mel statistics baseline', () => {
  it('has 2·nMels + 4·48 features; modulating a tone at r Hz raises its modulation spectrum at r Hz', () => {
    const plain = logMelStatsFeatures(logMelCpu(amTone(1, 0), DEFAULT_LOGMEL_CONFIG));
    expect(plain.length).toBe(logMelStatsDim(80));
    for (const rate of [4, 11, 23]) {
      const f = logMelStatsFeatures(logMelCpu(amTone(rate), DEFAULT_LOGMEL_CONFIG));
      // The 1 kHz carrier sits in the second band group (bands 20–39); features are log magnitudes.
      const k = 160 + 48 + MODULATION_HZ.indexOf(rate);
      expect(f[k] - plain[k]).toBeGreaterThan(2);
      // ... and more at r than at rates a few Hz away.
      expect(f[k] - plain[k]).toBeGreaterThan(f[k + 3] - plain[k + 3] + 1);
    }
  });
  it('is finite on silence and rejects a one-frame input', () => {
    const f = logMelStatsFeatures(logMelCpu(new Float32Array(16000), DEFAULT_LOGMEL_CONFIG));
    expect(f.every(Number.isFinite)).toBe(true);
    expect(() => logMelStatsFeatures({ data: new Float64Array(80), nMels: 80, nFrames: 1 })).toThrow(/2 frames/);
  });
});
