// esbuild: the library's entry points (dist/index.js engine, dist/aasp.js model, dist/audio.js front
// end), one Node entry per CLI (dist/*.js), the same entry points for browsers (dist/browser/), and
// the type declarations (tsc, dist/types/). Entry points share chunks (splitting), so the engine, and
// with it the runtime singleton, exists once however many entry points a program imports.
// WGSL files are imported with `?raw` and bundled as text.
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

// Dawn's native module, and the stderr filter around it (koffi, node:fs), have no place in a
// browser: navigator.gpu is used there.
const browserStubs = {
  webgpu: 'export function create() { throw new Error("Dawn is not available in a browser"); } export const globals = {};',
  'dawn-stderr': 'export const quietDawn = (f) => f();',
};
const noDawn = {
  name: 'no-dawn',
  setup(build) {
    build.onResolve({ filter: /^webgpu$|\/dawn-stderr$/ }, (args) => ({ path: path.basename(args.path), namespace: 'no-dawn' }));
    build.onLoad({ filter: /.*/, namespace: 'no-dawn' }, (args) => ({ contents: browserStubs[args.path], loader: 'js' }));
  },
};

const cli = ['pretrain', 'embed', 'linear-eval', 'finetune', 'stability', 'proxy-bench', 'proxy-seeds', 'loss-shares', 'aape-viz', 'gpu-check', 'logmel-bench', 'demo-server']
  .map((name) => ({ name, file: `src/cli/${name}.ts` }))
  .filter((e) => existsSync(e.file));
const entries = [
  { name: 'index', file: 'src/index.ts' },
  { name: 'aasp', file: 'src/aasp/index.ts' },
  { name: 'audio', file: 'src/audio/node.ts' },
  ...cli,
  ...(existsSync('kernels-bench/main.ts') ? [{ name: 'kernels-bench', file: 'kernels-bench/main.ts' }] : []),
  ...(existsSync('kernels-bench/sblu-main.ts') ? [{ name: 'sblu-bench', file: 'kernels-bench/sblu-main.ts' }] : []),
  ...(existsSync('kernels-bench/step-bench.ts') ? [{ name: 'step-bench', file: 'kernels-bench/step-bench.ts' }] : []),
  ...(existsSync('kernels-bench/lavapipe-probe.ts') ? [{ name: 'lavapipe-probe', file: 'kernels-bench/lavapipe-probe.ts' }] : []),
  ...(existsSync('src/data/decode-worker.ts') ? [{ name: 'decode-worker', file: 'src/data/decode-worker.ts' }] : []),
  ...(existsSync('src/parallel/allreduce-bench.ts') ? [{ name: 'allreduce-bench', file: 'src/parallel/allreduce-bench.ts' }] : []),
  // The GPU check's stand-alone runners (scripts/gpu-check-all.sh, docs/gpu.md).
  ...['op-suite', 'golden-step', 'gpu-adapter', 'matmul-peak', 'train-throughput', 'gpu-report'].map((name) => ({ name, file: `scripts/gpu/${name}.ts` })).filter((e) => existsSync(e.file)),
];

const common = { bundle: true, splitting: true, format: 'esm', target: 'es2022', sourcemap: true, logLevel: 'warning' };

const nodeBuild = await esbuild.build({
  ...common,
  metafile: true,
  entryPoints: Object.fromEntries(entries.map((e) => [e.name, e.file])),
  outdir: 'dist',
  platform: 'node',
  packages: 'external',
  plugins: [wgslRaw],
  // The shebang makes each CLI runnable as a package bin; Node ignores it elsewhere.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});

const browserEntries = { index: 'src/index.ts', aasp: 'src/aasp/index.ts', audio: 'src/audio/index.ts', ...(existsSync('src/browser/demo.ts') ? { demo: 'src/browser/demo.ts' } : {}), ...(existsSync('test/browser/page.ts') ? { 'browser-tests': 'test/browser/page.ts' } : {}) };
const browserBuild = await esbuild.build({
  ...common,
  metafile: true,
  entryPoints: browserEntries,
  outdir: 'dist/browser',
  platform: 'browser',
  plugins: [wgslRaw, noDawn],
  external: ['node:*', 'worker_threads', 'fs', 'path', 'os', 'url', 'child_process'],
});

// Chunks and lazily imported modules carry content hashes in their names: drop those an earlier
// build left, or they would ship in the package.
const written = new Set([...Object.keys(nodeBuild.metafile.outputs), ...Object.keys(browserBuild.metafile.outputs)].map((f) => path.normalize(f)));
for (const dir of ['dist', 'dist/browser']) {
  for (const f of readdirSync(dir)) {
    if (/-[A-Z0-9]{8}\.js(\.map)?$/.test(f) && !written.has(path.join(dir, f))) rmSync(path.join(dir, f));
  }
}

// Declarations for TypeScript users (package.json types/exports point here).
// A type error anywhere in src/, kernels-bench/ or scripts/gpu/ fails the build (and so `npm test`):
// esbuild alone strips types unchecked.
const tsc = (project) => execFileSync(process.execPath, [path.join('node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { stdio: 'inherit' });
try {
  tsc('tsconfig.check.json');
  tsc('tsconfig.json');
} catch {
  console.error('build: tsc found type errors (above)');
  process.exit(1);
}
// tsc keeps the sources' extensionless specifiers ('./gpu/runtime', '../ops'), which Node16/NodeNext
// consumers reject: point each at the file it means ('./gpu/runtime.js', '../ops/index.js').
for (const f of readdirSync('dist/types', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.d.ts'))) {
  const file = path.join('dist/types', f);
  const text = readFileSync(file, 'utf8').replace(/(from\s+|import\()(['"])(\.{1,2}(?:\/[^'"]*)?)\2/g, (m, lead, q, spec) => {
    const target = path.join(path.dirname(file), spec);
    if (existsSync(`${target}.d.ts`)) return `${lead}${q}${spec}.js${q}`;
    if (existsSync(path.join(target, 'index.d.ts'))) return `${lead}${q}${spec}/index.js${q}`;
    return m;
  });
  writeFileSync(file, text);
}

console.log(`built ${entries.map((e) => e.name).join(', ')}, the browser bundles and the type declarations into dist/`);
