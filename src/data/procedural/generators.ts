/**
 * Clip generators of the procedural corpus. Each fills a buffer of n samples at sr Hz from an Rng
 * and reports what it made, so the same code serves the unlabelled corpus and the labelled proxies.
 * The sound types are chosen to exercise what AaPE is about: periodic modulations between 2 and 48
 * Hz (tremolo, vibrato, flutter, click trains) next to steady tones, sweeps and noises.
 */
import type { Rng } from '../../util/rng';
import {
  addHarmonic, adsrAt, applyBiquad, bandpass, highpass, karplusStrong, logUniform, lowpass, midiToHz, mixInto,
  pick, randomAdsr, randomRecipe, uniform, whiteNoise, type HarmonicRecipe,
} from './synth';

/** Sound types of the non-speech generators. */
export const SOUND_TYPES = ['tone', 'modulated', 'clicks', 'sweep', 'noise-burst', 'pluck', 'bell', 'mixture'] as const;
export type SoundType = (typeof SOUND_TYPES)[number];

/** What a generator made: a type and a few salient parameters (for logs and tests). */
export interface ClipInfo {
  type: SoundType | 'speech';
  params: Record<string, number | string>;
}

/** Signature shared by the generators: add sound into `out` (length n), return what was made. */
export type Generator = (rng: Rng, out: Float32Array, sr: number) => ClipInfo;

/** Harmonic notes with ADSR envelopes and light vibrato, as a melody or held chord tones. */
export const genTone: Generator = (rng, out, sr) => {
  const n = out.length;
  const notes = 1 + rng.int(6);
  const recipe = randomRecipe(rng);
  const base = 40 + rng.int(45); // MIDI E2..C#6
  for (let k = 0; k < notes; k++) {
    const f = midiToHz(base + rng.int(13) - 6);
    const start = rng.int(Math.max(1, Math.floor(n * 0.8)));
    const len = Math.min(n - start, Math.floor(logUniform(rng, 0.15, 4) * sr));
    const env = randomAdsr(rng);
    const hold = (len / sr) * uniform(rng, 0.5, 0.95);
    const vibRate = uniform(rng, 4, 7), vibDepth = rng.uniform() < 0.5 ? uniform(rng, 0.002, 0.01) : 0;
    addHarmonic(out, start, (i) => f * (1 + vibDepth * Math.sin((2 * Math.PI * vibRate * i) / sr)), (i) => adsrAt(env, i / sr, hold), recipe, sr, len, rng.uniform() * 6.28);
  }
  return { type: 'tone', params: { notes, baseMidi: base } };
};

/** Options to fix a modulated sound's parameters (the modulation proxy task sets them). */
export interface ModulationSpec {
  rate?: number;
  kind?: 'am' | 'fm' | 'both';
  carrier?: 'harmonic' | 'noise';
}

/**
 * A carrier under periodic amplitude and/or frequency modulation at 2–48 Hz: exactly the band a
 * 160 ms token rate aliases. Noise carriers carry AM only (FM of noise is meaningless).
 */
export function genModulated(rng: Rng, out: Float32Array, sr: number, spec: ModulationSpec = {}): ClipInfo {
  const n = out.length;
  const rate = spec.rate ?? logUniform(rng, 2, 48);
  const carrier = spec.carrier ?? (rng.uniform() < 0.75 ? 'harmonic' : 'noise');
  let kind = spec.kind ?? pick(rng, ['am', 'fm', 'both'] as const);
  if (carrier === 'noise') kind = 'am';
  const depth = uniform(rng, 0.5, 1);
  const ph = rng.uniform() * 2 * Math.PI;
  const am = (i: number): number => (kind === 'fm' ? 1 : 1 - depth * 0.5 * (1 + Math.sin((2 * Math.PI * rate * i) / sr + ph)));
  const fade = Math.floor(0.02 * sr);
  const edge = (i: number): number => Math.min(1, i / fade, (n - 1 - i) / fade);
  if (carrier === 'harmonic') {
    const f = midiToHz(36 + rng.int(48));
    const fmDepth = kind === 'am' ? 0 : uniform(rng, 0.01, 0.08);
    addHarmonic(out, 0, (i) => f * (1 + fmDepth * Math.sin((2 * Math.PI * rate * i) / sr + ph)), (i) => am(i) * edge(i), randomRecipe(rng, 10), sr, n);
  } else {
    const noise = applyBiquad(whiteNoise(rng, n), bandpass(logUniform(rng, 200, 5000), uniform(rng, 0.7, 4), sr));
    for (let i = 0; i < n; i++) out[i] += noise[i] * am(i) * edge(i);
  }
  return { type: 'modulated', params: { rate, kind, carrier } };
}

/** Periodic clicks (2–48 Hz, optionally drifting and jittered), each a short resonant burst. */
export const genClicks: Generator = (rng, out, sr) => {
  const n = out.length;
  const rate0 = logUniform(rng, 2, 48), rate1 = rng.uniform() < 0.3 ? logUniform(rng, 2, 48) : rate0;
  const jitter = rng.uniform() < 0.5 ? uniform(rng, 0, 0.15) : 0;
  const fc = logUniform(rng, 500, 6000), tau = logUniform(rng, 0.0005, 0.006);
  const clickLen = Math.ceil(tau * 6 * sr);
  const click = new Float32Array(clickLen);
  for (let i = 0; i < clickLen; i++) click[i] = Math.exp(-i / (tau * sr)) * Math.sin((2 * Math.PI * fc * i) / sr);
  const start = rng.int(Math.max(1, Math.floor(n * 0.3)));
  const stop = start + Math.floor((n - start) * uniform(rng, 0.5, 1));
  let t = start;
  let count = 0;
  while (t < stop) {
    mixInto(out, click, Math.round(t), uniform(rng, 0.7, 1));
    const rate = rate0 + ((rate1 - rate0) * (t - start)) / Math.max(1, stop - start);
    t += (sr / rate) * (1 + jitter * (2 * rng.uniform() - 1));
    count++;
  }
  return { type: 'clicks', params: { rate: rate0, endRate: rate1, count } };
};

/** Chirps (linear or exponential sweeps) and sirens (slow periodic glides or two-tone alternation). */
export const genSweep: Generator = (rng, out, sr) => {
  const n = out.length;
  const style = pick(rng, ['linear', 'exponential', 'siren', 'two-tone'] as const);
  const recipe: HarmonicRecipe = rng.uniform() < 0.5 ? { amps: [1] } : randomRecipe(rng, 5);
  const start = rng.int(Math.max(1, Math.floor(n * 0.5)));
  const len = n - start - rng.int(Math.max(1, Math.floor((n - start) * 0.5)));
  const f0 = logUniform(rng, 80, 3000), f1 = logUniform(rng, 80, 6000);
  const rate = logUniform(rng, 0.2, 4);
  let f: (i: number) => number;
  if (style === 'linear') f = (i) => f0 + ((f1 - f0) * i) / len;
  else if (style === 'exponential') f = (i) => f0 * Math.pow(f1 / f0, i / len);
  else if (style === 'siren') f = (i) => Math.sqrt(f0 * f1) * Math.pow(f1 / f0, 0.5 * Math.sin((2 * Math.PI * rate * i) / sr));
  else f = (i) => (Math.floor((2 * rate * i) / sr) % 2 === 0 ? f0 : f1);
  const fade = Math.floor(0.01 * sr);
  addHarmonic(out, start, f, (i) => Math.min(1, i / fade, (len - 1 - i) / fade), recipe, sr, len);
  return { type: 'sweep', params: { style, f0, f1 } };
};

/** Bursts of band-, low- or high-passed noise with attack/decay envelopes. */
export const genNoiseBurst: Generator = (rng, out, sr) => {
  const n = out.length;
  const bursts = 1 + rng.int(10);
  for (let b = 0; b < bursts; b++) {
    const len = Math.min(n, Math.floor(logUniform(rng, 0.02, 2) * sr));
    const start = rng.int(Math.max(1, n - len));
    const shape = pick(rng, ['bandpass', 'lowpass', 'highpass'] as const);
    const fc = logUniform(rng, 100, 6000);
    const filt = shape === 'bandpass' ? bandpass(fc, logUniform(rng, 0.5, 10), sr) : shape === 'lowpass' ? lowpass(fc, 0.707, sr) : highpass(fc, 0.707, sr);
    const x = applyBiquad(whiteNoise(rng, len), filt);
    const att = Math.max(1, Math.floor(len * uniform(rng, 0.01, 0.5)));
    const g = uniform(rng, 0.2, 1);
    for (let i = 0; i < len; i++) {
      const env = i < att ? i / att : Math.exp((-3 * (i - att)) / Math.max(1, len - att));
      x[i] *= env;
    }
    mixInto(out, x, start, g);
  }
  return { type: 'noise-burst', params: { bursts } };
};

/** Plucked strings (Karplus-Strong): arpeggios or single notes at random pitches. */
export const genPluck: Generator = (rng, out, sr) => {
  const n = out.length;
  const notes = 1 + rng.int(8);
  const base = 36 + rng.int(40);
  const decay = uniform(rng, 0.99, 0.9995), bright = uniform(rng, 0.2, 1);
  for (let k = 0; k < notes; k++) {
    const start = rng.int(Math.max(1, Math.floor(n * 0.85)));
    const len = Math.min(n - start, Math.floor(uniform(rng, 0.3, 3) * sr));
    mixInto(out, karplusStrong(rng, midiToHz(base + rng.int(13)), len, sr, decay, bright), start, uniform(rng, 0.5, 1));
  }
  return { type: 'pluck', params: { notes, baseMidi: base } };
};

/** Risset's bell partial ratios: inharmonic, which is what makes a bell a bell. */
const BELL_RATIOS = [0.56, 0.92, 1.19, 1.71, 2, 2.74, 3, 3.76, 4.07];

/** Struck bells: inharmonic partials, higher ones decaying faster. */
export const genBell: Generator = (rng, out, sr) => {
  const n = out.length;
  const strikes = 1 + rng.int(5);
  const nyq = sr / 2;
  for (let s = 0; s < strikes; s++) {
    const f = logUniform(rng, 150, 1500);
    const start = rng.int(Math.max(1, Math.floor(n * 0.8)));
    const t60 = logUniform(rng, 0.5, 4);
    const g = uniform(rng, 0.4, 1);
    for (const r of BELL_RATIOS) {
      const fp = f * r * (1 + uniform(rng, -0.01, 0.01));
      if (fp >= nyq * 0.95) continue;
      const tau = (t60 / 6.9) * Math.min(1, 1 / r + 0.2);
      const amp = (g * uniform(rng, 0.3, 1)) / Math.sqrt(r);
      const ph = rng.uniform() * 2 * Math.PI;
      const len = Math.min(n - start, Math.ceil(tau * 7 * sr));
      for (let i = 0; i < len; i++) out[start + i] += amp * Math.exp(-i / (tau * sr)) * Math.sin((2 * Math.PI * fp * i) / sr + ph);
    }
  }
  return { type: 'bell', params: { strikes } };
};

/** Plain generators by type (mixture is assembled from these by the corpus). */
export const GENERATORS: Record<Exclude<SoundType, 'mixture'>, Generator> = {
  tone: genTone,
  modulated: (rng, out, sr) => genModulated(rng, out, sr),
  clicks: genClicks,
  sweep: genSweep,
  'noise-burst': genNoiseBurst,
  pluck: genPluck,
  bell: genBell,
};
