/**
 * The toy setting of the proxy CLIs' end-to-end tests (proxy-bench, proxy-seeds): a temp folder
 * with a D-32 one-block config, and a runner for a built CLI that returns its exit code and output.
 */
import { beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TOY_CONFIG = { base: 'tiny', D: 32, depth: 1, heads: 2, Dp: 16, predDepth: 1, predHeads: 2, projDim: 16, cropFrames: 64, masks: 2 };

/** Register the fixture's set-up (call at a test file's top level). */
export function proxyCliFixture(cli: string, prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const cfg = join(dir, 'toy.json');
  const run = (args: string[]) => {
    const r = spawnSync('node', [cli, ...args], { encoding: 'utf8', timeout: 600_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`node build.mjs\` first`);
    writeFileSync(cfg, JSON.stringify(TOY_CONFIG));
  });
  return { dir, cfg, run };
}
