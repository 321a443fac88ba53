/**
 * scripts/pooled-readouts.py: three read-outs (linear, RBF kernel, kNN) of cached clip features,
 * on synthetic feature caches whose answers are known: labels that are the XOR of two features'
 * signs (no linear read-out can, a kernel and neighbours can) and labels that are linear in one
 * feature (all three can). Each feature file is named by the results.json model whose
 * participation ratio (computed here by src/eval/dimensionality.ts) it reproduces; features two
 * folders share are scored once; a task with no cached features is refused with one line.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFeatureCache } from '../src/eval/cache';
import { participationRatio } from '../src/eval/dimensionality';
import { Rng } from '../src/util/rng';

// Debian's python3 (set-up installs python3-numpy for it), not whatever python3 comes first on PATH.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const run = (args: string[]) => spawnSync(PYTHON, ['scripts/pooled-readouts.py', ...args], { encoding: 'utf8', timeout: 120_000 });
const N = 200, DIM = 4;
const base = mkdtempSync(join(tmpdir(), 'aasp-readouts-'));

/** N clips over 5 folds; label(x) from two informative features x0, x1 plus noise features. */
function features(model: string, seed: number, label: (x0: number, x1: number) => number) {
  const r = new Rng(seed);
  const data = new Float32Array(N * DIM), files: string[] = [];
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < DIM; j++) data[i * DIM + j] = r.uniform() * 2 - 1;
    files.push(`/data/toy-pc50-1.9s-seed0/audio/${(i % 5) + 1}-${100000 + i}-A-${label(data[i * DIM], data[i * DIM + 1])}.wav`);
  }
  return { model, features: data, dim: DIM, kept: [...Array(N).keys()], skipped: [], files };
}
const xor = (a: number, b: number) => Number(a > 0 !== b > 0);
const halves = (a: number) => Number(a > 0);

/** A proxy-bench-like folder: the feature caches and a results.json naming each by its participation ratio. */
async function folder(name: string, parts: ReturnType<typeof features>[]) {
  const dir = join(base, name);
  for (const [i, p] of parts.entries()) await writeFeatureCache(join(dir, 'features'), `${name}${i}`.padEnd(32, '0'), p, p.files);
  const rows = parts.map((p) => ({ model: p.model, cells: { toy: { participation: participationRatio(p.features, N, DIM).participation } } }));
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ rows }));
  return dir;
}

describe('pooled-readouts', () => {
  it('tells a label only a non-linear read-out finds from one a linear read-out finds, naming each model', async () => {
    const shared = features('random init', 1, xor);
    const a = await folder('a', [shared, features('pre-trained A', 2, halves)]), b = await folder('b', [shared]);
    const r = run(['toy', a, b]);
    expect(r.status, r.stderr).toBe(0);
    const row = (name: string) => {
      const lines = r.stdout.split('\n').filter((l) => l.startsWith(`| ${name} |`));
      expect(lines, r.stdout).toHaveLength(1);
      return lines[0].split('|').slice(2, 6).map((c) => c.trim());
    };
    const [where0, ...acc0] = row('random init');
    expect(where0).toBe(`${a}, ${b}`); // one content, scored once
    const [lin0, ker0, knn0] = acc0.map(Number);
    expect(lin0).toBeLessThan(70); // XOR: a linear read-out is near chance (50 %)
    expect(ker0).toBeGreaterThan(80);
    expect(knn0).toBeGreaterThan(80);
    const [where1, ...acc1] = row('pre-trained A');
    expect(where1).toBe(a);
    for (const v of acc1.map(Number)) expect(v).toBeGreaterThan(85);
  });

  it('refuses a task with no cached features in a folder, naming the folder and the task', async () => {
    const a = await folder('c', [features('m', 3, halves)]);
    const r = run(['pitch', a]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`error: ${a}/features holds no cached features of task pitch`);
  });
});
