/**
 * The `pretrain` CLI end to end (dist/pretrain.js, built by `node build.mjs`): option and config
 * errors exit with code 2 and one line; same seed → same losses; a run killed with SIGKILL after a
 * checkpoint and resumed continues with exactly the uninterrupted run's losses; SIGTERM writes a
 * checkpoint; the ablation switches run; the checkpoint has the spec's tensor names and metadata.
 * A small JSON config (D 32, one block, 32 mel bands × 64 frames, 2 masks) keeps each run to seconds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from './helpers/fixture-init';

const CLI = 'dist/pretrain.js';
const dir = mkdtempSync(join(tmpdir(), 'aasp-pretrain-'));
const smallCfg = join(dir, 'small.json');
const COMMON = ['--config', smallCfg, '--batch', '2', '--clip-seconds', '1', '--monitor-every', '2', '--plot-every', '2'];

function run(args: string[], timeout = 300_000) {
  const r = spawnSync('node', [CLI, ...args], { encoding: 'utf8', timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Line { step: number; loss: number; loss_pred: number; loss_con: number; lr: number; clips_per_s: number; data_wait_ms: number; step_ms: number; eff_rank?: number; target_std?: number }
const metrics = (out: string): Line[] => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
/** Everything but the timing field. */
const comparable = (ls: Line[]) => ls.map(({ clips_per_s: _t, data_wait_ms: _w, step_ms: _s, ...rest }) => rest);

/** Resumed from the step-1 checkpoint of a 3-step run in another folder: steps 1 and 2 as the uninterrupted run had them. */
function expectResumeFromStep1(out: string, res: string, ls: Line[]): void {
  mkdirSync(res, { recursive: true });
  copyFileSync(join(out, 'checkpoints', 'step-000001.safetensors'), join(res, 'from.safetensors'));
  const r2 = run(['--out', res, '--resume', join(res, 'from.safetensors')]);
  expect(r2.code, r2.stderr).toBe(0);
  expect(comparable(metrics(res)).slice(-2)).toEqual(comparable(ls).slice(1));
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`node build.mjs\` first`);
  writeFileSync(smallCfg, JSON.stringify({ base: 'tiny', D: 32, depth: 1, heads: 2, Dp: 16, predDepth: 1, predHeads: 2, projDim: 16, nMels: 32, cropFrames: 64, masks: 2 }));
});

describe('usage errors exit with code 2 and no stack trace', () => {
  // (Option parsing in depth is tested in-process in pretrain-units; these go through the real CLI.)
  const badJson = join(dir, 'bad.json'), badRel = join(dir, 'rel.json');
  beforeAll(() => {
    writeFileSync(badJson, '{"D": 32,');
    writeFileSync(badRel, '{"D": 30, "heads": 4}');
    mkdirSync(join(dir, 'emptyaudio'), { recursive: true });
  });
  const cases: [string, string[], RegExp][] = [
    ['unknown option', ['--bogus'], /unknown option --bogus/],
    ['unknown preset/file', ['--config', 'huge'], /not a preset/],
    ['invalid JSON', ['--config', badJson], /not valid JSON/],
    ['inconsistent config', ['--config', badRel], /not divisible by heads/],
    ['missing data', ['--data', join(dir, 'nowhere'), '--steps', '1', '--out', join(dir, 'o1')], /no such file or folder/],
    ['data folder without audio', ['--data', join(dir, 'emptyaudio'), '--steps', '1', '--out', join(dir, 'o2')], /no audio files found/],
    ['resume without checkpoint', ['--resume', '--out', join(dir, 'empty')], /no checkpoint/],
    ['contrastive with one mask', ['--masks', '1'], /at least 2 masks/],
  ];
  for (const [name, args, msg] of cases) {
    it(name, () => {
      const r = run(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
  it('--help exits 0 and lists the options', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    for (const o of ['--config', '--data', '--steps', '--epochs', '--batch', '--lr', '--masks', '--mask-ratio', '--mask-type', '--no-aape', '--no-contrastive', '--seed', '--out', '--resume', '--checkpoint-every']) {
      expect(r.stdout).toContain(o);
    }
  });
});

describe('determinism and resume (spec 7)', () => {
  const A = join(dir, 'A'), B = join(dir, 'B'), C = join(dir, 'C'), K = join(dir, 'K');
  const steps = ['--steps', '4', '--checkpoint-every', '2'];

  it('same seed gives the same losses at every step; another seed differs', { timeout: 600_000 }, () => {
    for (const [out, seed, n] of [[A, '0', '4'], [B, '0', '4'], [C, '1', '1']]) {
      const r = run([...COMMON, '--steps', n, '--checkpoint-every', '2', '--seed', seed, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
    }
    const a = metrics(A);
    expect(a.map((l) => l.step)).toEqual([0, 1, 2, 3]);
    expect(a.every((l) => Number.isFinite(l.loss) && l.loss_con > 0)).toBe(true);
    expect(a[0].eff_rank).toBeGreaterThan(1);
    expect(comparable(metrics(B))).toEqual(comparable(a));
    expect(metrics(C)[0].loss).not.toBe(a[0].loss);
    expect(existsSync(join(A, 'loss.svg'))).toBe(true);
    expect(readFileSync(join(A, 'loss.svg'), 'utf8')).toMatch(/^<svg/);
  });

  it('a run killed with SIGKILL after a checkpoint resumes with exactly the same losses', { timeout: 600_000 }, async () => {
    const ck = join(K, 'checkpoints', 'step-000002.safetensors');
    const child = spawn('node', [CLI, ...COMMON, ...steps, '--seed', '0', '--out', K], { stdio: 'ignore' });
    const exited = new Promise<void>((res) => child.on('exit', () => res()));
    const t0 = Date.now();
    while (!existsSync(ck) && Date.now() - t0 < 90_000) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(ck)).toBe(true);
    const r = run(['--out', K, '--resume', ck, '--monitor-every', '2', '--plot-every', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(comparable(metrics(K))).toEqual(comparable(metrics(A)));
    // The final checkpoints agree bit for bit (weights, teacher, moments, generator state).
    const fa = readSafetensors(join(A, 'checkpoints', 'step-000004.safetensors'));
    const fk = readSafetensors(join(K, 'checkpoints', 'step-000004.safetensors'));
    expect(fk.metadata).toEqual(fa.metadata);
    for (const [n, t] of fa.tensors) expect(Buffer.from(fk.tensors.get(n)!.data.buffer).equals(Buffer.from(t.data.buffer)), n).toBe(true);
  });

  it('the checkpoint has the spec names: student, teacher., optim.exp_avg(_sq)., metadata', async () => {
    const f = readSafetensors(join(A, 'checkpoints', 'step-000002.safetensors'));
    const names = [...f.tensors.keys()];
    for (const n of ['patch_embed.proj.weight', 'aape.lambda_enc.band_bias', 'aape.sblu.gain', 'aape.fuse.weight', 'blocks.0.attn.qkv.weight', 'norm.weight',
      'predictor.mask_token', 'predictor.blocks.0.xattn.kv.weight', 'predictor.head.bias', 'proj.fc2.weight',
      'teacher.blocks.0.attn.qkv.weight', 'teacher.aape.sblu.gain', 'teacher.norm.bias',
      'optim.exp_avg.blocks.0.mlp.fc1.weight', 'optim.exp_avg_sq.predictor.mask_token']) expect(names).toContain(n);
    expect(names.some((n) => n.startsWith('teacher.predictor') || n.startsWith('teacher.proj'))).toBe(false);
    expect(f.metadata.step).toBe('2');
    expect(JSON.parse(f.metadata.data_position)).toMatchObject({ epoch: 0, index: 4 });
    expect(f.metadata.rng.split(',')).toHaveLength(4);
    expect(JSON.parse(f.metadata.config)).toMatchObject({ D: 32, depth: 1, nMels: 32 });
  });
});

describe('signals and ablations', () => {
  it('SIGTERM finishes the step, writes a checkpoint and exits 143', { timeout: 600_000 }, async () => {
    const out = join(dir, 'T');
    const child = spawn('node', [CLI, ...COMMON, '--steps', '500', '--checkpoint-every', '0', '--out', out], { stdio: 'ignore' });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const mpath = join(out, 'metrics.jsonl');
    const t0 = Date.now();
    while ((!existsSync(mpath) || readFileSync(mpath, 'utf8').split('\n').length < 3) && Date.now() - t0 < 90_000) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    const n = metrics(out).length;
    expect(n).toBeGreaterThanOrEqual(2);
    expect(existsSync(join(out, 'checkpoints', `step-${String(n).padStart(6, '0')}.safetensors`))).toBe(true);
  });

  it('reconWeight > 0: loss_rec in the metrics and the plot, a `recon` head in the checkpoint, and a resume continues it', { timeout: 600_000 }, () => {
    const cfg = join(dir, 'recon.json'), out = join(dir, 'recon'), res = join(dir, 'recon-resumed');
    writeFileSync(cfg, JSON.stringify({ ...JSON.parse(readFileSync(smallCfg, 'utf8')), reconWeight: 2 }));
    const args = ['--config', cfg, '--batch', '2', '--clip-seconds', '1', '--plot-every', '1', '--steps', '3', '--checkpoint-every', '1'];
    const r = run([...args, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const ls = metrics(out) as (Line & { loss_rec: number })[];
    for (const l of ls) {
      expect(l.loss_rec).toBeGreaterThan(0);
      expect(Math.abs(l.loss - (l.loss_pred + 0.5 * l.loss_con + 2 * l.loss_rec))).toBeLessThan(1e-4 * l.loss);
    }
    expect(readFileSync(join(out, 'loss.svg'), 'utf8')).toContain('loss_rec');
    const f = readSafetensors(join(out, 'checkpoints', 'step-000001.safetensors'));
    expect(f.tensors.get('recon.weight')!.shape).toEqual([256, 32]);
    expect([...f.tensors.keys()]).toContain('optim.exp_avg.recon.bias');
    expect(JSON.parse(f.metadata.config).reconWeight).toBe(2);
    expectResumeFromStep1(out, res, ls);
  });

  it('decorWeight > 0: loss_decor in the metrics, the progress line and the plot; the total adds it; a resume continues it', { timeout: 600_000 }, () => {
    const cfg = join(dir, 'decor.json'), out = join(dir, 'decor'), res = join(dir, 'decor-resumed');
    writeFileSync(cfg, JSON.stringify({ ...JSON.parse(readFileSync(smallCfg, 'utf8')), decorWeight: 3 }));
    const r = run(['--config', cfg, '--batch', '2', '--clip-seconds', '1', '--plot-every', '1', '--steps', '3', '--checkpoint-every', '1', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/, decor \d\.\d{4}\)/);
    const ls = metrics(out) as (Line & { loss_decor: number })[];
    for (const l of ls) {
      expect(l.loss_decor).toBeGreaterThan(0);
      expect(l.loss_decor).toBeLessThanOrEqual(1);
      expect(Math.abs(l.loss - (l.loss_pred + 0.5 * l.loss_con + 3 * l.loss_decor))).toBeLessThan(1e-4 * l.loss);
    }
    expect(readFileSync(join(out, 'loss.svg'), 'utf8')).toContain('loss_decor');
    const f = readSafetensors(join(out, 'checkpoints', 'step-000001.safetensors'));
    expect(JSON.parse(f.metadata.config).decorWeight).toBe(3);
    expectResumeFromStep1(out, res, ls);
  });

  it('shiftPairs > 0: the batch ends with shifted copies (other losses than without), a resume continues it, and a batch too small for the pairs is a usage error', { timeout: 600_000 }, () => {
    const small = JSON.parse(readFileSync(smallCfg, 'utf8'));
    const cfg = join(dir, 'shift.json'), out = join(dir, 'shift'), res = join(dir, 'shift-resumed'), plain = join(dir, 'shift-plain');
    writeFileSync(cfg, JSON.stringify({ ...small, shiftPairs: 1, shiftMaxBands: 4 }));
    const r = run(['--config', cfg, '--batch', '2', '--clip-seconds', '1', '--steps', '3', '--checkpoint-every', '1', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const r0 = run([...COMMON, '--steps', '3', '--out', plain]);
    expect(r0.code, r0.stderr).toBe(0);
    const ls = metrics(out);
    for (const [i, l] of ls.entries()) expect(l.loss, `step ${i}`).not.toBe(metrics(plain)[i].loss);
    const f = readSafetensors(join(out, 'checkpoints', 'step-000001.safetensors'));
    expect(JSON.parse(f.metadata.config).shiftPairs).toBe(1);
    expectResumeFromStep1(out, res, ls);
    const bad = run(['--config', cfg, '--batch', '1', '--steps', '1', '--out', join(dir, 'shift-bad')]);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/shiftPairs 1 needs a batch of at least 2 clips, got 1 \(--batch\)/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('frozen ["patch_embed."]: student and teacher keep the patch projection, the rest trains, a resume continues it; a prefix naming nothing exits 2', { timeout: 600_000 }, () => {
    const small = JSON.parse(readFileSync(smallCfg, 'utf8'));
    const cfg = join(dir, 'frozen.json'), out = join(dir, 'frozen'), res = join(dir, 'frozen-resumed'), plain = join(dir, 'frozen-plain');
    writeFileSync(cfg, JSON.stringify({ ...small, frozen: ['patch_embed.'] }));
    const r = run(['--config', cfg, '--batch', '2', '--clip-seconds', '1', '--steps', '3', '--checkpoint-every', '1', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('frozen at their initial values (config "frozen"): patch_embed.proj.weight, patch_embed.proj.bias');
    expect(run([...COMMON, '--steps', '1', '--out', plain]).code).toBe(0);
    const ck = (o: string, s: number) => readSafetensors(join(o, 'checkpoints', `step-00000${s}.safetensors`)).tensors;
    const [s1, s3, p1] = [ck(out, 1), ck(out, 3), ck(plain, 1)];
    const same = (a: { data: ArrayLike<number> }, b: { data: ArrayLike<number> }) => Array.from(a.data).every((v, i) => v === b.data[i]);
    for (const n of ['patch_embed.proj.weight', 'patch_embed.proj.bias']) {
      expect(same(s1.get(n)!, s3.get(n)!), `${n} kept`).toBe(true);
      expect(same(s3.get(`teacher.${n}`)!, s3.get(n)!), `teacher.${n} kept`).toBe(true);
      expect(Array.from(s3.get(`optim.exp_avg.${n}`)!.data).every((v) => v === 0)).toBe(true);
      expect(same(p1.get(n)!, s1.get(n)!), `${n} trains without "frozen"`).toBe(false);
    }
    expect(same(s1.get('blocks.0.attn.qkv.weight')!, s3.get('blocks.0.attn.qkv.weight')!)).toBe(false);
    expect(same(s1.get('aape.fuse.weight')!, s3.get('aape.fuse.weight')!)).toBe(false);
    expectResumeFromStep1(out, res, metrics(out));
    const badCfg = join(dir, 'frozen-bad.json');
    writeFileSync(badCfg, JSON.stringify({ ...small, frozen: ['patch.'] }));
    const bad = run(['--config', badCfg, '--batch', '2', '--steps', '1', '--out', join(dir, 'frozen-bad')]);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr.trim()).toBe(`pretrain: config ${badCfg}: frozen prefix "patch." names no student parameter (they start with patch_embed, aape, blocks, norm, predictor, proj)`);
  });

  it('lrScale: the run names its learning-rate factors; a prefix naming nothing exits 2 with one line', { timeout: 600_000 }, () => {
    const small = JSON.parse(readFileSync(smallCfg, 'utf8'));
    const cfg = join(dir, 'lr-scale.json'), badCfg = join(dir, 'lr-scale-bad.json');
    writeFileSync(cfg, JSON.stringify({ ...small, lrScale: { 'patch_embed.': 3, 'blocks.0.': 3 } }));
    const r = run(['--config', cfg, '--batch', '2', '--clip-seconds', '1', '--steps', '1', '--out', join(dir, 'lr-scale')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/learning-rate factors \(config "lrScale"\): patch_embed\.\* ×3, blocks\.0\.\* ×3 \(\d+ of \d+ student parameters\)/);
    writeFileSync(badCfg, JSON.stringify({ ...small, lrScale: { 'block.0.': 3 } }));
    const bad = run(['--config', badCfg, '--batch', '2', '--steps', '1', '--out', join(dir, 'lr-scale-bad')]);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr.trim()).toBe(`pretrain: config ${badCfg}: lrScale prefix "block.0." names no student parameter (they start with patch_embed, aape, blocks, norm, predictor, proj)`);
  });

  it('--no-aape (with the GPU front end) and --no-contrastive (with inverse-block masks) run', { timeout: 600_000 }, () => {
    const na = join(dir, 'noaape'), nc = join(dir, 'nocon');
    expect(run([...COMMON, '--steps', '1', '--no-aape', '--features', 'gpu', '--out', na]).code).toBe(0);
    expect(run([...COMMON, '--steps', '1', '--no-contrastive', '--mask-type', 'inverse-block', '--out', nc]).code).toBe(0);
    const fa = readSafetensors(join(na, 'checkpoints', 'step-000001.safetensors'));
    expect([...fa.tensors.keys()].some((n) => n.includes('aape.'))).toBe(false);
    expect(metrics(nc).every((l) => l.loss_con === 0 && l.loss === l.loss_pred)).toBe(true);
    // Ablations draw their data from the run generator, not after the model's init: same corpus.
    const data = (out: string) => JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).data as string;
    expect(data(na)).toBe(data(nc));
    expect(data(na)).toMatch(/procedural corpus \(seed \d+/);
  });

  it('--profile times every kernel of one step; metrics carry the data wait and step time', { timeout: 600_000 }, () => {
    const out = join(dir, 'prof');
    const r = run([...COMMON, '--steps', '2', '--profile', '1', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(readFileSync(join(out, 'profile.json'), 'utf8')) as { step: number; total_ms: number; kernels: { kernel: string; ms: number; count: number }[] };
    expect(p.step).toBe(1);
    expect(p.kernels.length).toBeGreaterThan(10);
    expect(p.kernels.some((k) => k.kernel.startsWith('matmul'))).toBe(true);
    expect(p.kernels.every((k) => k.ms >= 0 && k.count >= 1)).toBe(true);
    expect(Math.abs(p.kernels.reduce((a, k) => a + k.ms, 0) - p.total_ms)).toBeLessThan(1e-6 * p.total_ms + 1e-9);
    expect(p.total_ms).toBeGreaterThan(0);
    expect(r.stdout + r.stderr).toMatch(/profile of step 1: [\d.]+ GPU-ms in \d+ dispatches/);
    for (const l of metrics(out)) {
      expect(l.data_wait_ms).toBeGreaterThanOrEqual(0);
      expect(l.step_ms).toBeGreaterThanOrEqual(l.data_wait_ms);
    }
  });

  it('--mix-data: the corpus with a share of clips from a dataset; the run records both and a resume keeps them', { timeout: 600_000 }, () => {
    const data = join(dir, 'mixaudio');
    mkdirSync(data, { recursive: true });
    for (const f of ['s16_16k.wav', 'tone_16k.flac']) copyFileSync(join('test/fixtures/audio/decode', f), join(data, f));
    const out = join(dir, 'MIX');
    const r = run([...COMMON, '--mix-data', data, '--mix-share', '0.5', '--steps', '1', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const runJson = () => JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(runJson().run).toMatchObject({ mixData: data, mixShare: 0.5 });
    expect(runJson().data).toMatch(/^procedural corpus .*, with a share 0\.5 of its clips from the folder dataset at .*mixaudio \(2 files\)/);
    // Corpus synthesis and decoding share one pool of worker threads, named once.
    expect(runJson().data.match(/worker threads?|main thread/g)).toHaveLength(1);
    const more = run(['--out', out, '--resume', '--steps', '2']);
    expect(more.code, more.stderr).toBe(0);
    expect(runJson().run).toMatchObject({ mixData: data, mixShare: 0.5, totalSteps: 2 });
    const bad = run([...COMMON, '--mix-data', join(dir, 'nowhere'), '--mix-share', '0.5', '--steps', '1', '--out', join(dir, 'MIX2')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/nowhere.*no such file or folder/);
  });

  it('--data folder with --epochs: bad files are skipped and counted, epochs wrap', { timeout: 600_000 }, () => {
    const data = join(dir, 'audio');
    mkdirSync(data, { recursive: true });
    for (const f of ['s16_16k.wav', 'tone_16k.flac', 'stereo_8k.wav']) copyFileSync(join('test/fixtures/audio/decode', f), join(data, f));
    writeFileSync(join(data, 'broken.wav'), 'RIFF....WAVEnot really');
    const out = join(dir, 'D');
    const r = run([...COMMON, '--data', data, '--epochs', '1.5', '--monitor-every', '1', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/skipping .*broken\.wav/);
    const m = metrics(out) as (Line & { skipped: number })[];
    expect(m).toHaveLength(3); // ceil(1.5 · 4 files / batch 2)
    expect(m[m.length - 1].skipped).toBeGreaterThanOrEqual(1);
  });
});
