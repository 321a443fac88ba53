/**
 * The built-in procedural corpus: an endless, seeded stream of varied 16 kHz clips for
 * pre-training without downloading anything. `clip(i)` is a pure function of (seed, i), so the
 * corpus needs no storage, any position can be resumed, and two machines see the same data.
 */
import type { Rng } from '../../util/rng';
import { GENERATORS, SOUND_TYPES, type ClipInfo, type SoundType } from './generators';
import { rngFor } from './seeding';
import { VOICE_VARIANTS, defaultSpeechSynth, type SpeechSynth, type Voice } from './speech';
import { logUniform, mixInto, normalizePeak, pick, uniform, whiteNoise } from './synth';
import { WORDS } from './words';

/** A generated clip. */
export interface Clip {
  index: number;
  samples: Float32Array;
  sampleRate: number;
  info: ClipInfo;
}

/** Clip types the corpus draws from. */
export type CorpusType = SoundType | 'speech';

/** Options of {@link ProceduralCorpus}. */
export interface ProceduralCorpusOptions {
  /** Seed of the whole corpus (default 0). */
  seed?: number;
  /** Clip length in seconds (default 10). */
  durationSec?: number;
  /** Sample rate (default 16000). */
  sampleRate?: number;
  /**
   * Speech engine: 'auto' (default) uses espeak-ng when installed, and otherwise says so once and
   * leaves speech out; null never makes speech.
   */
  speech?: SpeechSynth | null | 'auto';
  /** Restrict to these types (default: all, speech included when available). */
  types?: readonly CorpusType[];
  /**
   * Fraction of clips that are speech, the rest drawn evenly from the other types (default: none
   * given or null, every type equally likely, so speech is one clip in nine). Needs speech in the corpus.
   */
  speechShare?: number | null;
  /** Where the one "no espeak-ng" notice goes (default console.warn). */
  log?: (msg: string) => void;
}

/** All clip types in draw order; speech last so its absence changes no other type's draws. */
export const CORPUS_TYPES: readonly CorpusType[] = [...SOUND_TYPES, 'speech'];

/** A random English voice: espeak-ng accent + variant, speed and pitch. */
export function randomVoice(rng: Rng): Voice {
  const lang = pick(rng, ['en-us', 'en-gb', 'en-gb-scotland', 'en-029'] as const);
  return { name: `${lang}+${pick(rng, VOICE_VARIANTS)}`, speed: uniform(rng, 120, 220), pitch: uniform(rng, 15, 85) };
}

/** Utterances of random words separated by pauses until `out` is full. */
export function fillWithSpeech(rng: Rng, out: Float32Array, sr: number, synth: SpeechSynth, voice: Voice = randomVoice(rng)): ClipInfo {
  let pos = Math.floor(uniform(rng, 0, 0.5) * sr);
  let utterances = 0;
  while (pos < out.length) {
    const nWords = 2 + rng.int(7);
    const text = Array.from({ length: nWords }, () => pick(rng, WORDS)).join(' ');
    const x = synth.synth(text, voice, sr);
    mixInto(out, x, pos);
    pos += x.length + Math.floor(uniform(rng, 0.1, 1) * sr);
    utterances++;
  }
  return { type: 'speech', params: { voice: voice.name, utterances } };
}

/** Deterministic, random-access generator of varied audio clips. */
export class ProceduralCorpus {
  readonly seed: number;
  readonly sampleRate: number;
  readonly length: number;
  /** Types actually produced (speech only when an engine is available). */
  readonly types: readonly CorpusType[];
  /** The speech fraction asked for, or null for the even draw over types. */
  readonly speechShare: number | null;
  private readonly speech: SpeechSynth | null;
  private readonly nonSpeech: readonly CorpusType[];

  constructor(opts: ProceduralCorpusOptions = {}) {
    this.seed = opts.seed ?? 0;
    this.sampleRate = opts.sampleRate ?? 16000;
    this.length = Math.round((opts.durationSec ?? 10) * this.sampleRate);
    if (!(this.length > 0)) throw new Error(`ProceduralCorpus: bad duration ${opts.durationSec}`);
    const wanted = opts.types ?? CORPUS_TYPES;
    const needSpeech = wanted.includes('speech');
    const sp = opts.speech === undefined ? 'auto' : opts.speech;
    this.speech = sp === 'auto' ? (needSpeech ? defaultSpeechSynth(opts.log) : null) : sp;
    this.types = wanted.filter((t) => t !== 'speech' || this.speech !== null);
    if (this.types.length === 0) throw new Error('ProceduralCorpus: no clip types left to generate');
    this.nonSpeech = this.types.filter((t) => t !== 'speech');
    this.speechShare = opts.speechShare ?? null;
    const p = this.speechShare;
    if (p !== null) {
      if (!(p >= 0 && p <= 1)) throw new Error(`ProceduralCorpus: speech share must be in [0, 1], got ${p}`);
      if (p > 0 && !this.hasSpeech) throw new Error(`ProceduralCorpus: speech share ${p} asked for, but the corpus has no speech (espeak-ng missing or speech not among the types)`);
      if (p < 1 && this.nonSpeech.length === 0) throw new Error(`ProceduralCorpus: speech share ${p} leaves room for other types, but speech is the only one`);
    }
  }

  /** Is speech part of this corpus? */
  get hasSpeech(): boolean {
    return this.types.includes('speech');
  }

  /**
   * Clip number `index` (any non-negative integer below 2^53): the same (seed, index, options)
   * always give the same samples. Peak magnitude is between 0.2 and 0.95.
   */
  clip(index: number): Clip {
    const rng = rngFor(this.seed, index);
    const sr = this.sampleRate;
    const type = this.drawType(rng);
    const out = new Float32Array(this.length);
    let info = this.render(rng, type, out, sr);
    if (peak(out) === 0) info = this.render(rng, 'tone', out, sr);
    if (rng.uniform() < 0.5) {
      // A faint noise floor: real recordings never reach digital silence, and log-mel of exact
      // zeros is a degenerate input the model would never meet otherwise.
      const floor = peak(out) * Math.pow(10, uniform(rng, -70, -40) / 20);
      mixInto(out, whiteNoise(rng, out.length), 0, floor);
    }
    normalizePeak(out, uniform(rng, 0.2, 0.95));
    return { index, samples: out, sampleRate: sr, info };
  }

  private drawType(rng: Rng): CorpusType {
    if (this.speechShare !== null) return rng.uniform() < this.speechShare ? 'speech' : pick(rng, this.nonSpeech);
    // Draw from the full list, then redraw among what is enabled, so that leaving speech out
    // (no espeak-ng) changes only the clips that would have been speech.
    const type = pick(rng, CORPUS_TYPES);
    return this.types.includes(type) ? type : pick(rng, this.types);
  }

  private render(rng: Rng, type: CorpusType, out: Float32Array, sr: number): ClipInfo {
    if (type === 'speech') return fillWithSpeech(rng, out, sr, this.speech!);
    if (type !== 'mixture') return GENERATORS[type](rng, out, sr);
    const parts = 2 + rng.int(2);
    const kinds: string[] = [];
    const sub = this.types.filter((t) => t !== 'mixture');
    for (let k = 0; k < parts; k++) {
      const t = sub.length > 0 ? pick(rng, sub) : 'tone';
      const buf = new Float32Array(out.length);
      this.render(rng, t, buf, sr);
      normalizePeak(buf, 1);
      mixInto(out, buf, 0, Math.pow(10, -logUniform(rng, 1, 13) / 20));
      kinds.push(t);
    }
    return { type: 'mixture', params: { parts: kinds.join('+') } };
  }
}

function peak(x: Float32Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}
