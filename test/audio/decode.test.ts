import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AudioDecodeError, decodeAudio, sniffFormat } from '../../src/audio/decode';
import { loadAudio } from '../../src/audio/file-io';
import { encodeWav } from '../../src/audio/wav-write';
import { dominantFrequency, fitSine, peakAmplitude } from './spectrum';

const DIR = fileURLToPath(new URL('../fixtures/audio/decode/', import.meta.url));
const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(DIR + name));

async function expectDecodeError(b: Uint8Array, reason: RegExp): Promise<void> {
  const err = await decodeAudio(b, 'x.wav').then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AudioDecodeError);
  expect((err as AudioDecodeError).path).toBe('x.wav');
  expect((err as AudioDecodeError).reason).toMatch(reason);
}

// Fixtures come from scripts/fixtures/make_decode_fixtures.sh (sox, flac, lame, oggenc):
// a 1000 Hz sine at amplitude 0.5, except the stereo file (500 Hz left, 1500 Hz right).
const MONO_CASES: { file: string; rate: number; seconds: number; tol: number; lengthSlack?: number }[] = [
  { file: 's16_16k.wav', rate: 16000, seconds: 0.3, tol: 1e-3 },
  { file: 's24_8k.wav', rate: 8000, seconds: 0.3, tol: 1e-3 },
  { file: 's32_8k.wav', rate: 8000, seconds: 0.2, tol: 1e-3 },
  { file: 'u8_8k.wav', rate: 8000, seconds: 0.3, tol: 0.01 },
  { file: 'f32_8k.wav', rate: 8000, seconds: 0.3, tol: 1e-3 },
  { file: 'f64_8k.wav', rate: 8000, seconds: 0.2, tol: 1e-3 },
  { file: 'tone_16k.flac', rate: 16000, seconds: 0.3, tol: 1e-3 },
  // Lossy codecs: encoder delay/padding changes the length a little and the waveform more.
  { file: 'tone_44k.mp3', rate: 44100, seconds: 0.3, tol: -1, lengthSlack: 0.05 },
  { file: 'tone_22k.ogg', rate: 22050, seconds: 0.3, tol: -1, lengthSlack: 0.01 },
];

describe('decodeAudio on files from independent encoders', () => {
  for (const c of MONO_CASES) {
    it(`${c.file}: rate, length and the 1 kHz tone`, async () => {
      const { samples, sampleRate } = await decodeAudio(bytes(c.file), c.file);
      expect(sampleRate).toBe(c.rate);
      const expectedLen = Math.round(c.rate * c.seconds);
      if (c.lengthSlack === undefined) expect(samples.length).toBe(expectedLen);
      else expect(Math.abs(samples.length - expectedLen)).toBeLessThanOrEqual(c.lengthSlack * c.rate);
      expect(Math.abs(dominantFrequency(samples, c.rate) - 1000)).toBeLessThan(5);
      const amp = peakAmplitude(samples.subarray(samples.length >> 3, samples.length - (samples.length >> 3)), c.rate);
      expect(amp).toBeGreaterThan(0.45);
      expect(amp).toBeLessThan(0.55);
      if (c.tol > 0) {
        // Lossless: the samples are a 1 kHz sinusoid of amplitude 0.5 up to quantisation; a wrong
        // scale, byte order or sign convention would leave a large residual. (sox's synth starts
        // with a short band-limiting transient, hence the 32 skipped samples.)
        const fit = fitSine(samples, c.rate, 1000, 32);
        expect(Math.abs(fit.amplitude - 0.5)).toBeLessThan(0.005);
        expect(fit.residualRms).toBeLessThan(c.tol);
      }
    });
  }

  it('stereo_8k.wav is mixed down by averaging the channels', async () => {
    const { samples, sampleRate } = await decodeAudio(bytes('stereo_8k.wav'), 'stereo');
    expect(sampleRate).toBe(8000);
    expect(samples.length).toBe(2400);
    // Each channel's sine at 0.5 contributes 0.25 after averaging.
    expect(peakAmplitude(samples, 8000, 450, 550)).toBeCloseTo(0.25, 2);
    expect(peakAmplitude(samples, 8000, 1450, 1550)).toBeCloseTo(0.25, 2);
    expect(peakAmplitude(samples, 8000, 700, 1300)).toBeLessThan(0.01);
  });

  it('sniffs formats from bytes, not names', () => {
    expect(sniffFormat(bytes('tone_16k.flac'), 'a.wav')).toBe('flac');
    expect(sniffFormat(bytes('tone_44k.mp3'), 'a.wav')).toBe('mp3');
    expect(sniffFormat(bytes('tone_22k.ogg'), 'a.wav')).toBe('ogg-vorbis');
    expect(sniffFormat(bytes('s24_8k.wav'), 'a.mp3')).toBe('wav');
  });

  it('loadAudio resamples every format to 16 kHz and keeps the tone', async () => {
    for (const f of ['s24_8k.wav', 'tone_44k.mp3', 'tone_22k.ogg', 'tone_16k.flac']) {
      const { samples, sampleRate } = await loadAudio(DIR + f);
      expect(sampleRate).toBe(16000);
      expect(samples.length).toBeGreaterThan(0.28 * 16000);
      expect(samples.length).toBeLessThan(0.36 * 16000);
      expect(Math.abs(dominantFrequency(samples, 16000) - 1000)).toBeLessThan(5);
    }
  });
});

describe('WAV chunk parsing and errors', () => {
  const tone = new Float32Array(800).map((_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / 8000));

  it('skips unknown chunks, including an odd-sized one with its pad byte', async () => {
    const plain = encodeWav(tone, 8000, 'pcm16');
    // Insert a 3-byte 'junk' chunk (+1 pad byte) between fmt and data.
    const extra = new Uint8Array([0x6a, 0x75, 0x6e, 0x6b, 3, 0, 0, 0, 1, 2, 3, 0]);
    const b = new Uint8Array(plain.length + extra.length);
    b.set(plain.subarray(0, 36));
    b.set(extra, 36);
    b.set(plain.subarray(36), 36 + extra.length);
    new DataView(b.buffer).setUint32(4, b.length - 8, true);
    const { samples } = await decodeAudio(b, 'x.wav');
    expect(samples.length).toBe(800);
    for (let i = 0; i < 800; i++) expect(Math.abs(samples[i] - tone[i])).toBeLessThan(1 / 32768 + 1e-7);
  });

  it('round-trips float32 exactly', async () => {
    const { samples, sampleRate } = await decodeAudio(encodeWav(tone, 8000, 'float32'), 'x.wav');
    expect(sampleRate).toBe(8000);
    expect(Array.from(samples)).toEqual(Array.from(tone));
  });

  it('reports each kind of bad input with a reason', async () => {
    const good = encodeWav(tone, 8000, 'pcm16');
    await expectDecodeError(new Uint8Array(0), /empty file/);
    await expectDecodeError(good.subarray(0, 8), /truncated/);
    await expectDecodeError(good.subarray(0, 500), /truncated: data chunk declares 1600 bytes, 456 present/);
    await expectDecodeError(good.subarray(0, 30), /truncated: 'fmt ' chunk/);
    await expectDecodeError(new TextEncoder().encode('hello, this is not audio at all\n'), /unknown format.*"hello, t"/);
    await expectDecodeError(encodeWav(new Float32Array(0), 8000), /zero samples/);
    const nan = tone.slice();
    nan[123] = NaN;
    await expectDecodeError(encodeWav(nan, 8000, 'float32'), /NaN\/Inf \(first at sample 123/);
    const inf = tone.slice();
    inf[7] = Infinity;
    await expectDecodeError(encodeWav(inf, 8000, 'float32'), /NaN\/Inf/);
    const avi = good.slice();
    avi.set([0x41, 0x56, 0x49, 0x20], 8);
    await expectDecodeError(avi, /RIFF file of type 'AVI '/);
  });

  it('reports corrupt or truncated compressed streams', async () => {
    const flac = bytes('tone_16k.flac');
    await expectDecodeError(flac.subarray(0, 30), /FLAC/);
    const ogg = bytes('tone_22k.ogg');
    await expectDecodeError(ogg.subarray(0, 20), /truncated|Ogg|OGG/);
  });

  it('loadAudio names the path for a missing file', async () => {
    const err = await loadAudio('/nonexistent/dir/a.wav').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(AudioDecodeError);
    expect((err as AudioDecodeError).message).toContain('/nonexistent/dir/a.wav');
    expect((err as AudioDecodeError).reason).toMatch(/cannot read: ENOENT/);
  });
});
