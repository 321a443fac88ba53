/**
 * The SoundFont `instruments` task: the MIDI writer's bytes, the family/split tables (every program
 * in one split, every family in all three), and a toy render through fluidsynth (skipped, saying
 * why, when fluidsynth or the SoundFont is missing) read back by the NSynth reader.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { varLen, writeMidi, TICKS_PER_SECOND } from '../src/data/procedural/midi';
import {
  GM_FAMILIES, instrumentPrograms, instrumentsUnavailable, planNotes, writeInstrumentsDataset,
} from '../src/data/procedural/instruments';
import { readNsynth } from '../src/data/readers/benchmarks';
import { readWav } from '../src/audio/wav-read';

describe('MIDI writer', () => {
  it('encodes variable-length quantities as the SMF spec examples', () => {
    expect(varLen(0)).toEqual([0x00]);
    expect(varLen(0x7f)).toEqual([0x7f]);
    expect(varLen(0x80)).toEqual([0x81, 0x00]);
    expect(varLen(0x2000)).toEqual([0xc0, 0x00]);
    expect(varLen(0x0fffffff)).toEqual([0xff, 0xff, 0xff, 0x7f]);
  });
  it('writes a format-0 file with the program change and note events at the right ticks', () => {
    const b = writeMidi({ program: 42, notes: [{ key: 60, velocity: 100, start: 0, duration: 1 }] });
    expect(String.fromCharCode(...b.slice(0, 4))).toBe('MThd');
    expect([...b.slice(8, 14)]).toEqual([0, 0, 0, 1, 0x01, 0xe0]); // format 0, one track, 480 ticks/quarter
    expect(String.fromCharCode(...b.slice(14, 18))).toBe('MTrk');
    const len = (b[18] << 24) | (b[19] << 16) | (b[20] << 8) | b[21];
    expect(b.length).toBe(22 + len);
    const body = [...b.slice(22)];
    expect(body.slice(7, 10)).toEqual([0x00, 0xc0, 42]); // program change after the tempo event
    expect(body.slice(10, 14)).toEqual([0x00, 0x90, 60, 100]); // note on at tick 0
    expect(body.slice(14, 16)).toEqual(varLen(TICKS_PER_SECOND)); // 1 s later
    expect(body.slice(16, 19)).toEqual([0x80, 60, 0]);
    expect(body.slice(-4)).toEqual([0x00, 0xff, 0x2f, 0x00]);
  });
  it('rejects out-of-range values', () => {
    expect(() => writeMidi({ program: 128, notes: [] })).toThrow(/program 128/);
    expect(() => writeMidi({ program: 0, notes: [{ key: 200, velocity: 1, start: 0, duration: 1 }] })).toThrow(/key 200/);
  });
});

describe('instrument families and splits', () => {
  it('puts every program in one split and every family in all three splits', () => {
    const progs = instrumentPrograms();
    expect(new Set(progs.map((p) => p.program)).size).toBe(progs.length);
    expect(GM_FAMILIES).toHaveLength(12);
    for (let f = 0; f < GM_FAMILIES.length; f++) {
      const splits = new Set(progs.filter((p) => p.family === f).map((p) => p.split));
      expect([...splits].sort(), GM_FAMILIES[f].name).toEqual(['test', 'train', 'valid']);
    }
    expect(progs.find((p) => p.program === 47)).toBeUndefined(); // timpani is no string
    expect(progs.every((p) => p.program < 96)).toBe(true); // no effects, ethnic, percussive or SFX
  });
  it('plans notes that cycle through the pitch classes inside the family range, deterministically', () => {
    const a = planNotes(0, 40, 24, [43, 84]);
    expect(planNotes(0, 40, 24, [43, 84])).toEqual(a);
    const counts = new Array(12).fill(0);
    for (const n of a) { counts[n.key % 12]++; expect(n.key).toBeGreaterThanOrEqual(43); expect(n.key).toBeLessThanOrEqual(84); }
    expect(counts).toEqual(new Array(12).fill(2));
    expect(planNotes(1, 40, 24, [43, 84])).not.toEqual(a);
  });
});

const why = instrumentsUnavailable();
describe('instruments rendering (fluidsynth)', () => {
  it.skipIf(why !== null)(`renders notes in the NSynth layout, split by instrument${why ? ` — skipped: ${why}` : ''}`, { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aasp-instruments-'));
    const s = await writeInstrumentsDataset({ outDir: dir, notesPerProgram: 3, programsPerFamily: 2 });
    // Programs 0 and 1 of each family: index 0 is train, index 1 test; no valid programs at this size.
    expect(s.bySplit.train + s.silent).toBe(12 * 3);
    expect(s.bySplit.test + s.silent).toBeGreaterThanOrEqual(12 * 3 - s.silent);
    expect(s.silent).toBeLessThanOrEqual(3);
    const ds = readNsynth(dir);
    expect(ds.items).toHaveLength(s.notes);
    const trainInst = new Set<string>(), testInst = new Set<string>();
    for (const split of ['train', 'test']) {
      const meta = JSON.parse(readFileSync(join(dir, `nsynth-${split}`, 'examples.json'), 'utf8')) as Record<string, { instrument_str: string; pitch: number; pitch_class_str: string }>;
      for (const [id, m] of Object.entries(meta)) {
        (split === 'train' ? trainInst : testInst).add(m.instrument_str);
        expect(m.pitch_class_str).toBe(['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'][m.pitch % 12]);
        expect(id.startsWith(`${GM_FAMILIES.find((f) => id.startsWith(f.name))!.name}_`)).toBe(true);
      }
    }
    for (const i of testInst) expect(trainInst.has(i)).toBe(false);
    expect(new Set(ds.items.filter((i) => i.split === 'train').map((i) => i.label)).size).toBe(12);
    // A 4 s, 16 kHz clip whose sound is held (energy in the middle) and then released (quiet end).
    const item = ds.items.find((i) => i.split === 'train' && i.label === 'organ')!;
    const w = readWav(new Uint8Array(readFileSync(item.path)), item.path);
    expect(w.sampleRate).toBe(16000);
    expect(w.channels[0].length).toBe(64000);
    const rms = (a: number, b: number) => Math.sqrt(w.channels[0].subarray(a, b).reduce((s, v) => s + v * v, 0) / (b - a));
    expect(rms(16000, 32000)).toBeGreaterThan(0.05);
    expect(rms(60000, 64000)).toBeLessThan(0.1 * rms(16000, 32000));
  });
});
