import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAudio } from '../../src/audio/file-io';
import { listDataset } from '../../src/data/datasets';
import { CORPUS_TYPES, ProceduralCorpus, type CorpusType } from '../../src/data/procedural/corpus';
import { genModulated } from '../../src/data/procedural/generators';
import { MODULATION_RATES, PROXY_TASKS } from '../../src/data/procedural/proxy-tasks';
import { writeProxyDataset } from '../../src/data/procedural/proxy-writer';
import { rngFor } from '../../src/data/procedural/seeding';
import { defaultSpeechSynth, hasEspeak, type SpeechSynth } from '../../src/data/procedural/speech';
import { karplusStrong } from '../../src/data/procedural/synth';
import { dominantFrequency, harmonicPitchMidi } from './spectrum';

const tmp = mkdtempSync(join(tmpdir(), 'aasp-proc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const ESPEAK = hasEspeak();

// The first 16 types of seed 42 as drawn before the speech share existed.
const PINNED_TYPES = 'sweep clicks mixture mixture pluck tone pluck modulated modulated speech sweep clicks pluck clicks pluck clicks';

const same = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('procedural corpus', () => {
  // 1.5 s clips keep the test quick; duration does not change the generators' logic.
  const corpus = new ProceduralCorpus({ seed: 42, durationSec: 1.5, speech: null });
  const N = 60;
  const clips = Array.from({ length: N }, (_, i) => corpus.clip(i));

  it('is a pure function of (seed, index): same clip from a fresh corpus, in any order', () => {
    const again = new ProceduralCorpus({ seed: 42, durationSec: 1.5, speech: null });
    for (const i of [37, 0, 59, 12, 12]) expect(same(again.clip(i).samples, clips[i].samples)).toBe(true);
    expect(same(corpus.clip(5).samples, clips[5].samples)).toBe(true);
    const big = corpus.clip(2 ** 40 + 3);
    expect(same(big.samples, corpus.clip(2 ** 40 + 3).samples)).toBe(true);
  });

  it('varies: every type appears, indices and seeds give different clips', () => {
    const types = new Set(clips.map((c) => c.info.type));
    for (const t of CORPUS_TYPES.filter((t) => t !== 'speech')) expect(types.has(t)).toBe(true);
    for (let i = 1; i < N; i++) expect(same(clips[i].samples, clips[i - 1].samples)).toBe(false);
    const other = new ProceduralCorpus({ seed: 43, durationSec: 1.5, speech: null });
    expect(same(other.clip(0).samples, clips[0].samples)).toBe(false);
    // Spectral variety: the dominant frequencies spread over several octaves.
    const doms = clips.map((c) => dominantFrequency(c.samples.subarray(0, 8000), 16000));
    expect(Math.max(...doms) / Math.min(...doms)).toBeGreaterThan(8);
  });

  it('all samples finite, peak in [0.2, 0.95], right length and rate', () => {
    for (const c of clips) {
      expect(c.samples.length).toBe(24000);
      expect(c.sampleRate).toBe(16000);
      let peak = 0, finite = true;
      for (const v of c.samples) {
        finite &&= Number.isFinite(v);
        peak = Math.max(peak, Math.abs(v));
      }
      expect(finite).toBe(true);
      expect(peak).toBeGreaterThanOrEqual(0.2 - 1e-6);
      expect(peak).toBeLessThanOrEqual(0.95 + 1e-6);
    }
  });

  it('defaults to 10 s clips at 16 kHz', () => {
    const c = new ProceduralCorpus({ speech: null, types: ['clicks'] }).clip(3);
    expect(c.samples.length).toBe(160000);
    expect(c.info.type).toBe('clicks');
  });

  it('leaving speech out changes only the clips that would have been speech', () => {
    const fake: SpeechSynth = { synth: (text) => new Float32Array(800 + text.length * 50).fill(0.1) };
    const withSpeech = new ProceduralCorpus({ seed: 42, durationSec: 1.5, speech: fake });
    let speechClips = 0;
    for (let i = 0; i < N; i++) {
      const c = withSpeech.clip(i);
      if (c.info.type === 'speech') speechClips++;
      else if (c.info.type !== 'mixture') expect(same(c.samples, clips[i].samples)).toBe(true);
    }
    expect(speechClips).toBeGreaterThan(0);
  });

  it('without a speech share the draw of types is as it always was (pinned: earlier runs stay reproducible)', () => {
    const fake: SpeechSynth = { synth: (text) => new Float32Array(800 + text.length * 50).fill(0.1) };
    const c = new ProceduralCorpus({ seed: 42, durationSec: 0.25, speech: fake });
    expect(Array.from({ length: 16 }, (_, i) => c.clip(i).info.type).join(' ')).toBe(PINNED_TYPES);
  });

  it('a speech share sets the fraction of speech clips, the other types sharing the rest', () => {
    const fake: SpeechSynth = { synth: (text) => new Float32Array(400 + text.length * 20).fill(0.1) };
    const n = 600;
    const count = (share: number) => {
      const c = new ProceduralCorpus({ seed: 3, durationSec: 0.6, speech: fake, speechShare: share }); // longer than the speech onset (up to 0.5 s)
      const byType = new Map<string, number>();
      for (let i = 0; i < n; i++) { const t = c.clip(i).info.type; byType.set(t, (byType.get(t) ?? 0) + 1); }
      return byType;
    };
    const half = count(0.5);
    // Binomial sd of the fraction at n = 600 is 0.02: ±0.08 is four of them.
    expect(Math.abs((half.get('speech') ?? 0) / n - 0.5)).toBeLessThan(0.08);
    expect(half.size).toBe(CORPUS_TYPES.length); // every other type still appears
    expect(count(0).get('speech')).toBeUndefined();
    expect([...count(1).keys()]).toEqual(['speech']);
    // Deterministic, and the same share from a fresh corpus gives the same clips.
    const a = new ProceduralCorpus({ seed: 3, durationSec: 0.1, speech: fake, speechShare: 0.3 });
    const b = new ProceduralCorpus({ seed: 3, durationSec: 0.1, speech: fake, speechShare: 0.3 });
    for (const i of [0, 5, 77]) expect(same(a.clip(i).samples, b.clip(i).samples)).toBe(true);
  });

  it('a speech share is refused out of [0, 1] or without speech in the corpus', () => {
    expect(() => new ProceduralCorpus({ speech: null, speechShare: 0.3 })).toThrow(/speech share 0\.3 asked for, but the corpus has no speech/);
    expect(() => new ProceduralCorpus({ speech: null, speechShare: 1.5 })).toThrow(/must be in \[0, 1\], got 1\.5/);
    expect(new ProceduralCorpus({ speech: null, speechShare: 0 }).clip(0).info.type).not.toBe('speech');
  });

  it('says once when espeak-ng is missing; a corpus without an engine leaves speech out', () => {
    const msgs: string[] = [];
    expect(defaultSpeechSynth((m) => msgs.push(m), 'espeak-ng-not-installed-here')).toBeNull();
    expect(defaultSpeechSynth((m) => msgs.push(m), 'espeak-ng-not-installed-here')).toBeNull();
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatch(/not found.*no speech/);
    const c = new ProceduralCorpus({ speech: null });
    expect(c.hasSpeech).toBe(false);
    expect(c.types).not.toContain('speech' as CorpusType);
  });

  it.skipIf(!ESPEAK)('with espeak-ng installed, speech clips are deterministic', () => {
    const sp = new ProceduralCorpus({ seed: 7, durationSec: 2, types: ['speech'] });
    expect(sp.hasSpeech).toBe(true);
    const a = sp.clip(1), b = new ProceduralCorpus({ seed: 7, durationSec: 2, types: ['speech'] }).clip(1);
    expect(a.info.type).toBe('speech');
    expect(same(a.samples, b.samples)).toBe(true);
    expect(same(a.samples, sp.clip(2).samples)).toBe(false);
  });
});

describe('generators measure up', () => {
  it('seeded streams differ for neighbouring indices and streams', () => {
    const first = (s: number, i: number, st = 0) => rngFor(s, i, st).nextU32();
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(first(1, i));
    expect(seen.size).toBe(1000);
    expect(first(1, 5, 1)).not.toBe(first(1, 5, 0));
    expect(first(2, 5)).not.toBe(first(1, 5));
  });

  it('Karplus-Strong strings are in tune', () => {
    for (const f of [110, 261.63, 440, 987.77]) {
      const x = karplusStrong(rngFor(0, 1), f, 16000, 16000, 0.998);
      expect(Math.abs(dominantFrequency(x, 16000) / f - 1)).toBeLessThan(0.005);
    }
  });

  it('an AM noise clip carries its modulation rate in the envelope', () => {
    for (const rate of [3, 9.1, 27.6, 48]) {
      const out = new Float32Array(32000);
      genModulated(rngFor(3, Math.round(rate * 10)), out, 16000, { rate, carrier: 'noise' });
      // Envelope: rectify and average over 5 ms blocks → 200 Hz envelope rate.
      const env = new Float32Array(400);
      for (let b = 0; b < 400; b++) { let s = 0; for (let i = 0; i < 80; i++) s += Math.abs(out[b * 80 + i]); env[b] = s / 80; }
      const mean = env.reduce((a, b) => a + b, 0) / env.length;
      expect(Math.abs(dominantFrequency(env.map((v) => v - mean), 200) - rate)).toBeLessThan(0.5);
    }
  });
});

describe('proxy datasets in ESC-50 layout', () => {
  it('the pitch task is read back by the ESC-50 reader with its labels and folds, and is in tune', async () => {
    const root = join(tmp, 'pitch');
    const summary = await writeProxyDataset({ outDir: root, task: 'pitch', perClass: 5, durationSec: 0.5, seed: 1 });
    expect(summary.count).toBe(60);
    const ds = listDataset(root);
    expect(ds.layout).toBe('esc50');
    expect(ds.classes).toEqual(PROXY_TASKS.pitch.classes);
    expect(ds.items).toHaveLength(60);
    expect(ds.missing).toBe(0);
    for (const [c, name] of PROXY_TASKS.pitch.classes.entries()) {
      const of = ds.items.filter((i) => i.label === name);
      expect(of).toHaveLength(5);
      expect(of.map((i) => i.fold).sort()).toEqual([1, 2, 3, 4, 5]);
      for (const it of of) expect(it.path).toMatch(new RegExp(`-A-${c}\\.wav$`));
    }
    // The label is true: a harmonic-summation pitch estimate lands on the labelled pitch class.
    let right = 0;
    for (const item of ds.items) {
      const { samples } = await loadAudio(item.path);
      const pc = ((Math.round(harmonicPitchMidi(samples, 16000)) % 12) + 12) % 12;
      if (PROXY_TASKS.pitch.classes[pc] === item.label) right++;
    }
    expect(right / ds.items.length).toBeGreaterThanOrEqual(0.9);
  }, 60_000);

  it('modulation, timbre and event tasks write readable, deterministic datasets', async () => {
    for (const task of ['modulation', 'timbre', 'event'] as const) {
      const a = join(tmp, `${task}-a`), b = join(tmp, `${task}-b`);
      await writeProxyDataset({ outDir: a, task, perClass: 5, durationSec: 0.5, seed: 9 });
      await writeProxyDataset({ outDir: b, task, perClass: 5, durationSec: 0.5, seed: 9 });
      const da = listDataset(a), db = listDataset(b);
      expect(da.classes).toEqual(PROXY_TASKS[task].classes);
      expect(da.items.length).toBe(5 * PROXY_TASKS[task].classes.length);
      const x = await loadAudio(da.items[7].path), y = await loadAudio(db.items[7].path);
      expect(same(x.samples, y.samples)).toBe(true);
    }
    expect(MODULATION_RATES[0]).toBeCloseTo(3, 10);
    expect(MODULATION_RATES[5]).toBeCloseTo(48, 10);
  }, 60_000);

  it.skipIf(!ESPEAK)('keyword and voice tasks with espeak-ng', async () => {
    for (const task of ['keywords', 'voices'] as const) {
      const root = join(tmp, task);
      await writeProxyDataset({ outDir: root, task, perClass: 5, durationSec: 1, seed: 2 });
      const ds = listDataset(root);
      expect(ds.classes).toEqual(PROXY_TASKS[task].classes);
      expect(ds.items).toHaveLength(5 * PROXY_TASKS[task].classes.length);
    }
  }, 120_000);

  it('speech tasks fail clearly without a speech engine', async () => {
    await expect(writeProxyDataset({ outDir: join(tmp, 'nospeech'), task: 'keywords', perClass: 5, speech: null })).rejects.toThrow(/needs espeak-ng/);
  });
});
