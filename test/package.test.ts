/**
 * The package as a user gets it: `npm pack` the project, install the tarball into a fresh project,
 * type-check a TypeScript program that uses only the public entry points (strict, no skipLibCheck on
 * our declarations), run it in Node, bundle the same file for a page and run it in Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { build } from 'esbuild';
import { launchChromium } from './helpers/browser';

const repo = process.cwd();
const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
interface Result { mlpLosses: number[]; melShape: [number, number]; aaspLosses: number[]; error?: string }

function expectTrained(r: Result, where: string): void {
  expect(r.error, `${where}: ${r.error}`).toBeUndefined();
  expect(r.mlpLosses).toHaveLength(30);
  expect(r.mlpLosses[29], `${where}: the MLP's loss falls`).toBeLessThan(0.5 * r.mlpLosses[0]);
  expect(r.melShape).toEqual([80, 51]);
  expect(r.aaspLosses).toHaveLength(2);
  for (const l of r.aaspLosses) expect(Number.isFinite(l) && l > 0, `${where}: AaSP loss ${l}`).toBe(true);
}

describe('npm package', () => {
  let dir = '';
  let tarball = '';
  let nodeResult: Result | null = null;
  let browser: Browser | null = null;
  let server: Server | null = null;

  beforeAll(() => {
    expect(existsSync('dist/index.js') && existsSync('dist/types/index.d.ts'), 'run `node build.mjs` first (npm test does)').toBe(true);
    dir = mkdtempSync(path.join(tmpdir(), 'aasp-pkg-'));
    // The build is current (npm test builds first): pack without running prepack again.
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { encoding: 'utf8' });
    const info = JSON.parse(out)[0] as { filename: string; entryCount: number; size: number; files: { path: string }[] };
    tarball = path.join(dir, info.filename);
    console.log(`package: ${info.entryCount} files, ${(info.size / 1024).toFixed(0)} kB packed`);
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], { cwd: dir, stdio: 'pipe' });
    // What a TypeScript user of Node has anyway: Node's types (the package brings WebGPU's).
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', '-D', '@types/node'], { cwd: dir, stdio: 'pipe' });
    copyFileSync('test/package/consumer.ts', path.join(dir, 'consumer.ts'));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ships the library, browser bundles, CLIs, shaders and types, and no tests or fixtures', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    for (const f of ['dist/index.js', 'dist/aasp.js', 'dist/audio.js', 'dist/browser/index.js', 'dist/browser/aasp.js', 'dist/browser/audio.js',
      'dist/pretrain.js', 'dist/decode-worker.js', 'dist/types/index.d.ts', 'dist/types/aasp/index.d.ts', 'dist/types/audio/node.d.ts',
      'shaders/matmul_sg.wgsl', 'README.md', 'LICENSE', 'docs/model.md']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^test\/|fixtures|\.map$|browser-tests/.test(f))).toEqual([]);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> };
    for (const [name, file] of Object.entries(pkg.bin)) expect(files, `bin ${name}`).toContain(file);
  });

  it('keeps test plumbing out of the public index', async () => {
    const api = await import(path.join(dir, 'node_modules', 'aasp-webgpu', 'dist', 'index.js'));
    expect(Object.keys(api).filter((k) => /Specs$|^setRuntime$|Ref$|^shapeCases$/.test(k))).toEqual([]);
  });

  // Two users: a Node program whose check covers the package's declarations too (WebGPU's types come
  // with TypeScript's DOM lib), and a browser program with the skipLibCheck that `tsc --init` sets.
  it.each([
    ['Node', { lib: ['ES2022', 'DOM'], types: ['node'], skipLibCheck: false }],
    ['browser', { lib: ['ES2022', 'DOM'], types: [], skipLibCheck: true }],
  ])('type-checks a strict TypeScript program for %s against the installed declarations', (_, opts) => {
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, ...opts },
      files: ['consumer.ts'],
    }));
    try {
      execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      throw new Error(`tsc failed:\n${err.stdout}${err.stderr}`);
    }
  }, 120_000);

  it('runs in Node through the package entry points', async () => {
    await build({ absWorkingDir: dir, entryPoints: ['consumer.ts'], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: 'consumer.mjs', logLevel: 'warning' });
    const out = execFileSync(process.execPath, ['consumer.mjs'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    nodeResult = JSON.parse(out.trim().split('\n').pop()!) as Result;
    expectTrained(nodeResult, 'Node');
  }, 180_000);

  it('bundles for a browser page (browser condition) and runs in Chromium', async () => {
    await build({ absWorkingDir: dir, entryPoints: ['consumer.ts'], bundle: true, platform: 'browser', format: 'esm', outfile: 'page/consumer.js', logLevel: 'warning' });
    writeFileSync(path.join(dir, 'page', 'index.html'), '<!doctype html><meta charset="utf-8"><body><script type="module" src="consumer.js"></script></body>');
    server = createServer((req, res) => {
      const name = req.url === '/' ? 'index.html' : path.basename(req.url ?? '');
      const file = path.join(dir, 'page', name);
      if (!existsSync(file)) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-type': name.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(readFileSync(file));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    browser = await launchChromium();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => document.body.hasAttribute('data-result'), null, { timeout: 240_000 });
    const web = JSON.parse((await page.getAttribute('body', 'data-result'))!) as Result;
    expect(errors).toEqual([]);
    expectTrained(web, 'Chromium');
    // Same seed, same program: the browser's MLP losses match Node's to float32 accuracy.
    if (nodeResult) for (let i = 0; i < 30; i++) expect(Math.abs(web.mlpLosses[i] - nodeResult.mlpLosses[i])).toBeLessThan(1e-4 * Math.max(1, nodeResult.mlpLosses[i]));
  }, 300_000);
});
