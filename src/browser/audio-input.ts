/**
 * Audio for the demo page: a dropped/picked file decoded by the project's own decoders (the same
 * bytes give the same samples as in Node), or a clip from the built-in procedural generators.
 *
 * The generators are imported from generators.ts rather than through ProceduralCorpus: corpus.ts
 * imports speech.ts, which imports node:child_process at top level (espeak-ng), and that cannot
 * load in a browser. Speech clips are therefore not offered here.
 */
import { decodeAudio } from '../audio/decode';
import { resample } from '../audio/resample';
import { GENERATORS, type SoundType } from '../data/procedural/generators';
import { rngFor } from '../data/procedural/seeding';
import { normalizePeak, mixInto, whiteNoise } from '../data/procedural/synth';

export const SAMPLE_RATE = 16000;

export interface DemoClip {
  samples: Float32Array;
  /** What it is, for the page (file name or generator description). */
  label: string;
}

export type GeneratorType = Exclude<SoundType, 'mixture'>;
export const GENERATOR_TYPES = Object.keys(GENERATORS) as GeneratorType[];
/** The page's default: one of each kind AaPE is about (a 2–48 Hz modulation, a click train, notes). */
export const DEMO_MIX: GeneratorType[] = ['modulated', 'clicks', 'tone'];

function peakOf(x: Float32Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

/**
 * A deterministic clip: one generator type, or 'mix' (DEMO_MIX, each part at equal peak). The same
 * (type, seed) gives the same samples everywhere.
 */
export function generateClip(type: GeneratorType | 'mix', seed: number, seconds = 10): DemoClip {
  const parts = type === 'mix' ? DEMO_MIX : [type];
  const out = new Float32Array(Math.round(seconds * SAMPLE_RATE));
  const labels: string[] = [];
  let rng = rngFor(seed, 0);
  for (const t of parts) {
    rng = rngFor(seed, GENERATOR_TYPES.indexOf(t));
    const buf = new Float32Array(out.length);
    const info = GENERATORS[t](rng, buf, SAMPLE_RATE);
    if (peakOf(buf) > 0) mixInto(out, normalizePeak(buf, 1), 0, 1 / parts.length);
    const params = Object.entries(info.params).map(([k, v]) => `${k} ${typeof v === 'number' ? +v.toFixed(2) : v}`).join(', ');
    labels.push(`${info.type}${params ? ` (${params})` : ''}`);
  }
  // A faint noise floor 50 dB down, as the corpus adds: log-mel of exact digital silence is degenerate.
  mixInto(out, whiteNoise(rng, out.length), 0, peakOf(out) * 10 ** (-50 / 20));
  normalizePeak(out, 0.8);
  return { samples: out, label: `generated, seed ${seed}: ${labels.join(' + ')}` };
}

/** Mix to mono by averaging channels. */
function mono(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const out = new Float32Array(channels[0].length);
  for (const c of channels) for (let i = 0; i < out.length; i++) out[i] += c[i] / channels.length;
  return out;
}

/**
 * Decode a file to mono 16 kHz. WAV, FLAC, MP3 and Ogg Vorbis go through the project's decoders;
 * anything else (e.g. AAC in .m4a) falls back to the browser's own decoder.
 */
export async function decodeFile(file: File): Promise<DemoClip> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let samples: Float32Array, rate: number;
  try {
    const d = await decodeAudio(bytes, file.name);
    samples = d.samples; rate = d.sampleRate;
  } catch (e) {
    const ctx = new OfflineAudioContext(1, 1, SAMPLE_RATE);
    let buf: AudioBuffer;
    try {
      buf = await ctx.decodeAudioData(bytes.buffer.slice(0));
    } catch {
      throw new Error(`cannot decode ${file.name}: ${(e as Error).message}`);
    }
    samples = mono(Array.from({ length: buf.numberOfChannels }, (_, c) => buf.getChannelData(c)));
    rate = buf.sampleRate;
  }
  if (rate !== SAMPLE_RATE) samples = resample(samples, rate, SAMPLE_RATE);
  const secs = samples.length / SAMPLE_RATE;
  return { samples, label: `${file.name} (${secs.toFixed(2)} s${rate !== SAMPLE_RATE ? `, resampled from ${rate} Hz` : ''})` };
}
