/**
 * Pieces of data-parallel training that need no second process: the parameter fingerprint and its
 * comparison over ranks, the --distributed options, and the one-line hint when Open MPI is missing.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { checksumWords, divergentRanks } from '../src/parallel/checksum';
import { processTrouble } from '../src/parallel/watchdog';
import { parseArgs } from '../src/train/options';

describe('watchdog: the state of a peer process on this host', () => {
  it('names a stopped process, not a running one or a missing pid', async () => {
    const child = spawn('sleep', ['30']);
    try {
      await new Promise((r) => setTimeout(r, 100));
      expect(processTrouble(child.pid!)).toBeNull();
      child.kill('SIGSTOP');
      let t = null;
      for (let i = 0; i < 50 && !t; i++) { await new Promise((r) => setTimeout(r, 20)); t = processTrouble(child.pid!); }
      expect(t).toMatch(/^stopped/);
      child.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, 100));
      expect(processTrouble(child.pid!)).toBeNull();
    } finally {
      child.kill('SIGKILL');
    }
    expect(processTrouble(2 ** 30)).toBeNull();
  });
});

describe('parameter fingerprint', () => {
  const a = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: 7 }, (_, i) => i - 3);

  it('is exact: equal bits give equal words, one flipped low bit or a moved boundary changes them', () => {
    const w = checksumWords([a, b]);
    expect(w).toHaveLength(4);
    expect(checksumWords([a.slice(), b.slice()])).toEqual(w);
    for (const k of w) expect(Number.isInteger(k) && k >= 0 && k < 65536).toBe(true); // exact in float32
    const flipped = a.slice();
    new Uint32Array(flipped.buffer)[500] ^= 1; // one ulp
    expect(checksumWords([flipped, b])).not.toEqual(w);
    // The same numbers split differently between tensors are a different parameter set.
    const joined = new Float32Array([...a, ...b]);
    expect(checksumWords([joined.subarray(0, 999), joined.subarray(999)])).not.toEqual(w);
    expect(checksumWords([b, a])).not.toEqual(w);
  });

  it('names the ranks that differ from rank 0', () => {
    const w = checksumWords([a]);
    const other = checksumWords([b]);
    const all = new Float32Array([...w, ...w, ...other, ...w, ...other]);
    expect(divergentRanks(all, 5)).toEqual([2, 4]);
    expect(divergentRanks(new Float32Array([...w, ...w]), 2)).toEqual([]);
  });
});

describe('--distributed options', () => {
  it('parses the flag and its settings, with defaults', () => {
    const d = parseArgs([])!;
    expect([d.distributed, d.distTimeout, d.distCheckEvery]).toEqual([false, 300, 100]);
    const o = parseArgs(['--distributed', '--dist-timeout', '20', '--dist-check-every', '0'])!;
    expect([o.distributed, o.distTimeout, o.distCheckEvery]).toEqual([true, 20, 0]);
    expect(() => parseArgs(['--distributed=yes'])).toThrow(/takes no value/);
    expect(() => parseArgs(['--dist-timeout', '0'])).toThrow(/positive number/);
  });

  it.skipIf(!existsSync('dist/pretrain.js'))('without a loadable libmpi: one line naming what to install, exit 2', () => {
    const r = spawnSync('node', ['dist/pretrain.js', '--distributed', '--steps', '1', '--out', '/tmp/aasp-no-mpi'], {
      encoding: 'utf8', timeout: 60_000, env: { ...process.env, AASP_LIBMPI: 'libmpi-not-here.so.40' },
    });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^pretrain: Open MPI is not available \(cannot load libmpi-not-here\.so\.40\); install it .*openmpi-bin libopenmpi3.*mpirun -np N$/);
  });
});
