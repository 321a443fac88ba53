/**
 * A minimal Standard MIDI File writer (format 0, one track): enough to drive a SoundFont synthesiser
 * with a program change and a sequence of timed notes. Times are in seconds; the file uses 120 BPM
 * and 480 ticks per quarter note, so one tick is 1/960 s. Platform-neutral.
 */

/** One note on `channel` (0–15): key 0–127, velocity 1–127, start and duration in seconds. */
export interface MidiNote { key: number; velocity: number; start: number; duration: number }

export interface MidiTrack {
  /** GM program 0–127 (set once at time 0). */
  program: number;
  /** Channel 0–15 (9 is the GM percussion channel). */
  channel?: number;
  notes: readonly MidiNote[];
}

const TICKS_PER_QUARTER = 480;
const MICROS_PER_QUARTER = 500000; // 120 BPM
export const TICKS_PER_SECOND = (TICKS_PER_QUARTER * 1e6) / MICROS_PER_QUARTER;

/** MIDI variable-length quantity (7 bits per byte, high bit = more follows). */
export function varLen(n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n > 0x0fffffff) throw new Error(`varLen: ${n} out of range`);
  const bytes = [n & 0x7f];
  for (n >>>= 7; n > 0; n >>>= 7) bytes.unshift((n & 0x7f) | 0x80);
  return bytes;
}

function check(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`midi: ${name} ${v} outside [${lo}, ${hi}]`);
}

/** The bytes of a format-0 SMF playing `track`. */
export function writeMidi(track: MidiTrack): Uint8Array {
  const ch = track.channel ?? 0;
  check('channel', ch, 0, 15);
  check('program', track.program, 0, 127);
  const events: { tick: number; order: number; bytes: number[] }[] = [];
  for (const n of track.notes) {
    check('key', n.key, 0, 127);
    check('velocity', n.velocity, 1, 127);
    if (!(n.start >= 0 && n.duration > 0)) throw new Error(`midi: bad note timing start ${n.start} duration ${n.duration}`);
    const on = Math.round(n.start * TICKS_PER_SECOND), off = Math.round((n.start + n.duration) * TICKS_PER_SECOND);
    // At equal ticks a note-off sorts before a note-on, so a repeated key is released first.
    events.push({ tick: on, order: 1, bytes: [0x90 | ch, n.key, n.velocity] });
    events.push({ tick: off, order: 0, bytes: [0x80 | ch, n.key, 0] });
  }
  events.sort((a, b) => a.tick - b.tick || a.order - b.order);
  const body: number[] = [
    0x00, 0xff, 0x51, 0x03, (MICROS_PER_QUARTER >> 16) & 0xff, (MICROS_PER_QUARTER >> 8) & 0xff, MICROS_PER_QUARTER & 0xff,
    0x00, 0xc0 | ch, track.program,
  ];
  let last = 0;
  for (const e of events) {
    body.push(...varLen(e.tick - last), ...e.bytes);
    last = e.tick;
  }
  body.push(0x00, 0xff, 0x2f, 0x00);
  const u32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  const header = [0x4d, 0x54, 0x68, 0x64, ...u32(6), 0, 0, 0, 1, (TICKS_PER_QUARTER >> 8) & 0xff, TICKS_PER_QUARTER & 0xff];
  return Uint8Array.from([...header, 0x4d, 0x54, 0x72, 0x6b, ...u32(body.length), ...body]);
}
