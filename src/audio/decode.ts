/**
 * Bytes → mono float samples for WAV, FLAC, MP3 and Ogg Vorbis. The format is sniffed from the
 * bytes, never trusted from the file extension, because corpora routinely contain mislabelled files.
 * Platform-neutral (no node: imports) so the browser bundle can use it; file access is in load.ts.
 */
import { AudioDecodeError } from './errors';
import { isWav, readWav } from './wav-read';
import { checkFlacComplete, checkMp3Complete, checkOggComplete } from './container-check';

export { AudioDecodeError } from './errors';

/** Mono audio at its native sample rate. */
export interface DecodedAudio {
  samples: Float32Array;
  sampleRate: number;
}

/** Container formats we can decode. */
export type AudioFormat = 'wav' | 'flac' | 'mp3' | 'ogg-vorbis';

function ascii(b: Uint8Array, off: number, n: number): string {
  let s = '';
  for (let i = 0; i < n && off + i < b.length; i++) s += String.fromCharCode(b[off + i]);
  return s;
}

/** Length of a leading ID3v2 tag (header + body + optional footer), or 0 if there is none. */
function id3Length(b: Uint8Array): number {
  if (b.length < 10 || ascii(b, 0, 3) !== 'ID3') return 0;
  // Syncsafe integer: 7 bits per byte so the tag size never looks like an MPEG sync word.
  const size = ((b[6] & 0x7f) << 21) | ((b[7] & 0x7f) << 14) | ((b[8] & 0x7f) << 7) | (b[9] & 0x7f);
  const footer = b[5] & 0x10 ? 10 : 0;
  return 10 + size + footer;
}

/** Is there an MPEG audio frame header at `off` (sync, valid version, layer, bitrate and rate)? */
function isMpegFrame(b: Uint8Array, off: number): boolean {
  if (off + 4 > b.length) return false;
  if (b[off] !== 0xff || (b[off + 1] & 0xe0) !== 0xe0) return false;
  const version = (b[off + 1] >> 3) & 3;
  const layer = (b[off + 1] >> 1) & 3;
  const bitrate = b[off + 2] >> 4;
  const rate = (b[off + 2] >> 2) & 3;
  return version !== 1 && layer !== 0 && bitrate !== 15 && rate !== 3;
}

/**
 * Identify the container from its first bytes.
 * @throws AudioDecodeError naming what was found when it is not a supported format.
 */
export function sniffFormat(b: Uint8Array, name: string): AudioFormat {
  if (b.length === 0) throw new AudioDecodeError(name, 'empty file (0 bytes)');
  if (isWav(b)) return 'wav';
  if (ascii(b, 0, 4) === 'RIFF' && b.length < 12) throw new AudioDecodeError(name, `truncated: ${b.length} bytes, shorter than a RIFF header`);
  if (ascii(b, 0, 4) === 'RIFF') throw new AudioDecodeError(name, `unknown format: RIFF file of type '${ascii(b, 8, 4)}', not WAVE`);
  if (ascii(b, 0, 4) === 'fLaC') return 'flac';
  if (ascii(b, 0, 4) === 'OggS') {
    // The first page holds the codec's identification header right after the page header.
    const head = ascii(b, 0, Math.min(b.length, 128));
    if (head.includes('\x01vorbis')) return 'ogg-vorbis';
    if (head.includes('OpusHead')) throw new AudioDecodeError(name, 'unsupported format: Ogg Opus (only Ogg Vorbis is supported)');
    if (head.includes('fLaC')) throw new AudioDecodeError(name, 'unsupported format: Ogg FLAC (use native .flac)');
    if (b.length < 28) throw new AudioDecodeError(name, `truncated: ${b.length} bytes, shorter than an Ogg page header`);
    throw new AudioDecodeError(name, 'unsupported format: Ogg stream with an unknown codec');
  }
  const skip = id3Length(b);
  if (skip > 0) {
    if (skip >= b.length) throw new AudioDecodeError(name, 'truncated: ID3 tag with no audio after it');
    if (ascii(b, skip, 4) === 'fLaC') return 'flac';
    if (isMpegFrame(b, skip)) return 'mp3';
    throw new AudioDecodeError(name, 'unknown format: ID3 tag not followed by MPEG or FLAC audio');
  }
  if (isMpegFrame(b, 0)) return 'mp3';
  const printable = ascii(b, 0, 8).replace(/[^\x20-\x7e]/g, '.');
  throw new AudioDecodeError(name, `unknown format: not WAV, FLAC, MP3 or Ogg Vorbis (starts with "${printable}")`);
}

/** Average channels into one; a single channel is returned as-is (no copy). */
export function mixToMono(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const n = Math.min(...channels.map((c) => c.length));
  const out = new Float32Array(n);
  const inv = 1 / channels.length;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const c of channels) s += c[i];
    out[i] = s * inv;
  }
  return out;
}

/** Throws if any sample is NaN or ±Inf, reporting where the first bad one is. */
export function assertFinite(x: Float32Array, name: string): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new AudioDecodeError(name, `contains NaN/Inf (first at sample ${i}: ${x[i]})`);
    }
  }
}

interface WasmResult {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors: { message: string }[];
}

function checkWasmResult(r: WasmResult, fmt: string, name: string): Float32Array[] {
  if (r.errors.length > 0) {
    const e = r.errors[0];
    throw new AudioDecodeError(name, `corrupt ${fmt} data: ${e.message}${r.errors.length > 1 ? ` (+${r.errors.length - 1} more errors)` : ''}`);
  }
  if (r.samplesDecoded === 0 || r.channelData.length === 0) {
    throw new AudioDecodeError(name, `zero samples decoded from ${fmt} (truncated or empty stream)`);
  }
  if (!(r.sampleRate > 0)) throw new AudioDecodeError(name, `${fmt} stream has no valid sample rate`);
  return r.channelData.map((c) => c.subarray(0, r.samplesDecoded));
}

async function decodeCompressed(b: Uint8Array, format: Exclude<AudioFormat, 'wav'>, name: string): Promise<{ channels: Float32Array[]; sampleRate: number }> {
  // Imported lazily so WAV-only users never compile the WASM modules.
  let decoder: { ready: Promise<void>; free: () => void } | null = null;
  // A cut file decodes quietly up to the cut: its container must say whether audio is missing.
  if (format === 'ogg-vorbis') checkOggComplete(b, name);
  if (format === 'mp3') checkMp3Complete(b, id3Length(b), isMpegFrame, name);
  try {
    let r: WasmResult;
    if (format === 'flac') {
      const { FLACDecoder } = await import('@wasm-audio-decoders/flac');
      const d = new FLACDecoder();
      decoder = d;
      await d.ready;
      r = await d.decodeFile(b);
    } else if (format === 'mp3') {
      const { MPEGDecoder } = await import('mpg123-decoder');
      const d = new MPEGDecoder();
      decoder = d;
      await d.ready;
      r = d.decode(b);
    } else {
      const { OggVorbisDecoder } = await import('@wasm-audio-decoders/ogg-vorbis');
      const d = new OggVorbisDecoder();
      decoder = d;
      await d.ready;
      r = await d.decodeFile(b);
    }
    const channels = checkWasmResult(r, format.toUpperCase(), name);
    if (format === 'flac') checkFlacComplete(b, id3Length(b), r.samplesDecoded, name);
    return { channels, sampleRate: r.sampleRate };
  } catch (e) {
    if (e instanceof AudioDecodeError) throw e;
    throw new AudioDecodeError(name, `corrupt ${format.toUpperCase()} data: ${(e as Error)?.message ?? String(e)}`);
  } finally {
    decoder?.free();
  }
}

/**
 * Decode a whole audio file held in memory to mono float32 at its native rate.
 * @param bytes the file contents
 * @param nameForErrors path or label used in error messages
 * @throws AudioDecodeError (empty, truncated, unknown format, zero samples, NaN/Inf, corrupt stream)
 */
export async function decodeAudio(bytes: Uint8Array, nameForErrors: string): Promise<DecodedAudio> {
  const format = sniffFormat(bytes, nameForErrors);
  let channels: Float32Array[];
  let sampleRate: number;
  if (format === 'wav') {
    ({ channels, sampleRate } = readWav(bytes, nameForErrors));
  } else {
    ({ channels, sampleRate } = await decodeCompressed(bytes, format, nameForErrors));
  }
  const samples = mixToMono(channels);
  if (samples.length === 0) throw new AudioDecodeError(nameForErrors, 'zero samples');
  assertFinite(samples, nameForErrors);
  return { samples, sampleRate };
}
