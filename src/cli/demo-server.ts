/**
 * `npm run demo`: a tiny static server for the browser demo. Everything runs in the page (WebGPU via
 * navigator.gpu); this process only serves files:
 *   /                 → demo/ (index.html)
 *   /dist/            → dist/browser/ (aasp.js, demo.js, browser-tests.js and their source maps)
 *   /test/            → test/browser/ (the page the Playwright test opens)
 *   /checkpoint.safetensors → the file given with --checkpoint, so the page can load it without a picker
 * It binds to 127.0.0.1 by default: nothing here is meant to be reachable from other machines.
 *
 * Usage: node dist/demo-server.js [--port N (default 8080, 0 = any free port)] [--host H] [--checkpoint FILE]
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.wav': 'audio/wav',
  '.flac': 'audio/flac',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
};

interface Options { port: number; host: string; checkpoint: string | null }

function parseArgs(argv: string[]): Options {
  const opts: Options = { port: 8080, host: '127.0.0.1', checkpoint: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    if (a === '--port' && v !== undefined) { opts.port = Number(v); i++; }
    else if (a === '--host' && v !== undefined) { opts.host = v; i++; }
    else if (a === '--checkpoint' && v !== undefined) { opts.checkpoint = path.resolve(v); i++; }
    else if (a === '-h' || a === '--help') {
      console.log('usage: node dist/demo-server.js [--port N] [--host H] [--checkpoint FILE.safetensors]');
      process.exit(0);
    } else throw new Error(`demo-server: unknown argument ${a}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error(`demo-server: bad --port ${opts.port}`);
  if (opts.checkpoint && !existsSync(opts.checkpoint)) throw new Error(`demo-server: checkpoint ${opts.checkpoint} not found`);
  return opts;
}

/** The repository root: this file runs as dist/demo-server.js (one level down) or from src/cli/ (two). */
function repoRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return existsSync(path.join(here, '..', 'package.json')) ? path.resolve(here, '..') : path.resolve(here, '..', '..');
}

/** Map a URL path to a file under one of the served folders; null when outside them (no `..` escapes). */
function resolveFile(root: string, urlPath: string, checkpoint: string | null): string | null {
  if (urlPath === '/checkpoint.safetensors') return checkpoint;
  const mounts: [string, string][] = [['/dist/', 'dist/browser'], ['/test/', 'test/browser'], ['/', 'demo']];
  for (const [prefix, dir] of mounts) {
    if (!urlPath.startsWith(prefix)) continue;
    const base = path.join(root, dir);
    let rel = urlPath.slice(prefix.length);
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    const file = path.resolve(base, rel);
    if (file !== base && !file.startsWith(base + path.sep)) return null;
    return file;
  }
  return null;
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function handler(root: string, checkpoint: string | null) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      return send(res, 400, 'bad url');
    }
    const file = resolveFile(root, urlPath, checkpoint);
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      const hint = urlPath.startsWith('/dist/') ? ' (run `node build.mjs` first)' : '';
      return send(res, 404, `not found: ${urlPath}${hint}`);
    }
    const size = statSync(file).size;
    // no-store: after a rebuild the page must pick up the new bundle, not a cached one.
    res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream', 'content-length': size, 'cache-control': 'no-store' });
    if (req.method === 'HEAD') { res.end(); return; }
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  };
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  const root = repoRoot();
  if (!existsSync(path.join(root, 'dist', 'browser', 'demo.js'))) {
    console.warn('demo-server: dist/browser/demo.js is missing; run `node build.mjs` (npm run demo does)');
  }
  const server = createServer(handler(root, opts.checkpoint));
  server.on('error', (e) => { console.error(`demo-server: ${(e as Error).message}`); process.exit(1); });
  server.listen(opts.port, opts.host, () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : opts.port;
    // The Playwright test parses this line to find the port.
    console.log(`demo: http://${opts.host}:${port}/`);
    if (opts.checkpoint) console.log(`checkpoint: ${opts.checkpoint} (served at /checkpoint.safetensors)`);
    console.log('Open the address in a browser with WebGPU (Chrome/Chromium, or with --enable-unsafe-webgpu). Ctrl-C stops.');
  });
  const stop = () => { server.close(() => process.exit(0)); server.closeAllConnections(); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main();
