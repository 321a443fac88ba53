// esbuild: the library (dist/index.js), one Node entry per CLI (dist/*.js), and a browser bundle
// (dist/browser/aasp.js). WGSL files are imported with `?raw` and bundled as text.
import * as esbuild from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const wgslRaw = {
  name: 'wgsl-raw',
  setup(build) {
    build.onResolve({ filter: /\.wgsl\?raw$/ }, (args) => ({
      path: path.resolve(args.resolveDir, args.path.replace(/\?raw$/, '')),
      namespace: 'wgsl',
    }));
    build.onLoad({ filter: /.*/, namespace: 'wgsl' }, (args) => ({ contents: readFileSync(args.path, 'utf8'), loader: 'text', watchFiles: [args.path] }));
  },
};

// Dawn's native module has no place in a browser: navigator.gpu is used there.
const noDawn = {
  name: 'no-dawn',
  setup(build) {
    build.onResolve({ filter: /^webgpu$/ }, () => ({ path: 'webgpu', namespace: 'no-dawn' }));
    build.onLoad({ filter: /.*/, namespace: 'no-dawn' }, () => ({
      contents: 'export function create() { throw new Error("Dawn is not available in a browser"); } export const globals = {};',
      loader: 'js',
    }));
  },
};

const cli = ['pretrain', 'embed', 'linear-eval', 'finetune', 'stability', 'proxy-bench', 'aape-viz', 'stats', 'gpu-check', 'logmel-bench', 'demo-server']
  .map((name) => ({ name, file: `src/cli/${name}.ts` }))
  .filter((e) => existsSync(e.file));
const entries = [
  { name: 'index', file: 'src/index.ts' },
  ...cli,
  ...(existsSync('kernels-bench/main.ts') ? [{ name: 'kernels-bench', file: 'kernels-bench/main.ts' }] : []),
  ...(existsSync('kernels-bench/sblu-main.ts') ? [{ name: 'sblu-bench', file: 'kernels-bench/sblu-main.ts' }] : []),
  ...(existsSync('src/data/decode-worker.ts') ? [{ name: 'decode-worker', file: 'src/data/decode-worker.ts' }] : []),
];

const common = { bundle: true, format: 'esm', target: 'es2022', sourcemap: true, logLevel: 'warning' };

await esbuild.build({
  ...common,
  entryPoints: Object.fromEntries(entries.map((e) => [e.name, e.file])),
  outdir: 'dist',
  platform: 'node',
  packages: 'external',
  plugins: [wgslRaw],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});

const browserEntries = { aasp: 'src/index.ts', ...(existsSync('src/browser/demo.ts') ? { demo: 'src/browser/demo.ts' } : {}), ...(existsSync('test/browser/page.ts') ? { 'browser-tests': 'test/browser/page.ts' } : {}) };
await esbuild.build({
  ...common,
  entryPoints: browserEntries,
  outdir: 'dist/browser',
  platform: 'browser',
  plugins: [wgslRaw, noDawn],
  external: ['node:*', 'worker_threads', 'fs', 'path', 'os', 'url', 'child_process'],
});

console.log(`built ${entries.map((e) => e.name).join(', ')} and the browser bundle into dist/`);
