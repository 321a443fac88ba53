// Re-bundle the built dist/ for the GPU bundle: every entry of dist/*.js (chunks come along through
// their imports) with the npm packages it imports bundled in (tfjs, jax-js, the audio decoders, ...),
// except Dawn's `webgpu`, whose native dawn.node the bundle ships in node_modules/webgpu, and koffi. Starting
// from dist/ rather than the sources means every entry build.mjs adds is bundled without listing it here.
//   node scripts/gpu/bundle-dist.mjs DIST_IN DIST_OUT
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const [src, out] = process.argv.slice(2);
if (!src || !out) { console.error('usage: node scripts/gpu/bundle-dist.mjs DIST_IN DIST_OUT'); process.exit(2); }
const entries = readdirSync(src).filter((f) => f.endsWith('.js') && !f.startsWith('chunk-'));
if (!entries.includes('kernels-bench.js')) { console.error(`bundle-dist: ${src} has no kernels-bench.js; run node build.mjs first`); process.exit(2); }
const result = await esbuild.build({
  entryPoints: Object.fromEntries(entries.map((f) => [f.replace(/\.js$/, ''), path.join(src, f)])),
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'es2022',
  // koffi (an FFI with native builds, used only to quiet Dawn's warnings and for MPI) is left out:
  // its import fails in the bundle and the engine goes on without it.
  external: ['webgpu', 'koffi'],
  // ES module builds first: tfjs's CommonJS build, bundled, hides its named exports from import().
  mainFields: ['module', 'main'],
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  // CommonJS packages bundled into ES modules call require() for Node built-ins.
  banner: { js: "import { createRequire as __gpuBundleRequire } from 'node:module'; const require = __gpuBundleRequire(import.meta.url);" },
});
const bytes = Object.values(result.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
console.log(`bundle-dist: ${entries.length} entries, ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB in ${out}`);
