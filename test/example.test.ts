// The README's example runs from the built library, the loss falls, and the process exits promptly.
import { expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

it('examples/fit-mlp.mjs fits the MLP and exits', () => {
  expect(existsSync('dist/index.js'), 'run `node build.mjs` first (npm test does)').toBe(true);
  const t0 = Date.now();
  const out = execFileSync('node', ['examples/fit-mlp.mjs'], { encoding: 'utf8', timeout: 60_000 });
  const losses = [...out.matchAll(/loss ([0-9.]+)/g)].map((m) => Number(m[1]));
  expect(losses.length).toBe(7);
  expect(losses[6]).toBeLessThan(losses[0] * 0.2);
  expect(Date.now() - t0).toBeLessThan(60_000);
});

it('examples/fused-ops.mjs: the fused ops equal the same maths composed of basic ops', () => {
  const out = execFileSync('node', ['examples/fused-ops.mjs'], { encoding: 'utf8', timeout: 60_000 });
  const diffs = [...out.matchAll(/max \|fused - composed\| = ([0-9.e+-]+)/g)].map((m) => Number(m[1]));
  expect(diffs).toHaveLength(3);
  for (const d of diffs) expect(d).toBeLessThan(1e-4);
});
