/**
 * Is a compressed file complete? The FLAC, MP3 and Ogg Vorbis decoders stop quietly where a file
 * was cut and return the audio before the cut, so a truncated download would enter a dataset as a
 * shorter clip. A truncated WAV is rejected (its data chunk declares its length); these checks give
 * the compressed formats the same treatment, from what their containers declare:
 * - FLAC: STREAMINFO's total sample count against the samples decoded;
 * - Ogg: every page complete, the last one marked end-of-stream;
 * - MP3: every frame complete (lengths from the frame headers), and as many frames as a
 *   Xing/Info header declares.
 * Platform-neutral (bytes in, AudioDecodeError out).
 */
import { AudioDecodeError } from './errors';

const ascii = (b: Uint8Array, off: number, n: number): string => String.fromCharCode(...b.subarray(off, off + n));

/** STREAMINFO's total samples per channel (0: unknown), or null when there is no STREAMINFO. */
export function flacDeclaredSamples(b: Uint8Array, start: number): number | null {
  // "fLaC", then metadata block header (type in the low 7 bits, 3-byte length); STREAMINFO is first.
  const h = start + 4;
  if (b.length < h + 4 + 18 || (b[h] & 0x7f) !== 0) return null;
  const s = h + 4;
  const hi = b[s + 13] & 0x0f;
  const lo = ((b[s + 14] << 24) | (b[s + 15] << 16) | (b[s + 16] << 8) | b[s + 17]) >>> 0;
  return hi * 2 ** 32 + lo;
}

/** Throws when a FLAC stream decoded fewer samples than its STREAMINFO declares. */
export function checkFlacComplete(b: Uint8Array, start: number, decoded: number, name: string): void {
  const declared = flacDeclaredSamples(b, start);
  if (declared && decoded < declared) throw new AudioDecodeError(name, `truncated: FLAC stream declares ${declared} samples, ${decoded} decoded`);
}

/** Throws when an Ogg file ends inside a page or without an end-of-stream page. */
export function checkOggComplete(b: Uint8Array, name: string): void {
  let pos = 0, lastFlags = -1;
  while (pos + 27 <= b.length && ascii(b, pos, 4) === 'OggS') {
    const nseg = b[pos + 26];
    if (pos + 27 + nseg > b.length) break;
    let body = 0;
    for (let i = 0; i < nseg; i++) body += b[pos + 27 + i];
    const len = 27 + nseg + body;
    if (pos + len > b.length) throw new AudioDecodeError(name, `truncated: Ogg page at byte ${pos} needs ${len} bytes, ${b.length - pos} present`);
    lastFlags = b[pos + 5];
    pos += len;
  }
  if (pos < b.length && ascii(b, pos, Math.min(4, b.length - pos)) === 'OggS'.slice(0, Math.min(4, b.length - pos))) {
    throw new AudioDecodeError(name, `truncated: Ogg page at byte ${pos} cut after ${b.length - pos} bytes`);
  }
  if (lastFlags >= 0 && !(lastFlags & 0x04)) throw new AudioDecodeError(name, 'truncated: Ogg stream ends without its end-of-stream page');
}

// Bitrates in kbit/s by [MPEG-1 ? 0 : 1][layer 1..3 - 1][index].
const BITRATES = [
  [
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  ],
  [
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
];
const RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

/** Byte length of the MPEG audio frame whose (valid) header is at `off`; 0 for free-format frames. */
function mpegFrameLength(b: Uint8Array, off: number): number {
  const version = (b[off + 1] >> 3) & 3; // 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5
  const layer = 4 - ((b[off + 1] >> 1) & 3); // 1, 2 or 3
  const kbps = BITRATES[version === 3 ? 0 : 1][layer - 1][b[off + 2] >> 4];
  const rate = RATES[version][(b[off + 2] >> 2) & 3];
  const pad = (b[off + 2] >> 1) & 1;
  if (kbps === 0) return 0;
  if (layer === 1) return Math.floor((12 * kbps * 1000) / rate + pad) * 4;
  const perSlot = layer === 3 && version !== 3 ? 72 : 144;
  return Math.floor((perSlot * kbps * 1000) / rate) + pad;
}

/** Frames a Xing/Info header in the frame at `off` declares, or null. */
function xingFrames(b: Uint8Array, off: number): number | null {
  const mono = b[off + 3] >> 6 === 3;
  const mpeg1 = ((b[off + 1] >> 3) & 3) === 3;
  const at = off + 4 + (mpeg1 ? (mono ? 17 : 32) : mono ? 9 : 17); // after the header and side info
  if (at + 12 > b.length) return null;
  const tag = ascii(b, at, 4);
  if (tag !== 'Xing' && tag !== 'Info') return null;
  const flags = ((b[at + 4] << 24) | (b[at + 5] << 16) | (b[at + 6] << 8) | b[at + 7]) >>> 0;
  if (!(flags & 1)) return null;
  return ((b[at + 8] << 24) | (b[at + 9] << 16) | (b[at + 10] << 8) | b[at + 11]) >>> 0;
}

/**
 * Throws when an MP3's frames run past the end of the file, or when fewer frames follow a Xing/Info
 * header than it declares. Stops without a verdict at anything it cannot follow (free-format
 * frames, junk between frames): the check must never reject a playable file.
 */
export function checkMp3Complete(b: Uint8Array, start: number, isFrame: (b: Uint8Array, off: number) => boolean, name: string): void {
  let pos = start;
  let declared: number | null = null;
  let frames = 0;
  while (pos + 4 <= b.length && isFrame(b, pos)) {
    const len = mpegFrameLength(b, pos);
    if (len <= 0) return; // free format: no length in the header
    if (pos + len > b.length) throw new AudioDecodeError(name, `truncated: MP3 frame at byte ${pos} needs ${len} bytes, ${b.length - pos} present`);
    if (frames === 0 && declared === null) {
      declared = xingFrames(b, pos);
      if (declared !== null) { pos += len; continue; } // the Xing/Info frame itself carries no audio
    }
    frames++;
    pos += len;
  }
  const tail = b.length - pos;
  if (tail > 0 && tail < 4 && b[pos] === 0xff) throw new AudioDecodeError(name, `truncated: MP3 frame header at byte ${pos} cut after ${tail} bytes`);
  if (pos + 4 > b.length || ascii(b, pos, 3) === 'TAG' || ascii(b, pos, 8) === 'APETAGEX') {
    if (declared !== null && frames < declared) throw new AudioDecodeError(name, `truncated: MP3 Xing/Info header declares ${declared} frames, ${frames} present`);
  }
}
