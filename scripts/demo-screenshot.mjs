// Make docs/demo.png: start the demo server, open the page in the system Chromium (headless,
// WebGPU on; never a downloaded browser), let it train the tiny model, then screenshot the page.
// Usage (after `node build.mjs`):
//   node scripts/demo-screenshot.mjs [--steps 30] [--checkpoint FILE.safetensors] [--out docs/demo.png]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const steps = Number(opt('steps', '30'));
const out = opt('out', 'docs/demo.png');
const checkpoint = opt('checkpoint', null);
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath}: bash scripts/setup.sh --browser`);
if (!existsSync('dist/demo-server.js') || !existsSync('dist/browser/demo.js')) throw new Error('run `node build.mjs` first');

const server = spawn(process.execPath, ['dist/demo-server.js', '--port', '0', ...(checkpoint ? ['--checkpoint', checkpoint] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let text = '';
  server.stdout.on('data', (d) => { text += d; const m = /demo: (http:\/\/\S+)/.exec(text); if (m) resolve(m[1]); });
  server.on('exit', (c) => reject(new Error(`demo server exited with ${c}`)));
});

const browser = await chromium.launch({
  executablePath: chromiumPath, headless: true,
  args: ['--headless', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  page.on('console', (m) => { if (m.type() === 'error') console.error(`page: ${m.text()}`); });
  const ckptName = checkpoint ? `&ckptName=${encodeURIComponent(checkpoint.split('/').pop())}` : '';
  const t0 = Date.now();
  await page.goto(`${url}?train=${steps}&stability=1&seed=3${ckptName}`);
  // Training on SwiftShader takes a few seconds per step: poll and report progress.
  for (;;) {
    const s = await page.evaluate(() => window.demoState);
    if (s?.ready) {
      if (s.errors.length) throw new Error(`demo errors:\n${s.errors.join('\n')}`);
      break;
    }
    process.stderr.write(`\r${((Date.now() - t0) / 1000).toFixed(0)} s: ${s?.busy ?? 'starting'}, step ${s?.trainedSteps ?? 0}/${steps}   `);
    await new Promise((r) => setTimeout(r, 2000));
  }
  process.stderr.write('\n');
  await page.screenshot({ path: out, fullPage: true });
  const s = await page.evaluate(() => window.demoState);
  console.log(`wrote ${out} after ${((Date.now() - t0) / 1000).toFixed(0)} s; losses ${s.losses.map((l) => l.toFixed(3)).join(' ')}`);
  console.log(`stability curves: ${Object.keys(s.stability).join(', ')}`);
} finally {
  await browser.close();
  server.kill();
}
