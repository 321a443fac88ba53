/**
 * One convention for every command-line tool (the package's bins and the benchmarks): `--help`
 * prints the usage and exits 0 without doing any work (no adapter opened), and an unknown option
 * exits 2 with one line that names it.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> };
const clis = [...new Set([...Object.values(pkg.bin), 'dist/kernels-bench.js', 'dist/sblu-bench.js', 'dist/step-bench.js', 'dist/lavapipe-probe.js'])];

describe.each(clis)('%s', (cli) => {
  const run = (...args: string[]) => {
    expect(existsSync(cli), 'run `node build.mjs` first (npm test does)').toBe(true);
    return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
  };

  it('--help prints the usage and exits 0 without opening an adapter', () => {
    const r = run('--help');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/usage/i);
    expect(r.stdout + r.stderr).not.toMatch(/^adapter:|artificially reduced/m);
  });

  it('an unknown option exits 2 with one line naming it', () => {
    const r = run('--no-such-option');
    expect(r.status).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/no-such-option/);
  });
});
