/**
 * `node dist/step-bench.js` end to end at toy size (D 32, one block, 32 mel bands × 64 frames):
 * with PyTorch (when /usr/bin/python3 imports torch) both sides run the same step on the same
 * parameters, batch and masks, so their first losses agree, and the ratio is the median of the
 * per-repeat ratios; without it (always checked with an interpreter that does not exist) it says so
 * once and reports ours only; --ab times ours again under a tuning patch in each repeat. Usage errors
 * exit with code 2 and one line.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelFamilies, median, splitKernelName } from '../kernels-bench/step-bench-stats';
import { torchMissing } from '../kernels-bench/step-bench-torch';

const CLI = 'dist/step-bench.js';
const dir = mkdtempSync(join(tmpdir(), 'aasp-step-bench-'));
const toy = join(dir, 'toy.json');
const PY = '/usr/bin/python3';
const hasTorch = torchMissing(PY) === null;

function run(args: string[]) {
  const r = spawnSync('node', [CLI, ...args], { encoding: 'utf8', timeout: 280_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`node build.mjs\` first`);
  writeFileSync(toy, JSON.stringify({ base: 'tiny', D: 32, depth: 1, heads: 2, Dp: 16, predDepth: 1, predHeads: 2, projDim: 16, nMels: 32, cropFrames: 64, masks: 2 }));
});

describe('step-bench summaries', () => {
  it('median and kernel families', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(splitKernelName('matmul_sg[R32,T8]:main')).toEqual({ family: 'matmul_sg', entry: 'main' });
    expect(splitKernelName('lambda-conv:weight_grad')).toEqual({ family: 'lambda-conv', entry: 'weight_grad' });
    const f = kernelFamilies([
      { kernel: 'a[X1]:main', ms: 1, count: 2 }, { kernel: 'a[X2]:main', ms: 2, count: 1 }, { kernel: 'b:fwd', ms: 1, count: 1 }, { kernel: 'a:bwd', ms: 4, count: 1 },
    ]);
    expect(f.map((x) => [x.family, x.ms, x.count])).toEqual([['a', 7, 4], ['b', 1, 1]]);
    expect(f[0].entries).toEqual({ main: 3, bwd: 4 });
    expect(f[0].percent).toBeCloseTo(87.5);
  });
});

describe('step-bench CLI', () => {
  it('--help lists the options; bad options exit 2 with one line', () => {
    const h = run(['--help']);
    expect(h.code).toBe(0);
    for (const o of ['--configs', '--batch', '--reps', '--json', '--torch-device']) expect(h.stdout).toContain(o);
    for (const [args, msg] of [[['--bogus'], /unknown option --bogus/], [['--torch-device', 'tpu'], /cpu or cuda/], [['--configs', 'huge'], /not a preset/], [['--configs', 'tiny,small', '--batch', '1,2,3'], /one per config/], [['--ab', '{"lambdaFused"'], /--ab: not valid JSON/], [['--configs', toy, '--ab', '{"noSuchField":1}'], /unknown tuning field "noSuchField"/]] as [string[], RegExp][]) {
      const r = run(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('times ours against PyTorch (or ours only without it)', { timeout: 300_000 }, () => {
    const json = join(dir, 'both.json');
    const r = run(['--configs', toy, '--batch', '2', '--reps', '3', '--json', json]);
    expect(r.code, r.stderr).toBe(0);
    const [rec] = JSON.parse(readFileSync(json, 'utf8'));
    expect(rec.B).toBe(2);
    expect(rec.ours_samples).toHaveLength(3);
    expect(rec.ours_ms).toBe(median(rec.ours_samples));
    expect(rec.dispatches).toBeGreaterThan(100);
    expect(rec.families.length).toBeGreaterThan(3);
    expect(rec.families.map((f: { family: string }) => f.family)).toEqual(expect.arrayContaining(['lambda-conv', 'sblu', 'matmul_sg'].filter((n) => rec.adapter.match(/llvmpipe|lavapipe/) || n !== 'matmul_sg')));
    expect(rec.peak_pool_bytes).toBeGreaterThan(0);
    expect(Number.isFinite(rec.loss.ours)).toBe(true);
    expect(r.stdout).toMatch(/\| config \| B \| ours ms \| PyTorch ms \| ratio \|/);
    if (!hasTorch) {
      expect(r.stdout).toMatch(/PyTorch not available/);
      expect(rec.torch_ms).toBeNull();
      return;
    }
    expect(rec.torch_samples).toHaveLength(3);
    const ratios = rec.torch_samples.map((t: number, i: number) => t / rec.ours_samples[i]);
    expect(rec.ratio_samples).toEqual(ratios);
    expect(rec.ratio).toBeCloseTo(median(ratios), 10);
    // CPU time of each process over all its threads, paired the same way.
    expect(rec.ours_cpu_samples).toHaveLength(3);
    expect(rec.torch_cpu_samples.every((t: number) => t > 0)).toBe(true);
    expect(rec.cpu_ratio).toBeCloseTo(median(rec.torch_cpu_samples.map((t: number, i: number) => t / rec.ours_cpu_samples[i])), 10);
    // The same step on the same state: the losses agree to float32 accuracy.
    expect(Math.abs(rec.loss.ours - rec.loss.torch) / Math.abs(rec.loss.torch)).toBeLessThan(1e-4);
    expect(rec.torch.threads).toBe(2);
  });

  it('without PyTorch: says so once and reports ours only', { timeout: 300_000 }, () => {
    const json = join(dir, 'ours.json');
    const r = run(['--configs', toy, '--batch', '1', '--reps', '1', '--no-profile', '--python', join(dir, 'no-python'), '--ab', '{"lambdaFused":false}', '--json', json]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.match(/PyTorch not available/g)).toHaveLength(1);
    const [rec] = JSON.parse(readFileSync(json, 'utf8'));
    expect(rec.ours_ms).toBeGreaterThan(0);
    expect(rec.torch_ms).toBeNull();
    expect(rec.ratio).toBeNull();
    expect(rec.dispatches).toBeNull();
    // --ab: each repeat also timed under the tuning patch (here the composed Lambda Encoder ops).
    expect(rec.ab.patch).toEqual({ lambdaFused: false });
    expect(rec.ab.samples).toHaveLength(1);
    expect(rec.ab.ratio).toBeCloseTo(rec.ab.samples[0] / rec.ours_samples[0], 10);
    expect(rec.ab.cpu_ratio).toBeCloseTo(rec.ab.cpu_samples[0] / rec.ours_cpu_samples[0], 10);
    expect(rec.cpu_ratio).toBeNull();
  });
});
