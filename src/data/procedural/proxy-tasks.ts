/**
 * Labelled proxy tasks built from the procedural generators, for linear evaluation without any
 * downloaded benchmark. Each probes one property an audio representation should capture:
 * pitch class, timbre family, modulation rate (the 3–48 Hz band AaPE targets), event type, and,
 * with espeak-ng, spoken keywords and voices.
 */
import type { Rng } from '../../util/rng';
import { GENERATORS, genModulated } from './generators';
import { fillWithSpeech } from './corpus';
import { VOICE_VARIANTS, type SpeechSynth } from './speech';
import {
  addHarmonic, adsrAt, karplusStrong, midiToHz, mixInto, pick, randomAdsr, randomRecipe, uniform, type HarmonicRecipe,
} from './synth';
import { KEYWORDS } from './words';

/** A labelled task: class names and a renderer for one example of a class. */
export interface ProxyTask {
  name: ProxyTaskName;
  classes: readonly string[];
  needsSpeech: boolean;
  /** Add one example of class `cls` into `out` (zeros on entry). */
  render(rng: Rng, cls: number, out: Float32Array, sr: number, speech: SpeechSynth | null): void;
}

export type ProxyTaskName = 'pitch' | 'timbre' | 'modulation' | 'event' | 'keywords' | 'voices';

const PITCH_CLASSES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'] as const;

/**
 * A few notes of one pitch class (octaves 2–5), in a random harmonic timbre or as a plucked string.
 * Spectra fall off at least as 1/k and plucks are dull, so the fundamental stays the strongest
 * partial: otherwise the 3rd harmonic (a fifth above) would make the label ambiguous.
 */
function renderPitch(rng: Rng, cls: number, out: Float32Array, sr: number): void {
  const n = out.length;
  const notes = 1 + rng.int(3);
  const recipe = randomRecipe(rng, 10, 1);
  const plucked = rng.uniform() < 0.3;
  for (let k = 0; k < notes; k++) {
    const f = midiToHz(12 * (3 + rng.int(4)) + cls); // MIDI 36 + cls .. 72 + cls
    const start = rng.int(Math.max(1, Math.floor(n * 0.6)));
    const len = Math.min(n - start, Math.floor(uniform(rng, 0.4, 0.9) * n));
    if (plucked) {
      mixInto(out, karplusStrong(rng, f, len, sr, uniform(rng, 0.995, 0.9995), uniform(rng, 0.1, 0.4)), start);
    } else {
      const env = randomAdsr(rng);
      addHarmonic(out, start, () => f, (i) => adsrAt(env, i / sr, (len / sr) * 0.8), recipe, sr, len);
    }
  }
}

const TIMBRES = ['sine', 'clarinet', 'brass', 'organ', 'pluck', 'bell'] as const;
const BELL = [0.56, 0.92, 1.19, 1.71, 2, 2.74, 3, 3.76, 4.07];

/** Notes in one instrument family; pitch, loudness and timing vary, the spectral recipe does not. */
function renderTimbre(rng: Rng, cls: number, out: Float32Array, sr: number): void {
  const n = out.length;
  const family = TIMBRES[cls];
  const notes = 1 + rng.int(4);
  for (let k = 0; k < notes; k++) {
    const f = midiToHz(48 + rng.int(25));
    const start = rng.int(Math.max(1, Math.floor(n * 0.7)));
    const len = Math.min(n - start, Math.floor(uniform(rng, 0.3, 0.8) * n));
    const g = uniform(rng, 0.5, 1);
    if (family === 'pluck') { mixInto(out, karplusStrong(rng, f, len, sr, uniform(rng, 0.994, 0.999)), start, g); continue; }
    if (family === 'bell') {
      for (const r of BELL) {
        const fp = f * r;
        if (fp > sr * 0.45) continue;
        const tau = uniform(rng, 0.15, 0.4) * Math.min(1, 1 / r + 0.2);
        const recipe: HarmonicRecipe = { amps: [g / Math.sqrt(r)] };
        addHarmonic(out, start, () => fp, (i) => Math.exp(-i / (tau * sr)), recipe, sr, len, rng.uniform() * 6.28);
      }
      continue;
    }
    let amps: number[];
    if (family === 'sine') amps = [1, 0.03];
    else if (family === 'clarinet') amps = Array.from({ length: 15 }, (_, j) => ((j + 1) % 2 === 1 ? 1 / (j + 1) : 0));
    else if (family === 'brass') amps = Array.from({ length: 15 }, (_, j) => 1 / Math.pow(j + 1, 0.8));
    else amps = Array.from({ length: 16 }, (_, j) => ([1, 2, 4, 8, 16].includes(j + 1) ? 0.8 : 0)); // organ
    const env = family === 'organ' ? { attack: 0.01, decay: 0.01, sustain: 1, release: 0.05 } : randomAdsr(rng);
    addHarmonic(out, start, () => f, (i) => g * adsrAt(env, i / sr, (len / sr) * 0.85), { amps }, sr, len);
  }
}

/** Six modulation rates, log-spaced from 3 to 48 Hz (ratio ≈ 1.74 between neighbours). */
export const MODULATION_RATES = Array.from({ length: 6 }, (_, k) => 3 * Math.pow(16, k / 5));

/** The event task's classes: the corpus's sound types (mixtures excluded: they have no one type). */
const EVENT_TYPES = Object.keys(GENERATORS) as (keyof typeof GENERATORS)[];

function needSpeech(s: SpeechSynth | null, task: string): SpeechSynth {
  if (!s) throw new Error(`proxy task "${task}" needs espeak-ng (apt-get install espeak-ng)`);
  return s;
}

/** All proxy tasks by name. */
export const PROXY_TASKS: Record<ProxyTaskName, ProxyTask> = {
  pitch: { name: 'pitch', classes: PITCH_CLASSES, needsSpeech: false, render: (rng, c, out, sr) => renderPitch(rng, c, out, sr) },
  timbre: { name: 'timbre', classes: TIMBRES, needsSpeech: false, render: (rng, c, out, sr) => renderTimbre(rng, c, out, sr) },
  modulation: {
    name: 'modulation',
    classes: MODULATION_RATES.map((r) => `${r.toFixed(1)}Hz`),
    needsSpeech: false,
    // ±6 % jitter keeps classes apart (neighbours differ by 74 %) while stopping a model from
    // keying on one exact frequency.
    render: (rng, c, out, sr) => { genModulated(rng, out, sr, { rate: MODULATION_RATES[c] * uniform(rng, 0.94, 1.06) }); },
  },
  event: { name: 'event', classes: EVENT_TYPES, needsSpeech: false, render: (rng, c, out, sr) => { GENERATORS[EVENT_TYPES[c]](rng, out, sr); } },
  keywords: {
    name: 'keywords',
    classes: KEYWORDS,
    needsSpeech: true,
    render: (rng, c, out, sr, s) => {
      const voice = { name: `${pick(rng, ['en-us', 'en-gb'] as const)}+${pick(rng, VOICE_VARIANTS)}`, speed: uniform(rng, 120, 220), pitch: uniform(rng, 20, 80) };
      const x = needSpeech(s, 'keywords').synth(KEYWORDS[c], voice, sr);
      mixInto(out, x, rng.int(Math.max(1, out.length - x.length)));
    },
  },
  voices: {
    name: 'voices',
    classes: VOICE_VARIANTS.map((v) => `en-us+${v}`),
    needsSpeech: true,
    render: (rng, c, out, sr, s) => {
      const voice = { name: `en-us+${VOICE_VARIANTS[c]}`, speed: uniform(rng, 130, 200), pitch: uniform(rng, 40, 60) };
      fillWithSpeech(rng, out, sr, needSpeech(s, 'voices'), voice);
    },
  },
};
