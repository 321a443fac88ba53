/**
 * `node dist/proxy-bench.js` end to end at toy size (a D-32 one-block config, 5 clips per class, one
 * seed, one fold, a few epochs): it writes the proxy dataset, pre-trains AaPE on and off through
 * dist/pretrain.js, evaluates random init and pre-trained models, and writes the table, results and
 * stability files; a second call with --checkpoints reuses the data and names the rows by step.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = 'dist/proxy-bench.js';
const dir = mkdtempSync(join(tmpdir(), 'aasp-proxy-'));
const cfg = join(dir, 'toy.json');
const COMMON = ['--tasks', 'pitch', '--per-class', '5', '--clip-seconds', '1', '--seeds', '0', '--folds', '1', '--epochs', '3', '--patience', '2', '--stability-clips', '1', '--config', cfg];

function run(args: string[]) {
  const r = spawnSync('node', [CLI, ...args], { encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`node build.mjs\` first`);
  writeFileSync(cfg, JSON.stringify({ base: 'tiny', D: 32, depth: 1, heads: 2, Dp: 16, predDepth: 1, predHeads: 2, projDim: 16, cropFrames: 64, masks: 2 }));
});

describe('proxy-bench CLI', () => {
  const out = join(dir, 'bench');
  it('pre-trains AaPE on and off and prints one table with random-init and pre-trained rows', { timeout: 900_000 }, () => {
    const r = run([...COMMON, '--steps', '1', '--batch', '2', '--pretrain-clip-seconds', '1', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    for (const row of ['random init, AaPE on', 'random init, AaPE off', 'pre-trained 1 steps, AaPE on', 'pre-trained 1 steps, AaPE off']) expect(r.stdout).toContain(`| ${row}`);
    expect(r.stdout).toMatch(/pitch acc %/);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(res.rows).toHaveLength(4);
    for (const row of res.rows) {
      const ci = row.cells.pitch.ci;
      expect(ci.mean).toBeGreaterThanOrEqual(0);
      expect(ci.mean).toBeLessThanOrEqual(1);
      expect(row.stability).toBeGreaterThan(0);
      expect(row.stability).toBeLessThanOrEqual(1 + 1e-6);
    }
    expect(res.settings.steps).toBe(1);
    for (const f of ['table.md', 'stability.svg', 'stability.csv']) expect(existsSync(join(out, f))).toBe(true);
  });

  it('--checkpoints evaluates given checkpoints and names their rows by step', { timeout: 900_000 }, () => {
    const ck = (aape: string) => join(out, `pretrain-toy-${aape}-s1-b2-c1-seed0`, 'checkpoints', 'step-000001.safetensors');
    const r = run([...COMMON, '--checkpoints', `${ck('aape')},${ck('noaape')}`, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('| pre-trained 1 steps, AaPE on');
    expect(r.stdout).toContain('| pre-trained 1 steps, AaPE off');
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(res.settings.checkpoints).toEqual([ck('aape'), ck('noaape')]);
    expect(res.settings.steps).toBeUndefined();
    expect(r.stderr).not.toMatch(/writing proxy dataset/); // the data of the first call is reused
  });
});
