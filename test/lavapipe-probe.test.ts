/**
 * `node dist/lavapipe-probe.js` end to end: every probe writes its records, the load kernels read
 * what was written (the probe checks the sums) and the matmul blocks agree with a CPU product (the
 * probe checks 64 entries), and on lavapipe the fma kernel's assembly is found and classified.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = 'dist/lavapipe-probe.js';

describe('lavapipe-probe', () => {
  it('measures loads, the matmul block from storage and uniform buffers, and the fma lowering', { timeout: 300_000 }, () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`node build.mjs\` first`);
    const json = join(mkdtempSync(join(tmpdir(), 'aasp-probe-')), 'probe.json');
    const r = spawnSync('node', [CLI, '--reps', '1', '--json', json], { encoding: 'utf8', timeout: 280_000 });
    expect(r.status, r.stderr).toBe(0);
    const { adapter, records } = JSON.parse(readFileSync(json, 'utf8')) as { adapter: string; records: Record<string, number | string | boolean>[] };
    const loads = records.filter((x) => x.probe === 'load');
    expect(loads.map((x) => `${x.kind}/${x.lanes}`).sort()).toEqual(['storage/distinct', 'storage/same', 'uniform/distinct', 'uniform/same']);
    for (const x of loads) expect(x.nsPerLoad).toBeGreaterThan(0);
    const blocks = records.filter((x) => x.probe === 'matmul-block');
    expect(blocks).toHaveLength(4);
    for (const x of blocks) expect(x.gflops).toBeGreaterThan(0);
    const fma = records.find((x) => x.probe === 'fma-lowering')!;
    if (/llvmpipe/i.test(adapter)) {
      // One vec4 fma: either 4 fused instructions or 4 multiplies and 4 adds (or wider forms of either).
      expect(Number(fma.fused) + Number(fma.mul) + Number(fma.add)).toBeGreaterThan(0);
      expect(r.stdout).toMatch(/GALLIVM_DEBUG=asm of one fma kernel: \d+ fused/);
    } else {
      expect(fma.measured).toBe(false);
    }
  });
});
