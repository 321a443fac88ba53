/**
 * File-system side of the audio front end (Node only), kept apart so that the decoders stay usable
 * in the browser bundle: load = read, decode, mix to mono, resample; and WAV writing.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { decodeAudio, type DecodedAudio } from './decode';
import { AudioDecodeError } from './errors';
import { resample, type ResampleOptions } from './resample';
import { encodeWav, type WavEncoding } from './wav-write';

/**
 * Load an audio file as mono float32 at `targetRate` (default 16 kHz, the model's rate).
 * @throws AudioDecodeError for unreadable files as well as undecodable ones, so callers can treat
 *   every per-file failure alike.
 */
export async function loadAudio(path: string, targetRate = 16000, opts: ResampleOptions = {}): Promise<DecodedAudio> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new AudioDecodeError(path, `cannot read: ${err.code ?? err.message}`);
  }
  const { samples, sampleRate } = await decodeAudio(bytes, path);
  const out = resample(samples, sampleRate, targetRate, opts);
  if (out.length === 0) throw new AudioDecodeError(path, 'zero samples after resampling');
  return { samples: out, sampleRate: targetRate };
}

/** Write mono or multi-channel audio as a WAV file, creating parent folders as needed. */
export async function writeWavFile(
  path: string, channels: Float32Array | Float32Array[], sampleRate: number, encoding: WavEncoding = 'pcm16',
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, encodeWav(channels, sampleRate, encoding));
}
