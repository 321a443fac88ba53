/**
 * `node dist/kernels-bench.js` end to end on two small cases with the peers loaded: every record has
 * the fields (name, shape, ours_ms, peers.{tfjs_ms, jax_ms}, gflops), our result passed its
 * check, both peers agree with it, and the speed-ups are the medians of per-repeat ratios taken in
 * turn (so they lie within the range of those ratios, and near the ratio of the medians).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pairedSpeedup, summarize, type Sample } from '../kernels-bench/harness';

const CLI = 'dist/kernels-bench.js';

describe('kernels-bench', () => {
  it('paired speed-up is the median of per-repeat wall-time ratios', () => {
    const s = (wallMs: number, cpuMs: number | null = 10): Sample => ({ ms: wallMs, wallMs, cpuMs });
    const ours = [s(10), s(20), s(10)];
    const peer = [s(40), s(100), s(30)]; // ratios 4, 5, 3
    expect(pairedSpeedup(ours, peer)).toBe(4);
    expect(summarize(ours)).toEqual({ ms: 10, wallMs: 10, cpuMs: 10 });
    expect(summarize([s(1, null), s(2)]).cpuMs).toBeNull();
  });

  it('writes one checked record per case with peers and speed-ups', { timeout: 300_000 }, () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`node build.mjs\` first`);
    const json = join(mkdtempSync(join(tmpdir(), 'aasp-kb-')), 'kb.json');
    const r = spawnSync('node', [CLI, '--filter', 'softmax', '--reps', '3', '--json', json], { encoding: 'utf8', timeout: 280_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^softmax \| 4560x190 \| /m);
    const recs = JSON.parse(readFileSync(json, 'utf8'));
    expect(recs.length).toBeGreaterThanOrEqual(1);
    for (const rec of recs) {
      expect(rec.name).toBe('softmax');
      expect(rec.ours_ms).toBeGreaterThan(0);
      expect(rec.gflops).toBeGreaterThan(0);
      expect(rec.check_err).toBeLessThan(1e-5);
      for (const p of ['tfjs', 'jax'] as const) {
        expect(rec.peers[`${p}_ms`], p).toBeGreaterThan(0);
        expect(rec.peer_err[p], p).toBeLessThan(1e-5);
        // A median of per-repeat ratios: positive, and within a factor of 3 of the ratio of medians
        // (repeats are taken in turn, so they cannot drift far apart).
        const ofMedians = rec.peers[`${p}_ms`] / rec.ours_wall_ms;
        expect(rec.speedup[p] / ofMedians).toBeGreaterThan(1 / 3);
        expect(rec.speedup[p] / ofMedians).toBeLessThan(3);
      }
    }
  });
});
