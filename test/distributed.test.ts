/**
 * Data-parallel pre-training over Open MPI, end to end (dist/pretrain.js under mpirun, 2 ranks on
 * this machine's one adapter, the small JSON config of pretrain-cli.test.ts):
 * - 2 ranks × B/2 clips give the 1-rank run's losses and final parameters (global batch B) to float32
 *   reduction tolerance, contrastive loss (it all-gathers the clip embeddings) and reconstruction term included;
 * - a 2-rank checkpoint resumed on 1 rank continues with the 1-rank run's losses;
 * - a rank killed with SIGKILL ends the job non-zero, naming the rank, in bounded time, and the last
 *   checkpoint stays readable; a rank that hangs (SIGSTOP) is named by the watchdog.
 * Skipped, saying why, when mpirun is not installed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from './helpers/fixture-init';

const CLI = 'dist/pretrain.js';
const HAS_MPIRUN = spawnSync('mpirun', ['--version'], { encoding: 'utf8' }).status === 0;
if (!HAS_MPIRUN) console.warn('test/distributed.test.ts: SKIPPED: mpirun not found (apt-get install openmpi-bin libopenmpi3)');

const dir = mkdtempSync(join(tmpdir(), 'aasp-dist-'));
const cfg = join(dir, 'small.json');
// Global batch 4 (2 clips per rank), 2 masks: the contrastive loss has negatives from both ranks.
const COMMON = ['--config', cfg, '--batch', '4', '--clip-seconds', '1', '--monitor-every', '2', '--plot-every', '0'];
// Root in a container needs the two ALLOW variables; 2 ranks on 2 cores need --oversubscribe.
const MPI_ENV = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', OMPI_MCA_rmaps_base_oversubscribe: '1' };
const mpirun = (np: number, args: string[]) => ['mpirun', ['-np', String(np), '--oversubscribe', 'node', CLI, '--distributed', ...args]] as const;

interface Line { step: number; loss: number; loss_pred: number; loss_con: number; loss_rec: number; loss_decor: number; grad_norm: number; ranks?: number; allreduce_ms?: number }
const metrics = (out: string): Line[] => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

function run(cmd: string, args: readonly string[], timeout = 900_000) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout, env: MPI_ENV });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

/** Largest |a − b| over every tensor of two checkpoints (names must match). */
function maxParamDiff(a: string, b: string): { diff: number; name: string } {
  const fa = readSafetensors(a), fb = readSafetensors(b);
  let worst = { diff: 0, name: '' };
  for (const [n, t] of fa.tensors) {
    const u = fb.tensors.get(n);
    expect(u, n).toBeDefined();
    for (let i = 0; i < t.data.length; i++) {
      const d = Math.abs(t.data[i] - u!.data[i]);
      if (!(d <= worst.diff)) worst = { diff: d, name: n }; // NaN lands here too
    }
  }
  return worst;
}

function expectSameLosses(got: Line[], want: Line[]) {
  expect(got.map((l) => l.step)).toEqual(want.map((l) => l.step));
  got.forEach((l, i) => {
    for (const k of ['loss', 'loss_pred', 'loss_con', 'loss_rec', 'loss_decor', 'grad_norm'] as const) {
      expect(Math.abs(l[k] - want[i][k]), `step ${l.step} ${k}: ${l[k]} vs ${want[i][k]}`).toBeLessThanOrEqual(2e-5 * Math.max(1, Math.abs(want[i][k])));
    }
  });
}

/** Start a 2-rank run in the background; resolves the pid of the process with rank `rank`. */
async function rankPid(out: string, rank: number): Promise<number> {
  for (const p of readdirSync('/proc').filter((f) => /^\d+$/.test(f))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (!cmd.includes(CLI) || !cmd.includes(out)) continue;
      const env = readFileSync(`/proc/${p}/environ`, 'utf8').split('\0');
      if (env.includes(`OMPI_COMM_WORLD_RANK=${rank}`)) return Number(p);
    } catch { /* gone meanwhile */ }
  }
  throw new Error(`no process of rank ${rank} for ${out}`);
}

/** Start a 2-rank job in the background, collecting its output. */
function startJob(extra: string[]): { child: ChildProcess; text: () => string; exited: Promise<number | null> } {
  const [cmd, args] = mpirun(2, extra);
  const child = spawn(cmd, args, { env: MPI_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (b) => (text += b));
  child.stderr!.on('data', (b) => (text += b));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, text: () => text, exited };
}

async function untilLines(out: string, n: number, ms: number): Promise<void> {
  const path = join(out, 'metrics.jsonl');
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (existsSync(path) && readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).length >= n) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${path}: fewer than ${n} lines after ${ms} ms`);
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`node build.mjs\` first`);
  writeFileSync(cfg, JSON.stringify({ base: 'tiny', D: 32, depth: 1, heads: 2, Dp: 16, predDepth: 1, predHeads: 2, projDim: 16, nMels: 32, cropFrames: 64, masks: 2, reconWeight: 0.5, decorWeight: 0.5 }));
});

describe.skipIf(!HAS_MPIRUN)('data-parallel pre-training over Open MPI (2 ranks)', () => {
  const A = join(dir, 'one'), B = join(dir, 'two'), C = join(dir, 'resumed');

  it('2 ranks × 2 clips = 1 rank × 4 clips (losses, parameters); a 2-rank checkpoint resumes on 1 rank', { timeout: 1_800_000 }, () => {
    const steps = ['--steps', '4', '--checkpoint-every', '2'];
    const one = run('node', [CLI, ...COMMON, ...steps, '--out', A]);
    expect(one.code, one.out).toBe(0);
    // --dist-check-every 1: the parameter checksum is compared after every step.
    const [cmd, args] = mpirun(2, [...COMMON, ...steps, '--dist-check-every', '1', '--out', B]);
    const two = run(cmd, args);
    expect(two.code, two.out).toBe(0);
    const la = metrics(A), lb = metrics(B);
    expect(lb).toHaveLength(4);
    expect(lb.every((l) => l.ranks === 2 && typeof l.allreduce_ms === 'number')).toBe(true);
    expect(la[0].loss_con).toBeGreaterThan(0); // the contrastive loss is on, so the all-gather is exercised
    expect(la[0].loss_rec).toBeGreaterThan(0); // and the reconstruction term, averaged over ranks with the prediction loss
    expect(la[0].loss_decor).toBeGreaterThan(0); // and the decorrelation term, over the gathered clip embeddings
    expectSameLosses(lb, la);
    // Parameters, teacher and AdamW moments after 4 steps (lr 1e-3: a step moves a weight by ≤ 1e-3).
    const d = maxParamDiff(join(A, 'checkpoints', 'step-000004.safetensors'), join(B, 'checkpoints', 'step-000004.safetensors'));
    expect(d.diff, d.name).toBeLessThanOrEqual(1e-5);

    // Resume the 2-rank run's step-2 checkpoint as a single process.
    mkdirSync(join(C, 'checkpoints'), { recursive: true });
    const ck = join(C, 'checkpoints', 'step-000002.safetensors');
    copyFileSync(join(B, 'checkpoints', 'step-000002.safetensors'), ck);
    const res = run('node', [CLI, '--out', C, '--resume', ck, '--monitor-every', '2', '--plot-every', '0']);
    expect(res.code, res.out).toBe(0);
    expectSameLosses(metrics(C), la.slice(2));
    const d2 = maxParamDiff(join(A, 'checkpoints', 'step-000004.safetensors'), join(C, 'checkpoints', 'step-000004.safetensors'));
    expect(d2.diff, d2.name).toBeLessThanOrEqual(1e-5);

    // And the other way: the 1-rank step-2 checkpoint resumed by 2 ranks.
    const D = join(dir, 'resumed-2');
    mkdirSync(join(D, 'checkpoints'), { recursive: true });
    const ck1 = join(D, 'checkpoints', 'step-000002.safetensors');
    copyFileSync(join(A, 'checkpoints', 'step-000002.safetensors'), ck1);
    const [cmd2, args2] = mpirun(2, ['--out', D, '--resume', ck1, '--monitor-every', '2', '--plot-every', '0']);
    const res2 = run(cmd2, args2);
    expect(res2.code, res2.out).toBe(0);
    expectSameLosses(metrics(D), la.slice(2));
  });

  it('a global batch that does not split over the ranks: one line per rank, exit 2', { timeout: 300_000 }, () => {
    const [cmd, args] = mpirun(2, [...COMMON, '--batch', '3', '--steps', '1', '--out', join(dir, 'odd')]);
    const r = run(cmd, args);
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(/pretrain: rank [01]: --batch 3 does not split over 2 ranks \(give a multiple of 2\)/);
  });

  it('SIGTERM to one rank: all ranks stop after the same step and rank 0 writes its checkpoint', { timeout: 1_200_000 }, async () => {
    const out = join(dir, 'SIGTERM');
    const job = startJob([...COMMON, '--steps', '400', '--checkpoint-every', '0', '--out', out]);
    try {
      await untilLines(out, 2, 900_000);
      process.kill(await rankPid(out, 1), 'SIGTERM');
      expect(await job.exited, job.text()).toBe(143);
    } finally {
      job.child.kill('SIGKILL');
    }
    const n = metrics(out).length;
    expect(job.text()).toMatch(new RegExp(`stopped by SIGTERM after ${n} steps`));
    expect(readdirSync(join(out, 'checkpoints')).filter((f) => f.endsWith('.safetensors'))).toEqual([`step-${String(n).padStart(6, '0')}.safetensors`]);
  });

  for (const [what, signal, pattern] of [
    ['a rank killed with SIGKILL', 'SIGKILL', /rank 1\b[^\n]*(exited on signal 9|killed)/i],
    // Stopped before its arrival notice went out, or after it (then inside the collective).
    ['a hung rank (SIGSTOP)', 'SIGSTOP', /rank 1 (did not reach the [a-z -]+ of step \d+ within 15 s|reached the [a-z -]+ of step \d+ but is stopped)/],
  ] as const) {
    it(`${what} ends the job non-zero, naming the rank, within bounded time; the last checkpoint stays`, { timeout: 1_200_000 }, async () => {
      const out = join(dir, signal);
      const job = startJob([...COMMON, '--steps', '400', '--checkpoint-every', '1', '--dist-timeout', '15', '--out', out]);
      try {
        // Three metrics lines: the step-2 checkpoint is then written (rank 0 appends a step's metrics
        // before its checkpoint), so two checkpoints exist whenever the signal lands.
        await untilLines(out, 3, 900_000);
        const pid = await rankPid(out, 1);
        const t0 = Date.now();
        process.kill(pid, signal);
        const code = await job.exited;
        const secs = (Date.now() - t0) / 1000;
        expect(code, job.text()).not.toBe(0);
        expect(job.text()).toMatch(pattern);
        // SIGKILL: mpirun notices at once; SIGSTOP: the 15 s watchdog, then MPI_Abort.
        expect(secs).toBeLessThan(signal === 'SIGKILL' ? 30 : 60);
      } finally {
        job.child.kill('SIGKILL');
      }
      const cks = readdirSync(join(out, 'checkpoints')).filter((f) => /^step-\d+\.safetensors$/.test(f)).sort();
      expect(cks.length).toBeGreaterThanOrEqual(2);
      const last = readSafetensors(join(out, 'checkpoints', cks[cks.length - 1]));
      expect(Number(last.metadata.step)).toBe(Number(cks[cks.length - 1].slice(5, 11)));
    });
  }
});
