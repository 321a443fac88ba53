/**
 * Data and checkpoints under faults (issue 16, items 1-7), in process: folder walks with link loops,
 * duplicate links and unreadable sub-folders; atomic writes on a full disk (ENOSPC injected into the
 * write) and the temporary files that killed writers leave; choosing a checkpoint to resume from
 * when the newest is damaged; the settings a resume keeps; bounded skip reports and an unusable
 * dataset; NaN weights and encoder outputs; truncated FLAC/Ogg/MP3; an --out that cannot be made.
 * The same faults through the real CLIs are in faults-cli.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, type Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listAudioFiles } from '../src/data/fs-walk';
import { listDataset } from '../src/data/datasets';
import { firstNonFinite, removeStaleTemps, tempPathFor, writeSafetensors, type SafeTensor } from '../src/io/safetensors';
import { CHECKPOINT_FORMAT, CheckpointError, CheckpointWriteError, readCheckpoint } from '../src/io/checkpoint';
import { ensureOutDir, resumeCheckpoint, resumedSettings, SkipReport } from '../src/train/run-files';
import { parseArgs, UsageError } from '../src/train/options';
import { DataStream, type ClipSource } from '../src/train/data';
import { DatasetError } from '../src/data/types';
import { decodeAudio } from '../src/audio/decode';
import { AudioDecodeError } from '../src/audio/errors';
import { Rng } from '../src/util/rng';
import { embedClips, type TokenEncoder } from '../src/eval/embed';
import { tensor } from '../src/tensor/tensor';
import { useGpu } from './helpers/gpu';

const dir = mkdtempSync(join(tmpdir(), 'aasp-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const touch = (p: string) => { mkdirSync(join(p, '..'), { recursive: true }); writeFileSync(p, 'RIFF'); };

describe('folder walks (item 1: links; item 5: unreadable sub-folders)', () => {
  it('a link back up the tree is not followed: each file once, and the loop is reported', () => {
    const root = join(dir, 'loop');
    for (const f of ['a.wav', 'b.wav', 'sub/c.wav', 'sub/deeper/d.wav']) touch(join(root, f));
    symlinkSync('..', join(root, 'sub', 'up'));
    symlinkSync('../..', join(root, 'sub', 'deeper', 'top'));
    const notes: string[] = [];
    const ds = listDataset(root, { warn: (m) => notes.push(m) });
    expect(ds.items.map((i) => i.path)).toEqual(['a.wav', 'b.wav', 'sub/c.wav', 'sub/deeper/d.wav'].map((f) => join(root, f)));
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/skipping folder link .*sub\/deeper\/top: it leads back to .*loop, a folder above it \(a loop\)/);
    expect(notes[1]).toMatch(/sub\/up: it leads back to/);
  });

  it('two links to one folder (and a link to a listed file) count it once', () => {
    const other = join(dir, 'other');
    touch(join(other, 'x.wav'));
    touch(join(other, 'y.wav'));
    const root = join(dir, 'dups');
    touch(join(root, 'z.wav'));
    symlinkSync(other, join(root, 'link1'));
    symlinkSync(other, join(root, 'link2'));
    symlinkSync(join(root, 'z.wav'), join(root, 'z-again.wav'));
    const notes: string[] = [];
    const files = listAudioFiles(root, { warn: (m) => notes.push(m) });
    expect(files).toEqual([join(root, 'link1', 'x.wav'), join(root, 'link1', 'y.wav'), join(root, 'z.wav')]);
    expect(notes).toEqual([`skipping folder link ${join(root, 'link2')}: it is the same folder as ${join(root, 'link1')}, already listed`]);
  });

  // Tests run as root, where chmod does not stop reads: the failure is injected into readdir.
  const denyIn = (bad: string) => (d: string): Dirent[] => {
    if (d === bad) throw Object.assign(new Error(`EACCES: permission denied, scandir '${d}'`), { code: 'EACCES' });
    return readdirSync(d, { withFileTypes: true });
  };

  it('an unreadable sub-folder is left out with a note; the rest is listed', () => {
    const root = join(dir, 'locked');
    for (const f of ['a.wav', 'locked/b.wav', 'open/c.wav']) touch(join(root, f));
    const notes: string[] = [];
    const ds = listDataset(root, { warn: (m) => notes.push(m), readdir: denyIn(join(root, 'locked')) });
    expect(ds.items.map((i) => i.path)).toEqual([join(root, 'a.wav'), join(root, 'open', 'c.wav')]);
    expect(notes).toEqual([`skipping folder ${join(root, 'locked')}: cannot read it (EACCES)`]);
  });

  it('an unreadable class folder is left out too; an unreadable dataset folder is a DatasetError', () => {
    const root = join(dir, 'classes');
    for (const f of ['dog/a.wav', 'cat/b.wav', 'cow/c.wav']) touch(join(root, f));
    const notes: string[] = [];
    const ds = listDataset(root, { warn: (m) => notes.push(m), readdir: denyIn(join(root, 'cow')) });
    expect(ds.layout).toBe('class-folders');
    expect(ds.items.map((i) => i.label)).toEqual(['cat', 'dog']);
    expect(notes).toEqual([`skipping folder ${join(root, 'cow')}: cannot read it (EACCES)`]);
    expect(() => listDataset(root, { readdir: denyIn(root) })).toThrow(DatasetError);
    expect(() => listDataset(root, { readdir: denyIn(root) })).toThrow(/cannot read folder: EACCES/);
  });
});

const f32 = (...v: number[]): SafeTensor => ({ dtype: 'F32', shape: [v.length], data: Float32Array.from(v) });
const meta = (step: number, run: object = { totalSteps: 4, batch: 2 }) => ({
  format: CHECKPOINT_FORMAT, step: String(step), data_position: '{"epoch":0,"index":0,"orderSeed":1,"skipped":0}',
  rng: '1,2,3,4', config: '{}', run: JSON.stringify(run),
});

describe('atomic writes on a full disk, stale temporary files (items 3, 4)', () => {
  const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });

  it('a failed write removes its temporary file and leaves the previous file intact', async () => {
    const d = join(dir, 'full');
    mkdirSync(d);
    const path = join(d, 'step-000002.safetensors');
    await writeSafetensors(path, { w: f32(1, 2) });
    const before = readFileSync(path);
    const err = await writeSafetensors(path, { w: f32(3, 4, 5, 6) }, {}, {
      writeBytes: async (fh, bytes) => { await fh.write(bytes.subarray(0, 16)); throw enospc(); },
    }).then(() => null, (e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(readdirSync(d)).toEqual(['step-000002.safetensors']); // no .tmp-PID left behind
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('CheckpointWriteError names the file, says it failed, and names the intact previous checkpoint', () => {
    const e = new CheckpointWriteError('/r/checkpoints/step-000004.safetensors', enospc(), '/r/checkpoints/step-000002.safetensors');
    expect(e.message).toBe('checkpoint not written: /r/checkpoints/step-000004.safetensors: no space left on device (ENOSPC); its temporary file was removed; '
      + 'the previous checkpoint /r/checkpoints/step-000002.safetensors is intact (continue with --resume once there is room)');
    expect(new CheckpointWriteError('/r/c/step-000001.safetensors', enospc(), null).message).toMatch(/no earlier checkpoint of this run exists$/);
  });

  it('removeStaleTemps removes temp files of dead writers only (not this process, not a live one)', async () => {
    const d = join(dir, 'stale');
    mkdirSync(d);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    const live = process.ppid; // the test runner's parent: alive while we run
    const ck = join(d, 'step-000004.safetensors');
    for (const pid of [deadPid, process.pid, live]) writeFileSync(tempPathFor(ck, pid), 'partial');
    writeFileSync(ck, 'done');
    const removed = await removeStaleTemps(d);
    expect(removed).toEqual([tempPathFor(ck, deadPid)]);
    expect(readdirSync(d).sort()).toEqual(['step-000004.safetensors', `step-000004.safetensors.tmp-${live}`, `step-000004.safetensors.tmp-${process.pid}`].sort());
    expect(await removeStaleTemps(join(dir, 'no-such-folder'))).toEqual([]);
  });
});

describe('resuming (items 2, 6)', () => {
  it('--resume passes over a damaged newest checkpoint (torn, NaN) to the newest valid one, saying which and why', async () => {
    const out = join(dir, 'resume');
    const ck = join(out, 'checkpoints');
    mkdirSync(ck, { recursive: true });
    await writeSafetensors(join(ck, 'step-000002.safetensors'), { w: f32(1, 2) }, meta(2));
    await writeSafetensors(join(ck, 'step-000004.safetensors'), { w: f32(1, NaN) }, meta(4));
    await writeSafetensors(join(ck, 'step-000006.safetensors'), { w: f32(1, 2) }, meta(6));
    const whole = readFileSync(join(ck, 'step-000006.safetensors'));
    writeFileSync(join(ck, 'step-000006.safetensors'), whole.subarray(0, whole.length - 3)); // torn
    const lines: string[] = [];
    const r = await resumeCheckpoint('', out, (m) => lines.push(m));
    expect(r.path).toBe(join(ck, 'step-000002.safetensors'));
    expect(r.ck.meta.step).toBe(2);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/passing over a damaged checkpoint: cannot read checkpoint .*step-000006.safetensors: .*tensor w data out of bounds/);
    expect(lines[1]).toMatch(/step-000004.safetensors: tensor w holds NaN at index 1/);
    expect(lines[2]).toBe(`--resume: using ${join(ck, 'step-000002.safetensors')}, the newest valid checkpoint (2 newer ones are damaged)`);
    // All damaged: a CheckpointError (exit 2), not a crash.
    writeFileSync(join(ck, 'step-000002.safetensors'), 'garbage');
    await expect(resumeCheckpoint('', out, () => {})).rejects.toThrow(/none of the 3 checkpoints in .* is valid/);
    // A named file is used as named (no fallback).
    await expect(resumeCheckpoint(join(ck, 'step-000004.safetensors'), out, () => {})).rejects.toBeInstanceOf(CheckpointError);
  });

  it('readCheckpoint refuses NaN/Inf weights, naming the tensor', async () => {
    const p = join(dir, 'nan.safetensors');
    await writeSafetensors(p, { 'blocks.0.attn.qkv.weight': f32(0, 1, Infinity) }, meta(3));
    await expect(readCheckpoint(p)).rejects.toThrow(`${p}: tensor blocks.0.attn.qkv.weight holds Infinity at index 2`);
    expect(firstNonFinite(Float32Array.from([1, 2, NaN]))).toBe(2);
    expect(firstNonFinite(Float32Array.from([1, 2]))).toBe(-1);
  });

  it('a resume keeps the run\'s --checkpoint-every, and a larger --steps extends the run', async () => {
    const p = join(dir, 'settings.safetensors');
    await writeSafetensors(p, { w: f32(1) }, meta(4, { totalSteps: 4, batch: 2, checkpointEvery: 2 }));
    const ck = await readCheckpoint(p);
    const log: string[] = [];
    const plain = resumedSettings(ck, parseArgs(['--resume'])!, (m) => log.push(m));
    expect(plain).toMatchObject({ totalSteps: 4, checkpointEvery: 2 });
    expect(resumedSettings(ck, parseArgs(['--resume', '--checkpoint-every', '3'])!, () => {}).checkpointEvery).toBe(3);
    const longer = resumedSettings(ck, parseArgs(['--resume', '--steps', '10'])!, (m) => log.push(m));
    expect(longer).toMatchObject({ totalSteps: 10, checkpointEvery: 2, batch: 2 });
    expect(log).toEqual(['resuming: total steps 4 -> 10 (the learning-rate and EMA schedules now run to step 10)']);
    expect(() => resumedSettings(ck, parseArgs(['--resume', '--steps', '3'])!, () => {})).toThrow(UsageError);
    // A checkpoint from before checkpointEvery was recorded gets the default.
    const old = { ...ck, meta: { ...ck.meta, run: { totalSteps: 4, batch: 2 } } };
    expect(resumedSettings(old, parseArgs(['--resume'])!, () => {}).checkpointEvery).toBe(500);
  });
});

describe('skipped audio (item 5)', () => {
  it('SkipReport lists the first 10, then counts, and sums up at the end', () => {
    const lines: string[] = [];
    const r = new SkipReport((m) => lines.push(m));
    for (let i = 0; i < 1001; i++) r.add(`skipping item ${i % 40}: bad`);
    r.summary();
    expect(lines).toHaveLength(13);
    expect(lines[10]).toBe('further skipped items are counted, not listed');
    expect(lines.slice(11)).toEqual(['... and 991 more skipped items', 'skipped 1001 unusable audio items in this run (40 distinct)']);
    const none: string[] = [];
    new SkipReport((m) => none.push(m)).summary();
    expect(none).toEqual([]);
  });

  it('a source whose every item fails is a DatasetError (exit 2) once each item has failed', async () => {
    let loads = 0;
    const src: ClipSource = { size: 7, root: '/data/bad', description: 'folder dataset at /data/bad (7 files)', load: async (i) => { loads++; return { skip: `/data/bad/${i}.wav: unknown format` }; } };
    const s = new DataStream(src, () => ({ data: new Float32Array(8), nMels: 2, nFrames: 4 }), 4, { epoch: 0, index: 0, orderSeed: 5, skipped: 0 });
    s.onSkip = () => {};
    const err = await s.nextBatch(2, new Rng(1)).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as Error).message).toMatch(/^\/data\/bad: none of its 7 audio items could be used \(first: \/data\/bad\/\d\.wav: unknown format\)$/);
    expect(loads).toBeLessThanOrEqual(14);
  });
});

describe('truncated compressed audio is rejected like a truncated WAV (item 6)', () => {
  const D = 'test/fixtures/audio/decode/';
  const bytes = (f: string) => new Uint8Array(readFileSync(D + f));
  const reason = async (b: Uint8Array, name: string) => decodeAudio(b, name).then(() => 'decoded', (e: unknown) => (e as AudioDecodeError).reason);

  it('complete files decode in full', async () => {
    for (const f of ['long_16k.flac', 'long_16k.ogg', 'long_16k.mp3', 'tone_16k.flac', 'tone_22k.ogg', 'tone_44k.mp3']) {
      expect(await reason(bytes(f), f), f).toBe('decoded');
    }
    expect((await decodeAudio(bytes('long_16k.flac'), 'x')).samples.length).toBe(48000);
  });

  it('a file cut anywhere is rejected with "truncated: ..."', async () => {
    for (const f of ['long_16k.flac', 'long_16k.ogg', 'long_16k.mp3']) {
      const b = bytes(f);
      for (const n of [b.length - 1, Math.floor(b.length * 0.9), Math.floor(b.length * 0.37)]) {
        expect(await reason(b.subarray(0, n), f), `${f} cut to ${n} of ${b.length} bytes`).toMatch(/^truncated: /);
      }
    }
    const flac = bytes('long_16k.flac');
    expect(await reason(flac.subarray(0, Math.floor(flac.length * 0.9)), 'x')).toMatch(/^truncated: FLAC stream declares 48000 samples, \d+ decoded$/);
    const ogg = bytes('long_16k.ogg');
    expect(await reason(ogg.subarray(0, ogg.length - 1), 'x')).toMatch(/^truncated: Ogg page at byte \d+ needs \d+ bytes, \d+ present$/);
    // Cut exactly between MP3 frames: the Xing/Info header's frame count tells.
    const mp3 = bytes('tone_44k.mp3');
    expect(await reason(mp3.subarray(0, mp3.length - 209), 'x')).toBe('truncated: MP3 Xing/Info header declares 13 frames, 12 present');
  });
});

describe('--out that cannot be made (item 7)', () => {
  it('fails at once with a UsageError naming the folder', () => {
    const t0 = Date.now();
    expect(() => ensureOutDir('/proc/x/y')).toThrow(new UsageError('--out /proc/x/y: cannot create folder /proc/x (ENOENT)'));
    expect(Date.now() - t0).toBeLessThan(1000);
    touch(join(dir, 'afile'));
    expect(() => ensureOutDir(join(dir, 'afile', 'run'))).toThrow(/is not a folder/);
    ensureOutDir(join(dir, 'new', 'deep', 'run'));
    expect(existsSync(join(dir, 'new', 'deep', 'run'))).toBe(true);
    ensureOutDir(join(dir, 'new', 'deep', 'run')); // exists: fine
  });
});

describe('NaN in the encoder output is an error, not an embedding (item 6)', () => {
  useGpu();
  it('embedClips throws naming the clip when the encoder gives NaN', async () => {
    const enc: TokenEncoder = {
      dim: 2, nMels: 16, patch: 16, maxFrames: 608,
      tokens: (x) => { const n = x.shape[2] / 16; return tensor(new Float32Array(x.shape[0] * n * 2).fill(NaN), [x.shape[0], n, 2]); },
    };
    const mel = { data: new Float32Array(16 * 32), nMels: 16, nFrames: 32 };
    await expect(embedClips(enc, [mel, mel])).rejects.toThrow("embed: the encoder's output holds NaN (clip 0): its weights or input are not finite");
  });
});
