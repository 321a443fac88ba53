/**
 * The `instruments` benchmark: single notes of General MIDI instruments rendered from a SoundFont of
 * recorded samples (Debian's fluid-soundfont-gm, FluidR3_GM.sf2) with the `fluidsynth` command line,
 * written in the NSynth layout (nsynth-{train,valid,test}/examples.json + audio/<id>.wav, 16 kHz,
 * 4 s notes: 3 s held + 1 s release). Labels are the instrument family (NSynth-like families from
 * the GM program groups) and the pitch (MIDI key and pitch class). As in NSynth the split is by
 * instrument: every program belongs to exactly one split, so test instruments are never seen in
 * training, and a pre-training corpus made of nsynth-train holds none of them. Node only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav } from '../../audio/wav-read';
import { mixToMono } from '../../audio/decode';
import { encodeWav } from '../../audio/wav-write';
import { writeMidi, type MidiNote } from './midi';
import { hashString, rngFor } from './seeding';

/** NSynth-like families over GM program numbers (0-based), with the keys each family is played in. */
export const GM_FAMILIES: readonly { name: string; programs: readonly number[]; keys: readonly [number, number] }[] = [
  { name: 'keyboard', programs: range(0, 8), keys: [36, 84] },
  { name: 'mallet', programs: range(8, 16), keys: [55, 91] },
  { name: 'organ', programs: range(16, 24), keys: [36, 84] },
  { name: 'guitar', programs: range(24, 32), keys: [40, 76] },
  { name: 'bass', programs: range(32, 40), keys: [28, 60] },
  // Solo strings, pizzicato, harp and the string ensembles (timpani, 47, is no string sound).
  { name: 'string', programs: [...range(40, 47), ...range(48, 52)], keys: [43, 84] },
  { name: 'vocal', programs: range(52, 55), keys: [48, 79] },
  { name: 'brass', programs: range(56, 64), keys: [43, 79] },
  { name: 'reed', programs: range(64, 72), keys: [48, 84] },
  { name: 'flute', programs: range(72, 80), keys: [60, 91] },
  { name: 'synth_lead', programs: range(80, 88), keys: [48, 84] },
  { name: 'synth_pad', programs: range(88, 96), keys: [36, 79] },
];

export const PITCH_CLASS_NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'] as const;

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}

export type InstrumentSplit = 'train' | 'valid' | 'test';

/**
 * The split of the i-th of n programs of a family: i ≡ 1 (mod 4) test, i ≡ 3 (mod 4) valid, else
 * train, so about half of a family trains; a family of 3 (vocal) is train, test, valid.
 */
export function splitOfProgramIndex(i: number, n: number): InstrumentSplit {
  if (n === 3 && i === 2) return 'valid';
  return i % 4 === 1 ? 'test' : i % 4 === 3 ? 'valid' : 'train';
}

/** Every program's family and split. */
export function instrumentPrograms(): { program: number; family: number; split: InstrumentSplit }[] {
  return GM_FAMILIES.flatMap((f, family) => f.programs.map((program, i) => ({ program, family, split: splitOfProgramIndex(i, f.programs.length) })));
}

export interface InstrumentsOptions {
  /** Output folder; nsynth-train, nsynth-valid and nsynth-test are written inside. */
  outDir: string;
  /** Notes per instrument (default 24: every pitch class twice). */
  notesPerProgram?: number;
  seed?: number;
  /** SoundFont (default: FluidR3_GM.sf2 from fluid-soundfont-gm). */
  soundfont?: string;
  /** fluidsynth binary (default `fluidsynth`). */
  binary?: string;
  /** Only these splits (default all three; a pre-training corpus needs only train). */
  splits?: readonly InstrumentSplit[];
  /** Only the first n programs of each family (toy sizes in tests). */
  programsPerFamily?: number;
  log?: (m: string) => void;
}

export const SAMPLE_RATE = 16000;
/** Each note: held 3 s, then 1 s for its release; slots are 5 s apart so tails never overlap. */
const HOLD_S = 3, CLIP_S = 4, SLOT_S = 5;

export const SOUNDFONT_CANDIDATES = ['/usr/share/sounds/sf2/FluidR3_GM.sf2', '/usr/share/soundfonts/FluidR3_GM.sf2'];

/** Why the instruments task cannot be made here, or null when it can. */
export function instrumentsUnavailable(binary = 'fluidsynth', soundfont?: string): string | null {
  if (spawnSync(binary, ['--version'], { encoding: 'utf8' }).status !== 0) return `${binary} not found (apt-get install fluidsynth fluid-soundfont-gm)`;
  const sf = soundfont ?? SOUNDFONT_CANDIDATES.find((p) => existsSync(p));
  if (!sf || !existsSync(sf)) return `SoundFont not found (${soundfont ?? SOUNDFONT_CANDIDATES.join(' or ')}; apt-get install fluid-soundfont-gm)`;
  return null;
}

/** The notes of one instrument: pitch classes cycle so each appears equally, octave and velocity random. */
export function planNotes(seed: number, program: number, n: number, keys: readonly [number, number]): MidiNote[] {
  const rng = rngFor(seed, program, hashString('instruments:notes'));
  const start = rng.int(12);
  return Array.from({ length: n }, (_, k) => {
    const pc = (start + k) % 12;
    const cands: number[] = [];
    for (let key = keys[0]; key <= keys[1]; key++) if (key % 12 === pc) cands.push(key);
    return { key: cands[rng.int(cands.length)], velocity: 64 + rng.int(64), start: k * SLOT_S, duration: HOLD_S };
  });
}

export interface InstrumentsSummary { root: string; notes: number; silent: number; bySplit: Record<string, number> }

/**
 * Render the dataset. Each instrument is one fluidsynth call on one MIDI file holding all its notes
 * (loading the 140 MB SoundFont once per note would dominate), cut into 4 s clips afterwards.
 * Notes that come out silent (a key outside an instrument's samples) are left out and counted.
 */
export async function writeInstrumentsDataset(opts: InstrumentsOptions): Promise<InstrumentsSummary> {
  const binary = opts.binary ?? 'fluidsynth';
  const why = instrumentsUnavailable(binary, opts.soundfont);
  if (why) throw new Error(`instruments task: ${why}`);
  const sf = opts.soundfont ?? SOUNDFONT_CANDIDATES.find((p) => existsSync(p))!;
  const perProgram = opts.notesPerProgram ?? 24, seed = opts.seed ?? 0;
  if (!(Number.isInteger(perProgram) && perProgram >= 1)) throw new Error(`instruments task: notes per program must be a positive integer, got ${perProgram}`);
  const splits = new Set(opts.splits ?? ['train', 'valid', 'test']);
  const meta: Record<string, Record<string, Record<string, unknown>>> = { train: {}, valid: {}, test: {} };
  for (const s of splits) await mkdir(join(opts.outDir, `nsynth-${s}`, 'audio'), { recursive: true });
  const tmp = await mkdtemp(join(tmpdir(), 'aasp-instruments-'));
  let silent = 0;
  try {
    for (const { program, family, split } of instrumentPrograms()) {
      if (!splits.has(split)) continue;
      const fam = GM_FAMILIES[family];
      if (opts.programsPerFamily !== undefined && fam.programs.indexOf(program) >= opts.programsPerFamily) continue;
      const notes = planNotes(seed, program, perProgram, fam.keys);
      const mid = join(tmp, `p${program}.mid`), wav = join(tmp, `p${program}.wav`);
      await writeFile(mid, writeMidi({ program, notes }));
      const r = spawnSync(binary, ['-n', '-i', '-q', '-R', '0', '-C', '0', '-g', '0.5', '-r', String(SAMPLE_RATE), '-T', 'wav', '-O', 's16', '-F', wav, sf, mid], { encoding: 'utf8' });
      if (r.status !== 0 || !existsSync(wav)) throw new Error(`fluidsynth failed on program ${program}: ${r.error?.message ?? r.stderr.trim().split('\n').pop() ?? `status ${r.status}`}`);
      const w = readWav(new Uint8Array(await readFile(wav)), wav);
      if (w.sampleRate !== SAMPLE_RATE) throw new Error(`fluidsynth wrote ${w.sampleRate} Hz, asked for ${SAMPLE_RATE}`);
      const mono = mixToMono(w.channels);
      const clipLen = CLIP_S * SAMPLE_RATE;
      for (const [k, note] of notes.entries()) {
        const s0 = Math.round(note.start * SAMPLE_RATE);
        const clip = new Float32Array(clipLen);
        clip.set(mono.subarray(s0, Math.min(mono.length, s0 + clipLen)));
        let peak = 0;
        for (const v of clip) peak = Math.max(peak, Math.abs(v));
        if (peak < 1e-4) { silent++; continue; }
        // Peak-normalised like the proxy tasks, so loudness is no cue to the family.
        for (let i = 0; i < clip.length; i++) clip[i] *= 0.9 / peak;
        const id = `${fam.name}_gm${String(program).padStart(3, '0')}-${String(note.key).padStart(3, '0')}-${String(note.velocity).padStart(3, '0')}-n${String(k).padStart(3, '0')}`;
        await writeFile(join(opts.outDir, `nsynth-${split}`, 'audio', `${id}.wav`), encodeWav(clip, SAMPLE_RATE, 'pcm16'));
        meta[split][id] = {
          note_str: id, sample_rate: SAMPLE_RATE, instrument: program, instrument_str: `gm${String(program).padStart(3, '0')}`,
          instrument_family: family, instrument_family_str: fam.name, instrument_source_str: 'soundfont',
          pitch: note.key, velocity: note.velocity, pitch_class: note.key % 12, pitch_class_str: PITCH_CLASS_NAMES[note.key % 12],
        };
      }
      opts.log?.(`instruments: program ${program} (${fam.name}, ${split}) rendered`);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const bySplit: Record<string, number> = {};
  for (const s of splits) {
    await writeFile(join(opts.outDir, `nsynth-${s}`, 'examples.json'), JSON.stringify(meta[s], null, 1) + '\n');
    bySplit[s] = Object.keys(meta[s]).length;
  }
  return { root: opts.outDir, notes: Object.values(bySplit).reduce((a, b) => a + b, 0), silent, bySplit };
}
