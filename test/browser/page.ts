/**
 * The browser test page (bundled by build.mjs into dist/browser/browser-tests.js, opened by
 * test/browser.test.ts through test/browser/index.html). It uses nothing but navigator.gpu: the
 * engine's Dawn import is stubbed out of this bundle, so if anything here reached for Node the page
 * would fail. It exposes `window.aaspTests.run()`, which returns plain JSON for the Node side to check:
 *   - a subset of the op specs (kernels + autograd) against their float64 references, through the very
 *     same checker as test/ops.test.ts (test/helpers/op-check-core.ts);
 *   - the fused SBLU op's specs (the AaPE kernel);
 *   - seeded training runs whose numbers Node reproduces on its own adapter: a small MLP, and the
 *     AaSP tiny model with AaPE (test/browser/train-step.ts).
 */
import { init, runtime } from '../../src/gpu/runtime';
import { allOpSpecs, type OpSpec } from '../../src/ops';
import { sbluSpecs } from '../../src/aasp/sblu';
import { failures, runOpCase } from '../helpers/op-check-core';
import { mlpTrainSteps, tinyTrainSteps, type TrainResult, type TinyTrainResult } from './train-step';

/**
 * The cases run in the browser, as `name|shapes` keys: every op family (unary, binary, broadcasting,
 * reductions, matmul with all transposes, softmax, layer norm, losses, index ops, conv 1-D and 2-D),
 * each at a size that crosses workgroup boundaries. The whole op suite runs in Node (test/ops.test.ts);
 * SwiftShader compiles each kernel slowly, so a few dozen keep the browser test short.
 */
export const BROWSER_CASES = [
  'exp|[[7,33]]', 'log|[[257]]', 'gelu|[[4,64]]', 'tanh|[[3,1,5]]', 'sigmoid|[[257]]', 'softplus|[[7,33]]', 'rsqrt|[[33]]',
  'add|[[7,33],[33]]', 'mul|[[7,1],[1,33]]', 'div|[[3,1,5],[4,1]]', 'pow|[[7,33],[7,33]]', 'maximum|[[257],[257]]',
  'sub(1.3, x)|[[4,64]]', 'where|[[7,33],[33],[7,1]]',
  'sum(axes=1, keepdim=false)|[[33,257]]', 'mean(axes=0,2, keepdim=true)|[[3,5,7]]', 'max(axes=all, keepdim=false)|[[257]]',
  'var(axes=1, keepdim=false)|[[7,33]]', 'std(unbiased)(axes=0, keepdim=true)|[[33,257]]',
  'transpose|[[7,33]]', 'permute(2,0,1)|[[3,5,7]]', 'concat(axis=1)|[[7,3],[7,33],[7,1]]', 'slice(axis=1, 2, -1)|[[3,5,7]]',
  'matmul(transA=false, transB=false) [[7,33] x [33,5]]|[[7,33],[33,5]]',
  'matmul(transA=true, transB=false) [[33,7] x [33,5]]|[[33,7],[33,5]]',
  'matmul(transA=false, transB=true) [[7,33] x [5,33]]|[[7,33],[5,33]]',
  'matmul(transA=true, transB=true) [[33,7] x [5,33]]|[[33,7],[5,33]]',
  'matmul(transA=false, transB=true) [[3,1,7,9] x [2,33,9]]|[[3,1,7,9],[2,33,9]]',
  'matmul(transA=false, transB=false) [[65,257] x [257,33]]|[[65,257],[257,33]]',
  'softmax|[[2,3,190]]', 'logSoftmax|[[3,257]]',
  'layerNorm(affine)|[[2,3,192],[192],[192]]', 'layerNorm(no affine)|[[4,257]]',
  'crossEntropy|[[33,10],[33]]', 'l2Normalize|[[7,33]]', 'cosineSimilarity|[[3,257],[1,257]]',
  'indexSelect(axis=0)|[[7,33],[5]]', 'indexSelect(axis=1, batched)|[[3,190,7],[3,57]]', 'indexAdd(axis=1, batched, duplicates)|[[3,33,5],[3,40],[3,40,5]]',
  'conv1d(k9, pad4)|[[2,1,33],[3,1,9],[3]]', 'conv1d(k9, stride2, pad4)|[[2,3,33],[4,3,9],[4]]',
  'conv2d(k3, stride2, pad1)|[[2,3,7,9],[4,3,3,3],[4]]', 'conv2d(k16, stride16, no bias)|[[2,1,32,48],[5,1,16,16]]',
];

/**
 * Ops built on WGSL's sin/cos. WGSL only promises those to 2^-11 absolute on [-π, π], and SwiftShader
 * is that loose (measured: 1.9e-4), while lavapipe is near-exact; the Node suite's tolerances assume
 * the latter. In the browser these run with a tolerance derived from the WGSL bound (still tight enough
 * to catch a wrong formula or a wrong tap). A kernel that needs float32-exact taps on every adapter
 * would have to evaluate sin/cos itself (range reduction + polynomial) rather than use the builtins.
 */
export const TRIG_CASES = ['sin|[[257]]', 'cos|[[7,33]]'];
export const WGSL_TRIG_TOL = { atol: 5e-4, rtol: 2e-3, gradAtol: 5e-4, gradRtol: 5e-3 };

export interface CaseOutcome { key: string; ms: number; failures: string[] }
export interface PageResults {
  adapter: string;
  userAgent: string;
  /** Keys of BROWSER_CASES that matched no spec (a renamed op would otherwise silently drop out). */
  unmatched: string[];
  cases: CaseOutcome[];
  train: TrainResult | null;
  trainMs: number;
  tiny: TinyTrainResult | null;
  tinyMs: number;
  errors: string[];
}

const keyOf = (spec: OpSpec, i: number) => `${spec.name}|${JSON.stringify(spec.cases[i])}`;

async function runCases(specs: OpSpec[], wanted: Set<string> | null, out: PageResults): Promise<Set<string>> {
  const seen = new Set<string>();
  for (const spec of specs) {
    for (let i = 0; i < spec.cases.length; i++) {
      const key = keyOf(spec, i);
      if (wanted && !wanted.has(key)) continue;
      seen.add(key);
      const t0 = performance.now();
      try {
        const r = await runOpCase(spec, i);
        out.cases.push({ key, ms: performance.now() - t0, failures: failures(r) });
      } catch (e) {
        out.cases.push({ key, ms: performance.now() - t0, failures: [`threw: ${(e as Error).message}`] });
      }
    }
  }
  return seen;
}

export interface RunOptions { sblu?: boolean; trainSeed?: number; trainSteps?: number; tiny?: Parameters<typeof tinyTrainSteps> | null }

async function run(opts: RunOptions = {}): Promise<PageResults> {
  const out: PageResults = { adapter: '', userAgent: navigator.userAgent, unmatched: [], cases: [], train: null, trainMs: 0, tiny: null, tinyMs: 0, errors: [] };
  try {
    const rt = await init();
    out.adapter = rt.describe();
    const wanted = new Set(BROWSER_CASES);
    const seen = await runCases(allOpSpecs, wanted, out);
    const trig = allOpSpecs.map((s) => ({ ...s, tol: { ...s.tol, ...WGSL_TRIG_TOL } }));
    const seenTrig = await runCases(trig, new Set(TRIG_CASES), out);
    out.unmatched = [...BROWSER_CASES.filter((k) => !seen.has(k)), ...TRIG_CASES.filter((k) => !seenTrig.has(k))];
    // The AaPE kernel (sin/cos taps, so the WGSL trig tolerance): several tiles; a non-default kernel length.
    if (opts.sblu !== false) {
      const picked = sbluSpecs.filter((_, i) => i === 0 || i === 2).map((s) => ({ ...s, cases: s.cases.slice(0, 4), tol: { ...s.tol, ...WGSL_TRIG_TOL } }));
      await runCases(picked, null, out);
    }
    const t0 = performance.now();
    out.train = await mlpTrainSteps(opts.trainSeed ?? 7, opts.trainSteps ?? 5);
    out.trainMs = performance.now() - t0;
    if (opts.tiny !== null) {
      const t1 = performance.now();
      out.tiny = await tinyTrainSteps(...(opts.tiny ?? []));
      out.tinyMs = performance.now() - t1;
    }
    await runtime().sync();
  } catch (e) {
    out.errors.push(`${(e as Error).message}\n${(e as Error).stack ?? ''}`);
  }
  return out;
}

declare global {
  interface Window { aaspTests: { run: typeof run; ready: boolean } }
}

window.aaspTests = { run, ready: true };
document.title = 'aasp browser tests: ready';
