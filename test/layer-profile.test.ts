/**
 * scripts/layer-profile.py: one checkpoint's proxy-bench folders read at several --layer values,
 * tabulated per probe and block, on synthetic results.json files whose cells are known: the gain
 * at each block against the random init cut at that block and against the deepest block's random
 * init, the whole-encoder label, the JSON it keeps, and one-line refusals (a folder read at another
 * block than given, a folder without its random-init row, folders of different seeds).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const run = (args: string[]) => spawnSync(PYTHON, ['scripts/layer-profile.py', ...args], { encoding: 'utf8', timeout: 60_000 });
const base = mkdtempSync(join(tmpdir(), 'aasp-layer-profile-'));
const TASKS = ['pitch', 'keywords'];

/** A proxy-bench folder with the given accuracies (fractions) per task: [ridge, EVAR] for random init and pre-trained. */
function folder(name: string, settings: Record<string, unknown>, random: number[][] | null, pre: number[][], tasks = TASKS) {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  const row = (model: string, acc: number[][]) => ({
    model, cells: Object.fromEntries(tasks.map((t, i) => [t, { ridge: { mean: acc[i][0] }, ci: { mean: acc[i][1] }, participation: 3 }])),
  });
  const rows = [...(random ? [row('random init, AaPE on', random)] : []), row('pre-trained 1000 steps, AaPE on', pre)];
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ settings: { tasks, seed: 0, ...settings }, rows }));
  return dir;
}

describe('layer-profile.py', () => {
  const b0 = folder('b0', { layer: 0 }, [[0.7, 0.6], [0.8, 0.8]], [[0.72, 0.61], [0.85, 0.7]]);
  const b4 = folder('b4', {}, [[0.69, 0.6], [0.83, 0.82]], [[0.68, 0.6], [0.83, 0.76]]);

  it('tabulates each block against the random init cut there and against the deepest block\'s', () => {
    const json = join(base, 'out.json');
    const r = run([`4=${b4}`, `0=${b0}`, '--json', json]);
    expect(r.status, r.stderr).toBe(0);
    const tables = r.stdout.split('\n\n').filter((s) => s.startsWith('|'));
    expect(tables).toHaveLength(4);
    expect(tables[0].split('\n')[0]).toBe('| task | block 0 | block 4 (whole encoder) |');
    expect(tables[0]).toContain('| keywords | 80.0 → 85.0 (+5.0) | 83.0 → 83.0 (+0.0) |'); // ridge, same block
    expect(tables[1]).toContain('| keywords | 80.0 → 70.0 (-10.0) | 82.0 → 76.0 (-6.0) |'); // EVAR, same block
    expect(tables[2]).toContain('| pitch | 69.0 → 72.0 (+3.0) | 69.0 → 68.0 (-1.0) |'); // ridge, against block 4's random init
    expect(tables[3]).toContain('| keywords | 82.0 → 70.0 (-12.0) | 82.0 → 76.0 (-6.0) |');
    const saved = JSON.parse(readFileSync(json, 'utf8'));
    expect(saved.blocks.map((b: { block: number }) => b.block)).toEqual([0, 4]);
    expect(saved.blocks[0].pretrained.ridge.keywords).toBeCloseTo(85, 9);
  });

  it('tabulates the tasks every folder has, and says which it left out', () => {
    const extra = folder('extra', {}, [[0.69, 0.6], [0.83, 0.82], [0.5, 0.4]], [[0.68, 0.6], [0.83, 0.76], [0.7, 0.6]], [...TASKS, 'timbre']);
    const json = join(base, 'common.json');
    const r = run([`0=${b0}`, `4=${extra}`, '--json', json]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('tasks not in every folder, left out: timbre');
    const tables = r.stdout.split('\n\n').filter((s) => s.startsWith('|'));
    expect(tables).toHaveLength(4);
    for (const t of tables) expect(t.split('\n').slice(2).map((l) => l.split(' | ')[0])).toEqual(['| pitch', '| keywords']);
    const saved = JSON.parse(readFileSync(json, 'utf8'));
    expect(saved.blocks[1].tasks).toEqual(TASKS);
    expect(Object.keys(saved.blocks[1].pretrained.ridge)).toEqual(TASKS);
    const lone = folder('lone', { layer: 1 }, [[0.5, 0.5]], [[0.5, 0.5]], ['voices']);
    expect(run([`1=${lone}`, `0=${b0}`]).stderr.trim()).toBe('layer-profile: the folders have no task in common');
  });

  it('refuses, in one line, a mislabelled block, a missing random-init row and mixed seeds', () => {
    const noRandom = folder('norandom', { layer: 1 }, null, [[0.7, 0.6], [0.8, 0.8]]);
    const seed1 = folder('seed1', { layer: 1, seed: 1 }, [[0.7, 0.6], [0.8, 0.8]], [[0.7, 0.6], [0.8, 0.8]]);
    for (const [args, msg] of [
      [[`2=${b0}`, `4=${b4}`], `layer-profile: ${join(b0, 'results.json')} was read at block 0, given as block 2`],
      [[`1=${noRandom}`, `4=${b4}`], `layer-profile: ${join(noRandom, 'results.json')} needs one random-init and one pre-trained row, has ['pre-trained 1000 steps, AaPE on']`],
      [[`1=${seed1}`, `4=${b4}`], `layer-profile: ${b4} has another seed than ${seed1}`],
      [[`4=${b4}`], 'layer-profile: give two or more BLOCK=DIR arguments (proxy-bench folders of one checkpoint read at different --layer)'],
    ] as [string[], string][]) {
      const r = run(args);
      expect(r.status).toBe(2);
      expect(r.stderr.trim()).toBe(msg);
    }
  });
});
