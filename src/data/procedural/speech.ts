/**
 * Speech for the procedural corpus, synthesised by the `espeak-ng` program when it is installed
 * (Node only). espeak-ng is deterministic for a given text, voice, speed and pitch, so clips that
 * use it stay a pure function of the corpus seed and index.
 */
import { spawnSync } from 'node:child_process';
import { mixToMono } from '../../audio/decode';
import { resample } from '../../audio/resample';
import { readWav } from '../../audio/wav-read';

/** How to say something. */
export interface Voice {
  /** espeak-ng voice, e.g. "en-us+f3" (language + variant). */
  name: string;
  /** Words per minute (espeak-ng -s). */
  speed: number;
  /** Pitch 0–99 (espeak-ng -p). */
  pitch: number;
}

/** A text-to-speech engine producing mono float audio at a requested rate. */
export interface SpeechSynth {
  synth(text: string, voice: Voice, sampleRate: number): Float32Array;
}

/** English voice variants shipped with espeak-ng (used for the speaker proxy task). */
export const VOICE_VARIANTS = ['m1', 'm2', 'm3', 'm4', 'f1', 'f2', 'f3', 'f4'] as const;

let warned = false;
const found = new Map<string, boolean>();

/** Is the espeak-ng binary runnable? (Checked once per binary name and process.) */
export function hasEspeak(binary = 'espeak-ng'): boolean {
  let ok = found.get(binary);
  if (ok === undefined) {
    ok = spawnSync(binary, ['--version'], { encoding: 'utf8' }).status === 0;
    found.set(binary, ok);
  }
  return ok;
}

/** Speech synthesis through the espeak-ng command line. */
export class EspeakSynth implements SpeechSynth {
  constructor(readonly binary = 'espeak-ng') {}

  synth(text: string, voice: Voice, sampleRate: number): Float32Array {
    const r = spawnSync(this.binary, ['-v', voice.name, '-s', String(Math.round(voice.speed)), '-p', String(Math.round(voice.pitch)), '--stdout', text], {
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0 || !r.stdout || r.stdout.length === 0) {
      throw new Error(`espeak-ng failed for voice ${voice.name}: ${r.error?.message ?? r.stderr?.toString().trim() ?? `status ${r.status}`}`);
    }
    const bytes = new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
    // Written to a pipe, espeak-ng cannot seek back, so its RIFF and data sizes are placeholders
    // (0x7ffff000): patch in the sizes of what actually arrived.
    const fixed = patchStreamedWav(bytes);
    const wav = readWav(fixed, `espeak-ng(${voice.name})`);
    return resample(mixToMono(wav.channels), wav.sampleRate, sampleRate);
  }
}

/** Set the RIFF and data chunk sizes of a WAV written to a pipe to the real byte counts. */
function patchStreamedWav(b: Uint8Array): Uint8Array {
  const out = b.slice();
  const v = new DataView(out.buffer);
  v.setUint32(4, out.length - 8, true);
  let off = 12;
  while (off + 8 <= out.length) {
    const id = String.fromCharCode(out[off], out[off + 1], out[off + 2], out[off + 3]);
    if (id === 'data') {
      v.setUint32(off + 4, out.length - off - 8, true);
      break;
    }
    off += 8 + v.getUint32(off + 4, true) + (v.getUint32(off + 4, true) & 1);
  }
  return out;
}

/**
 * The default speech engine: espeak-ng if installed, else null (after saying so once per process,
 * through `log`, so that a corpus without speech is never a silent surprise).
 */
export function defaultSpeechSynth(log: (msg: string) => void = console.warn, binary = 'espeak-ng'): SpeechSynth | null {
  if (hasEspeak(binary)) return new EspeakSynth(binary);
  if (!warned) {
    warned = true;
    log(`${binary} not found: the procedural corpus will contain no speech (apt-get install espeak-ng to add it)`);
  }
  return null;
}
