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
import { get, parseArgs, runCli, usage, UsageError, type FlagSpec } from '../eval/cli-args';

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

const FLAGS: Record<string, FlagSpec> = {
  port: { type: 'int', help: 'port to listen on (0: any free port)', default: 8080 },
  host: { type: 'string', help: 'address to listen on', default: '127.0.0.1', meta: 'HOST' },
  checkpoint: { type: 'string', help: 'checkpoint the page preloads (served at /checkpoint.safetensors)', meta: 'FILE.safetensors' },
};
const USAGE = () => usage('node dist/demo-server.js [options]', FLAGS);

/** Options from argv; null when help was asked for. */
function options(argv: string[]): Options | null {
  const p = parseArgs(argv, FLAGS);
  if (p.help) return null;
  if (p.positional.length) throw new UsageError(`unexpected argument ${p.positional[0]}`);
  const port = get.num(p, 'port');
  if (port < 0 || port > 65535) throw new UsageError(`--port ${port} is not a port number`);
  const ck = get.str(p, 'checkpoint');
  const checkpoint = ck === undefined ? null : path.resolve(ck);
  if (checkpoint && !existsSync(checkpoint)) throw new UsageError(`checkpoint ${checkpoint} not found`);
  return { port, host: get.str(p, 'host')!, checkpoint };
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

async function main(): Promise<number | void> {
  const opts = options(process.argv.slice(2));
  if (!opts) { console.log(USAGE()); return 0; }
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
  return new Promise<never>(() => {}); // serves until a signal stops it
}

runCli(main);
