/**
 * Data and checkpoint faults through the real CLIs (issue 16, items 1-7; dist/*.js, built by
 * `node build.mjs`): an --out that cannot be made, a data folder with a link loop and a bad file,
 * a folder of only bad files, resuming past a damaged checkpoint with stale temporary files around
 * (and extending the run with --steps), a disk that fills up (a small tmpfs, where it can be
 * mounted), and embed.js given NaN weights. The same faults in process: faults-data.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors';

const dir = mkdtempSync(join(tmpdir(), 'aasp-faults-cli-'));
const cfg = join(dir, 'small.json');
const COMMON = ['--config', cfg, '--batch', '2', '--clip-seconds', '1', '--monitor-every', '0', '--plot-every', '0'];
const FIX = 'test/fixtures/audio/decode';

function run(cli: string, args: string[], timeout = 300_000) {
  const r = spawnSync('node', [cli, ...args], { encoding: 'utf8', timeout });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}
const pretrain = (args: string[], timeout?: number) => run('dist/pretrain.js', args, timeout);
const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Warning: '));
const steps = (out: string) => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step as number);

beforeAll(() => {
  if (!existsSync('dist/pretrain.js')) throw new Error('dist/pretrain.js is missing: run `node build.mjs` first');
  writeFileSync(cfg, JSON.stringify({ base: 'tiny', D: 32, depth: 1, heads: 2, Dp: 16, predDepth: 1, predHeads: 2, projDim: 16, nMels: 32, cropFrames: 64, masks: 2 }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pretrain under faults', () => {
  it('--out /proc/x fails at once with one line and exit 2 (item 7)', () => {
    const t0 = Date.now();
    const r = pretrain([...COMMON, '--steps', '1', '--out', '/proc/x/run'], 60_000);
    expect(r.code, r.stderr).toBe(2);
    expect(lines(r.stderr)).toEqual(['pretrain: --out /proc/x/run: cannot create folder /proc/x (ENOENT)']);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('a data folder with a link loop lists each file once; a bad file is skipped and counted at the end (items 1, 5)', { timeout: 300_000 }, () => {
    const data = join(dir, 'loopdata');
    mkdirSync(join(data, 'sub'), { recursive: true });
    copyFileSync(join(FIX, 's16_16k.wav'), join(data, 'a.wav'));
    copyFileSync(join(FIX, 'tone_16k.flac'), join(data, 'sub', 'b.flac'));
    writeFileSync(join(data, 'sub', 'broken.wav'), 'RIFF....WAVEnot really');
    symlinkSync('..', join(data, 'sub', 'up'));
    const out = join(dir, 'loop-run');
    const r = pretrain([...COMMON, '--data', data, '--epochs', '2', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.data).toMatch(/folder dataset at .*loopdata \(3 files\)/);
    expect(run.run.totalSteps).toBe(3); // ceil(2 epochs · 3 files / batch 2), not 533 items
    expect(r.stderr).toContain(`skipping folder link ${join(data, 'sub', 'up')}: it leads back to ${data}, a folder above it (a loop)`);
    expect(r.stderr).toMatch(/skipping item \d: .*broken\.wav: /);
    expect(lines(r.stderr).at(-1)).toMatch(/^skipped \d+ unusable audio items? in this run \(1 distinct\)$/);
  });

  it('an unreadable sub-folder (chmod 000, the run as an unprivileged user) is skipped with a warning (item 5)', { timeout: 300_000 }, (ctx) => {
    // Root reads anything: as root, the run is started as "nobody" (uid 65534), which chmod does stop.
    const asRoot = process.getuid?.() === 0;
    const base = join(dir, 'perm');
    const data = join(base, 'data');
    mkdirSync(join(data, 'locked'), { recursive: true });
    mkdirSync(join(data, 'open'));
    copyFileSync(join(FIX, 's16_16k.wav'), join(data, 'a.wav'));
    copyFileSync(join(FIX, 'tone_16k.flac'), join(data, 'open', 'b.flac'));
    copyFileSync(join(FIX, 's16_16k.wav'), join(data, 'locked', 'c.wav'));
    chmodSync(dir, 0o755);
    chmodSync(base, 0o777);
    chmodSync(join(data, 'locked'), 0o000);
    const out = join(base, 'out');
    // Another user starts with an empty Mesa shader cache (minutes of kernel compilation on
    // lavapipe): give it a copy of ours.
    const cache = join(base, 'cache');
    const ours = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mesa_shader_cache_db');
    if (existsSync(ours)) cpSync(ours, join(cache, 'mesa_shader_cache_db'), { recursive: true });
    if (asRoot) spawnSync('chown', ['-R', '65534:65534', base]);
    const r = spawnSync('node', ['dist/pretrain.js', ...COMMON, '--data', data, '--steps', '1', '--out', out], {
      encoding: 'utf8', timeout: 300_000, ...(asRoot ? { uid: 65534, gid: 65534 } : {}), env: { ...process.env, HOME: base, XDG_CACHE_HOME: cache },
    });
    chmodSync(join(data, 'locked'), 0o755);
    if (asRoot && r.status !== 0 && /EACCES|permission denied/i.test(r.stderr) && !r.stderr.includes('locked')) {
      ctx.skip(`the project files are not readable by uid 65534 here: ${lines(r.stderr).at(-1)}`);
    }
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`skipping folder ${join(data, 'locked')}: cannot read it (EACCES)`);
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).data).toMatch(/\(2 files\)/);
  });

  it('a folder of only bad files: a bounded report and exit 2 (item 5)', { timeout: 300_000 }, () => {
    const data = join(dir, 'allbad');
    mkdirSync(data);
    for (let i = 0; i < 30; i++) writeFileSync(join(data, `bad${String(i).padStart(2, '0')}.wav`), `not audio ${i}`);
    const r = pretrain([...COMMON, '--data', data, '--steps', '5', '--out', join(dir, 'allbad-run')]);
    expect(r.code, r.stderr).toBe(2);
    const ls = lines(r.stderr);
    expect(ls.filter((l) => l.startsWith('skipping item')).length).toBe(10);
    expect(ls).toContain('further skipped items are counted, not listed');
    expect(ls.some((l) => /^\.\.\. and \d+ more skipped items$/.test(l))).toBe(true);
    expect(ls.at(-1)).toMatch(new RegExp(`^pretrain: ${data}: none of its 30 audio items could be used \\(first: .*bad\\d\\d\\.wav: unknown format`));
    expect(ls.length).toBeLessThan(20);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--resume passes over a damaged newest checkpoint, removes stale temp files, keeps --checkpoint-every and extends with --steps (items 2, 3, 6)', { timeout: 600_000 }, () => {
    const out = join(dir, 'resume');
    const ck = join(out, 'checkpoints');
    const first = pretrain([...COMMON, '--steps', '2', '--checkpoint-every', '1', '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    expect(readdirSync(ck).sort()).toEqual(['step-000001.safetensors', 'step-000002.safetensors']);
    const two = readFileSync(join(ck, 'step-000002.safetensors'));
    writeFileSync(join(ck, 'step-000002.safetensors'), two.subarray(0, two.length >> 1)); // torn by hand
    // A dead writer's temp file (a full checkpoint's worth) and a live one's.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(ck, `step-000003.safetensors.tmp-${dead}`), two);
    writeFileSync(join(ck, `step-000003.safetensors.tmp-${process.pid}`), 'a live writer');
    const r = pretrain(['--out', out, '--resume', '--steps', '4', '--monitor-every', '0', '--plot-every', '0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/--resume: passing over a damaged checkpoint: cannot read checkpoint .*step-000002\.safetensors: /);
    expect(r.stderr).toContain(`--resume: using ${join(ck, 'step-000001.safetensors')}, the newest valid checkpoint (1 newer one is damaged)`);
    expect(r.stderr).toContain(`removed 1 temporary file left by an earlier run that did not finish writing: ${join(ck, `step-000003.safetensors.tmp-${dead}`)}`);
    expect(r.stderr).toContain('resuming: total steps 2 -> 4');
    expect(r.stderr).not.toContain('ignoring');
    // --checkpoint-every 1 survived the resume: a checkpoint after every step, up to the new total.
    expect(readdirSync(ck).sort()).toEqual(['step-000001.safetensors', 'step-000002.safetensors', 'step-000003.safetensors', 'step-000004.safetensors', `step-000003.safetensors.tmp-${process.pid}`].sort());
    expect(steps(out)).toEqual([0, 1, 2, 3]);
  });

  it('a full disk: one line naming the checkpoint that failed and the intact previous one; no temp file left (item 4)', { timeout: 300_000 }, (ctx) => {
    const mnt = join(dir, 'tmpfs');
    mkdirSync(mnt);
    // The small model's checkpoints are ~1 MB: room for the first, not the second.
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1600k', 'tmpfs', mnt], { encoding: 'utf8' });
    if (m.status !== 0) ctx.skip(`cannot mount a tmpfs here (${(m.stderr || m.error?.message || '').trim()}); the in-process ENOSPC test covers the write`);
    try {
      const out = join(mnt, 'run');
      const r = pretrain([...COMMON, '--steps', '3', '--checkpoint-every', '1', '--out', out]);
      expect(r.code, r.stderr).toBe(1);
      const ck = join(out, 'checkpoints');
      const ls = lines(r.stderr).filter((l) => l.startsWith('pretrain:'));
      expect(ls).toEqual([`pretrain: failed: checkpoint not written: ${join(ck, 'step-000002.safetensors')}: no space left on device (ENOSPC); its temporary file was removed; `
        + `the previous checkpoint ${join(ck, 'step-000001.safetensors')} is intact (continue with --resume once there is room)`]);
      expect(readdirSync(ck)).toEqual(['step-000001.safetensors']);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
});

describe('embed.js', () => {
  it('refuses a checkpoint with NaN weights: one line naming the tensor, exit 2 (item 6)', { timeout: 300_000 }, async () => {
    const src = join(dir, 'resume', 'checkpoints', 'step-000004.safetensors');
    if (!existsSync(src)) throw new Error('needs the checkpoint of the resume test above');
    const f = await readSafetensors(src);
    (f.tensors.get('norm.weight')!.data as Float32Array)[3] = NaN;
    const bad = join(dir, 'nan.safetensors');
    await writeSafetensors(bad, f.tensors, f.metadata);
    const wav = join(dir, 'clip.wav');
    copyFileSync(join(FIX, 's16_16k.wav'), wav);
    const r = run('dist/embed.js', ['--checkpoint', bad, '--quiet', '--out', join(dir, 'emb.safetensors'), wav]);
    expect(r.code, r.stderr).toBe(2);
    expect(lines(r.stderr)).toEqual([`error: ${bad}: tensor norm.weight holds NaN at index 3`]);
    expect(existsSync(join(dir, 'emb.safetensors'))).toBe(false);
  });
});
