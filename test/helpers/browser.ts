/**
 * Shared by the browser test and the screenshot script: start the demo server on a free port and
 * launch the system Chromium with WebGPU on (never a downloaded browser).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The flags that run WebGPU headless on SwiftShader (see docs/platform.md), and nothing that
// phones home: the test must work on a machine without network.
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Start dist/demo-server.js on a free port; resolves with its base URL once it prints the address. */
export function startServer(extra: string[] = []): Promise<{ url: string; proc: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['dist/demo-server.js', '--port', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => { proc.kill(); reject(new Error(`demo server did not start:\n${out}`)); }, 15_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /demo: (http:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve({ url: m[1], proc }); }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`demo server exited (${code}):\n${out}`)); });
  });
}

/** Launch the system Chromium, with a message that says what to install when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}. Install it with \`bash scripts/setup.sh --browser\` (or --all; on Debian: apt-get install chromium), or set CHROMIUM_PATH.`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

