/**
 * The browser bundle in a real browser: Debian's Chromium, headless, WebGPU through its SwiftShader
 * adapter, driven by playwright-core (never a downloaded browser). The page (test/browser/page.ts)
 * runs a subset of the op specs against their float64 references and a seeded training run; this side
 * runs the same training run on Node's adapter and checks that the numbers agree.
 *
 * Needs /usr/bin/chromium (or $CHROMIUM_PATH): `bash scripts/setup.sh --browser` installs it. Without
 * it the test fails with that message; it never passes silently.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, startServer } from './helpers/browser';
import { useGpu } from './helpers/gpu';
import { mlpTrainSteps, tinyTrainSteps } from './browser/train-step';
import type { PageResults, RunOptions } from './browser/page';

/** The tiny AaSP run both sides do: seed, steps, batch, crop frames (short: SwiftShader is slow), AaPE on. */
const TINY: NonNullable<RunOptions['tiny']> = [11, 2, 2, 64, true];

useGpu();

describe('browser bundle (Chromium + SwiftShader WebGPU)', () => {
  let server: { url: string; proc: ChildProcess } | null = null;
  let browser: Browser | null = null;
  let page: Page | null = null;
  let results: PageResults;
  let nodeTiny: Awaited<ReturnType<typeof tinyTrainSteps>>;
  const consoleLines: string[] = [];

  beforeAll(async () => {
    for (const f of ['dist/demo-server.js', 'dist/browser/browser-tests.js']) {
      if (!existsSync(f)) throw new Error(`${f} is missing: run \`node build.mjs\` first (npm test does)`);
    }
    browser = await launchChromium();
    server = await startServer();
    page = await browser.newPage();
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    await page.goto(`${server.url}test/`);
    await page.waitForFunction(() => (window as unknown as { aaspTests?: { ready: boolean } }).aaspTests?.ready === true, null, { timeout: 30_000 });
    // Node's own tiny run goes alongside the browser's (lavapipe and SwiftShader both use the CPU, but
    // this halves the wall time on a machine with cores to spare).
    [results, nodeTiny] = await Promise.all([
      page.evaluate((opts) => (window as unknown as { aaspTests: { run: (o: RunOptions) => Promise<PageResults> } }).aaspTests.run(opts), { tiny: TINY }),
      tinyTrainSteps(...TINY),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    server?.proc.kill();
  });

  it('runs on navigator.gpu without errors', () => {
    expect(results.errors, `page errors:\n${results.errors.join('\n')}\nconsole:\n${consoleLines.join('\n')}`).toEqual([]);
    expect(results.adapter.length).toBeGreaterThan(0);
    console.log(`browser adapter: ${results.adapter}`);
  });

  it('op specs match their float64 references in the browser (forward and backward)', () => {
    expect(results.unmatched, 'BROWSER_CASES that name no op spec case').toEqual([]);
    expect(results.cases.length).toBeGreaterThanOrEqual(40);
    const failed = results.cases.filter((c) => c.failures.length);
    expect(failed.map((c) => `${c.key}: ${c.failures.join('; ')}`)).toEqual([]);
  });

  it('a seeded training run gives the same numbers in the browser and in Node', async () => {
    expect(results.train, 'the page produced no training result').not.toBeNull();
    const node = await mlpTrainSteps(7, 5);
    const web = results.train!;
    expect(web.losses.length).toBe(node.losses.length);
    // Different adapters (SwiftShader vs lavapipe or a GPU) sum in different orders: float32 rounding only.
    for (let i = 0; i < node.losses.length; i++) expect(web.losses[i]).toBeCloseTo(node.losses[i], 4);
    for (let i = 0; i < node.params.length; i++) expect(Math.abs(web.params[i] - node.params[i])).toBeLessThan(1e-4);
    expect(node.losses[node.losses.length - 1]).toBeLessThan(node.losses[0]);
  });

  it('a seeded tiny AaSP training run (AaPE on) gives the same numbers in the browser and in Node', async () => {
    const web = results.tiny;
    expect(web, 'the page produced no tiny-model result').not.toBeNull();
    expect(web!.aape).toBe(true);
    const node = nodeTiny;
    console.log(`tiny AaSP in the browser: ${(results.tinyMs / 1000).toFixed(1)} s for ${TINY[1]} steps; losses ${web!.losses.map((l) => l.toFixed(5))} (Node ${node.losses.map((l) => l.toFixed(5))})`);
    expect(web!.losses.length).toBe(node.losses.length);
    for (let i = 0; i < node.losses.length; i++) {
      expect(Math.abs(web!.losses[i] - node.losses[i]), `loss at step ${i}`).toBeLessThan(2e-3 * Math.abs(node.losses[i]));
      expect(Math.abs(web!.gradNorms[i] - node.gradNorms[i]), `gradient norm at step ${i}`).toBeLessThan(5e-3 * node.gradNorms[i]);
    }
    // Early AdamW steps move each weight by about ±lr whatever the gradient's size: a disagreement in
    // any update would show as a difference of order 1e-3 here.
    for (let i = 0; i < node.params.length; i++) expect(Math.abs(web!.params[i] - node.params[i])).toBeLessThan(1e-4);
  });

  it('the browser bundles import nothing from Node', () => {
    // Everything a page needs is bundled: the only static imports are the shared chunks beside each
    // entry point. Any other is one esbuild kept external, a Node built-in (node:*, fs,
    // worker_threads, ...) that would stop the module from loading.
    const chunks = readdirSync('dist/browser').filter((f) => /^chunk-.*\.js$/.test(f)).map((f) => `dist/browser/${f}`);
    const entries = ['index', 'aasp', 'audio', 'demo', 'browser-tests'].map((n) => `dist/browser/${n}.js`);
    for (const f of [...entries, ...chunks]) {
      const text = readFileSync(f, 'utf8');
      const imports = [...text.matchAll(/^\s*import\s[^;(]*?from\s*["']([^"']+)["']/gm)].map((m) => m[1]);
      expect(imports.filter((i) => !/^\.\/chunk-[A-Z0-9]+\.js$/.test(i)), `${f} has static imports`).toEqual([]);
    }
  });

  it('the demo page starts on navigator.gpu', async () => {
    const demo = await browser!.newPage();
    const errors: string[] = [];
    demo.on('pageerror', (e) => errors.push(e.message));
    await demo.goto(server!.url);
    await demo.waitForFunction(() => /WebGPU adapter|error|start-up/i.test(document.getElementById('status')?.textContent ?? ''), null, { timeout: 30_000 });
    const status = await demo.textContent('#status');
    await demo.close(); // the page goes on to compute a log-mel; not needed here
    expect(errors).toEqual([]);
    expect(status).toMatch(/WebGPU adapter: .*swiftshader/i);
  });
});
