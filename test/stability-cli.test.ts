/**
 * `node dist/stability.js` end to end at toy size: two random inits on three procedural clips. It
 * prints the curve, each model's interval over clips and the second model against the first paired
 * over the same clips, and writes the same into the JSON.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = 'dist/stability.js';
const dir = mkdtempSync(join(tmpdir(), 'aasp-stab-'));
const cfg = join(dir, 'toy.json');

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`node build.mjs\` first`);
  writeFileSync(cfg, JSON.stringify({ base: 'tiny', D: 32, depth: 1, heads: 2, Dp: 16, predDepth: 1, predHeads: 2, projDim: 16, cropFrames: 64 }));
});

describe('stability CLI', () => {
  it('prints intervals over clips and a paired comparison with the first model', { timeout: 300_000 }, () => {
    const out = join(dir, 'stab');
    const r = spawnSync('node', [CLI, '--models', `random:${cfg}:noaape:seed=0,random:${cfg}:noaape:seed=1`, '--names', 'a,b',
      '--procedural', '3', '--clip-seconds', '1', '--max-shift', '3', '--out', out], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^95 % CI over clips\t±0\.\d{5}\t±0\.\d{5}$/m);
    expect(r.stdout).toMatch(/^b − a: [+-]0\.\d{5} ± 0\.\d{5} over 3 clips \((steadier, CI excludes 0|less steady, CI excludes 0|CI contains 0)\)$/m);
    const res = JSON.parse(readFileSync(`${out}.json`, 'utf8'));
    const [a, b] = res.models;
    expect(a.minusFirst).toBeNull();
    expect(a.perClipSummary).toHaveLength(3);
    expect(a.summaryCI.mean).toBeCloseTo(a.summary, 10);
    const diffs = b.perClipSummary.map((v: number, i: number) => v - a.perClipSummary[i]);
    expect(b.minusFirst.mean).toBeCloseTo(diffs.reduce((s: number, v: number) => s + v, 0) / 3, 10);
    expect(b.minusFirst.n).toBe(3);
  });
});
