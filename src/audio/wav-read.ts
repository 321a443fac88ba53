/**
 * A strict RIFF/WAVE reader. Hand-written rather than borrowed so that every malformed file gets a
 * precise reason (which chunk, how many bytes were promised and how many are there).
 */
import { AudioDecodeError } from './errors';

/** Channels as separate planar arrays, values in [-1, 1] for integer formats. */
export interface WavData {
  channels: Float32Array[];
  sampleRate: number;
  /** Bits per sample as stored in the file. */
  bitsPerSample: number;
  /** 'int' for PCM (8-bit unsigned, 16/24/32-bit signed) or 'float' for IEEE float. */
  encoding: 'int' | 'float';
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

function fourcc(b: Uint8Array, off: number): string {
  return String.fromCharCode(b[off], b[off + 1], b[off + 2], b[off + 3]);
}

/** True when the bytes start like a RIFF/WAVE file (used for format sniffing). */
export function isWav(b: Uint8Array): boolean {
  return b.length >= 12 && fourcc(b, 0) === 'RIFF' && fourcc(b, 8) === 'WAVE';
}

interface Fmt {
  format: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bits: number;
}

function parseFmt(b: Uint8Array, off: number, size: number, name: string): Fmt {
  if (size < 16) throw new AudioDecodeError(name, `bad fmt chunk: ${size} bytes, need at least 16`);
  const v = new DataView(b.buffer, b.byteOffset + off, size);
  let format = v.getUint16(0, true);
  const channels = v.getUint16(2, true);
  const sampleRate = v.getUint32(4, true);
  const blockAlign = v.getUint16(12, true);
  let bits = v.getUint16(14, true);
  if (format === WAVE_FORMAT_EXTENSIBLE) {
    if (size < 40) throw new AudioDecodeError(name, `bad fmt chunk: WAVE_FORMAT_EXTENSIBLE needs 40 bytes, got ${size}`);
    // The real format code is the first two bytes of the SubFormat GUID; the container bit depth
    // stays in wBitsPerSample (wValidBitsPerSample only says how many of them carry signal).
    format = v.getUint16(24, true);
  }
  if (channels === 0) throw new AudioDecodeError(name, 'bad fmt chunk: zero channels');
  if (sampleRate === 0) throw new AudioDecodeError(name, 'bad fmt chunk: sample rate 0');
  // Some writers put 24 in wBitsPerSample for 32-bit containers or vice versa; blockAlign is the
  // one field players actually use to step through the data, so trust it for the container size.
  const containerBits = (blockAlign / channels) * 8;
  if (!Number.isInteger(containerBits) || containerBits <= 0) {
    throw new AudioDecodeError(name, `bad fmt chunk: block align ${blockAlign} for ${channels} channels`);
  }
  if (containerBits !== bits && bits > containerBits) {
    throw new AudioDecodeError(name, `bad fmt chunk: ${bits} bits per sample in a ${containerBits}-bit container`);
  }
  bits = containerBits;
  return { format, channels, sampleRate, blockAlign, bits };
}

function decodeSamples(b: Uint8Array, off: number, frames: number, fmt: Fmt, name: string): WavData {
  const { channels: nch, bits } = fmt;
  const out = Array.from({ length: nch }, () => new Float32Array(frames));
  const v = new DataView(b.buffer, b.byteOffset + off, frames * fmt.blockAlign);
  let p = 0;
  if (fmt.format === WAVE_FORMAT_PCM) {
    if (bits === 8) {
      for (let i = 0; i < frames; i++) for (let c = 0; c < nch; c++) out[c][i] = (v.getUint8(p++) - 128) / 128;
    } else if (bits === 16) {
      for (let i = 0; i < frames; i++) for (let c = 0; c < nch; c++, p += 2) out[c][i] = v.getInt16(p, true) / 32768;
    } else if (bits === 24) {
      for (let i = 0; i < frames; i++) {
        for (let c = 0; c < nch; c++, p += 3) {
          const x = v.getUint8(p) | (v.getUint8(p + 1) << 8) | (v.getInt8(p + 2) << 16);
          out[c][i] = x / 8388608;
        }
      }
    } else if (bits === 32) {
      for (let i = 0; i < frames; i++) for (let c = 0; c < nch; c++, p += 4) out[c][i] = v.getInt32(p, true) / 2147483648;
    } else {
      throw new AudioDecodeError(name, `unsupported PCM bit depth ${bits}`);
    }
    return { channels: out, sampleRate: fmt.sampleRate, bitsPerSample: bits, encoding: 'int' };
  }
  if (fmt.format === WAVE_FORMAT_IEEE_FLOAT) {
    if (bits === 32) {
      for (let i = 0; i < frames; i++) for (let c = 0; c < nch; c++, p += 4) out[c][i] = v.getFloat32(p, true);
    } else if (bits === 64) {
      for (let i = 0; i < frames; i++) for (let c = 0; c < nch; c++, p += 8) out[c][i] = v.getFloat64(p, true);
    } else {
      throw new AudioDecodeError(name, `unsupported float bit depth ${bits}`);
    }
    return { channels: out, sampleRate: fmt.sampleRate, bitsPerSample: bits, encoding: 'float' };
  }
  throw new AudioDecodeError(name, `unsupported WAV format code 0x${fmt.format.toString(16)} (only PCM and IEEE float)`);
}

/**
 * Parse a RIFF/WAVE file. Unknown chunks (LIST, fact, cue, ...) are skipped, honouring the RIFF
 * pad byte after odd-sized chunks.
 * @throws AudioDecodeError for truncation, a missing fmt/data chunk, or an unsupported encoding.
 */
export function readWav(b: Uint8Array, name: string): WavData {
  if (b.length === 0) throw new AudioDecodeError(name, 'empty file (0 bytes)');
  if (b.length < 12) throw new AudioDecodeError(name, `truncated: ${b.length} bytes, shorter than a RIFF header`);
  if (!isWav(b)) throw new AudioDecodeError(name, 'not a RIFF/WAVE file');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let fmt: Fmt | null = null;
  let off = 12;
  while (off + 8 <= b.length) {
    const id = fourcc(b, off);
    let size = dv.getUint32(off + 4, true);
    const body = off + 8;
    if (id === 'data') {
      if (!fmt) throw new AudioDecodeError(name, 'data chunk before fmt chunk');
      const available = b.length - body;
      // Streaming writers that cannot seek back leave 0xFFFFFFFF: the data runs to end of file.
      if (size === 0xffffffff) size = available;
      if (size > available) {
        throw new AudioDecodeError(name, `truncated: data chunk declares ${size} bytes, ${available} present`);
      }
      const frames = Math.floor(size / fmt.blockAlign);
      if (frames === 0) throw new AudioDecodeError(name, 'zero samples (empty data chunk)');
      return decodeSamples(b, body, frames, fmt, name);
    }
    if (body + size > b.length) {
      throw new AudioDecodeError(name, `truncated: '${id}' chunk declares ${size} bytes, ${b.length - body} present`);
    }
    if (id === 'fmt ') fmt = parseFmt(b, body, size, name);
    off = body + size + (size & 1);
  }
  if (!fmt) throw new AudioDecodeError(name, 'no fmt chunk');
  throw new AudioDecodeError(name, 'no data chunk (file truncated before the samples?)');
}
