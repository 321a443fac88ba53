/**
 * Dawn's two limit warnings stay off stderr; everything else written to stderr while the adapter
 * opens still reaches the user.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { withoutDawnWarnings } from '../src/gpu/dawn-stderr';

const WARN = 'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';

describe('Dawn stderr filter', () => {
  it('drops exactly the limit warnings', () => {
    const other = 'Warning: Couldn\'t load Vulkan: libvulkan.so.1: cannot open shared object file';
    expect(withoutDawnWarnings(`${WARN}\n${WARN.replace('Uniform', 'Storage')}\n${other}\n`)).toBe(`${other}\n`);
  });

  it('passes through what native code writes to descriptor 2 meanwhile, and restores stderr', async () => {
    // Inside the repository, so the probe resolves koffi from node_modules as the real CLIs do.
    mkdirSync('node_modules/.cache', { recursive: true });
    const dir = mkdtempSync(path.resolve('node_modules/.cache/aasp-quiet-'));
    try {
      const script = path.join(dir, 'probe.ts');
      writeFileSync(script, `
        import { writeSync } from 'node:fs';
        import { quietDawn } from ${JSON.stringify(path.resolve('src/gpu/dawn-stderr.ts'))};
        await quietDawn(async () => { writeSync(2, ${JSON.stringify(`${WARN}\nreal problem\n`)}); });
        writeSync(2, 'after\\n');
      `);
      await build({ entryPoints: [script], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: path.join(dir, 'probe.mjs'), logLevel: 'error' });
      const r = spawnSync(process.execPath, [path.join(dir, 'probe.mjs')], { encoding: 'utf8', env: { ...process.env, AASP_DEBUG: '' } });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe('real problem\nafter\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no command prints the warnings when it opens the adapter', () => {
    const r = spawnSync(process.execPath, ['dist/gpu-check.js'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/artificially reduced/);
  });
});
