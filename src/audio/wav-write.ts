/**
 * Minimal RIFF/WAVE encoder (platform-neutral): 16-bit PCM for compact corpora, 32-bit float when
 * the exact samples must survive a round trip.
 */

/** Sample encoding of the written file. */
export type WavEncoding = 'pcm16' | 'float32';

/**
 * Encode audio as a WAV file.
 * @param channels one Float32Array per channel (all the same length), or a single mono array
 * @param encoding 'pcm16' rounds to the nearest step and clips to [-1, 1); 'float32' stores as is
 */
export function encodeWav(channels: Float32Array | Float32Array[], sampleRate: number, encoding: WavEncoding = 'pcm16'): Uint8Array {
  const chans = Array.isArray(channels) ? channels : [channels];
  if (chans.length === 0) throw new Error('encodeWav: no channels');
  const frames = chans[0].length;
  if (chans.some((c) => c.length !== frames)) throw new Error('encodeWav: channels differ in length');
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new Error(`encodeWav: bad sample rate ${sampleRate}`);
  const bytesPer = encoding === 'pcm16' ? 2 : 4;
  const nch = chans.length;
  const dataBytes = frames * nch * bytesPer;
  // Float data needs a 'fact' chunk according to the spec; some strict readers insist on it.
  const factBytes = encoding === 'float32' ? 12 : 0;
  const buf = new Uint8Array(44 + factBytes + dataBytes + (dataBytes & 1));
  const v = new DataView(buf.buffer);
  const str = (off: number, s: string): void => { for (let i = 0; i < 4; i++) buf[off + i] = s.charCodeAt(i); };
  str(0, 'RIFF');
  v.setUint32(4, buf.length - 8, true);
  str(8, 'WAVE');
  str(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, encoding === 'pcm16' ? 1 : 3, true);
  v.setUint16(22, nch, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * nch * bytesPer, true);
  v.setUint16(32, nch * bytesPer, true);
  v.setUint16(34, bytesPer * 8, true);
  let off = 36;
  if (factBytes) {
    str(off, 'fact');
    v.setUint32(off + 4, 4, true);
    v.setUint32(off + 8, frames, true);
    off += 12;
  }
  str(off, 'data');
  v.setUint32(off + 4, dataBytes, true);
  off += 8;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < nch; c++) {
      const x = chans[c][i];
      if (encoding === 'pcm16') {
        const q = Math.round(x * 32768);
        v.setInt16(off, q > 32767 ? 32767 : q < -32768 ? -32768 : q, true);
        off += 2;
      } else {
        v.setFloat32(off, x, true);
        off += 4;
      }
    }
  }
  return buf;
}
