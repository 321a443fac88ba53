/**
 * kernels-bench cases for the SBLU (spec 3.3) at the base pre-training shape: F 80, T 608, M 4,
 * K 33, B 16 and 64. The fused op's two kernel families (one thread per row, shaders/sblu-rows.wgsl,
 * and tiles of positions per workgroup, shaders/sblu.wgsl) against each other and against the unfused
 * composition of ordinary ops (src/aasp/sblu-unfused.ts), forward alone and forward + backward. Besides time, each case reports the pool's peak bytes above
 * what was live before it ran (`runtime.stats().peakBytes`): the unfused path holds the K× unfolded
 * windows, the fused path nothing larger than S and its gradients.
 *
 * `sbluBenchCases()` gives the cases for kernels-bench/main.ts; `runSbluBench()` runs them and
 * prints a table (kernels-bench/sblu-main.ts is the stand-alone entry).
 */
import { runtime } from '../src/gpu/runtime';
import { tuningFor } from '../src/gpu/tuning';
import { tensor, scope, type Tensor } from '../src/tensor/tensor';
import { backward, noGrad } from '../src/tensor/autograd';
import { sblu } from '../src/aasp/sblu';
import { sbluUnfused } from '../src/aasp/sblu-unfused';
import { Rng } from '../src/util/rng';

export interface SbluShape { B: number; F: number; T: number; M: number; K: number }
export const SBLU_BASE_SHAPES: SbluShape[] = [16, 64].map((B) => ({ B, F: 80, T: 608, M: 4, K: 33 }));

/** The fused op's row kernels, its tiled kernels, or the unfused composition. */
export type SbluImpl = 'rows' | 'tiles' | 'unfused';
const IMPLS: SbluImpl[] = ['rows', 'tiles', 'unfused'];

export interface BenchCase {
  /** e.g. "sblu rows fwd+bwd B=16". */
  name: string;
  impl: SbluImpl;
  pass: 'fwd' | 'fwd+bwd';
  shape: SbluShape;
  /** Allocate inputs; `run` records one iteration (finish with runtime().sync()); `dispose` frees. */
  setup(): { run: () => void; dispose: () => void };
}

export interface BenchResult { name: string; impl: string; pass: string; shape: SbluShape; medianMs: number; minMs: number; peakExtraBytes: number; reps: number }

function inputs(s: SbluShape, grad: boolean, seed = 1): Tensor[] {
  const rng = new Rng(seed);
  const draw = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
  const ts = [
    tensor(draw(s.B * s.F * s.T, -2, 2), [s.B, s.F, s.T]),
    tensor(draw(s.B * s.F * s.M, 1 / s.K, 1), [s.B, s.F, s.M]),
    tensor(draw(s.B * s.F * s.M, Math.PI / 16, Math.PI), [s.B, s.F, s.M]),
    tensor(draw(s.F * s.M, 0.5, 1.5), [s.F, s.M]),
  ];
  if (grad) for (const t of ts) t.requireGrad();
  return ts;
}

export function sbluBenchCases(shapes: SbluShape[] = SBLU_BASE_SHAPES): BenchCase[] {
  const cases: BenchCase[] = [];
  for (const shape of shapes) for (const pass of ['fwd', 'fwd+bwd'] as const) for (const impl of IMPLS) {
    const fn = impl === 'unfused' ? sbluUnfused : (u: Tensor, a: Tensor, w: Tensor, g: Tensor, K: number) => sblu(u, a, w, g, K, { rows: impl === 'rows' });
    cases.push({
      name: `sblu ${impl} ${pass} B=${shape.B}`, impl, pass, shape,
      setup() {
        const ins = inputs(shape, pass === 'fwd+bwd');
        const upstream = pass === 'fwd+bwd' ? tensor(new Float32Array(shape.B * shape.F * shape.M * shape.T).fill(1e-3), [shape.B, shape.F, shape.M, shape.T]) : null;
        return {
          run: () => {
            if (!upstream) { noGrad(() => fn(ins[0], ins[1], ins[2], ins[3], shape.K)).dispose(); return; }
            scope(() => backward(fn(ins[0], ins[1], ins[2], ins[3], shape.K), upstream));
            for (const t of ins) { t.grad?.dispose(); t.grad = null; }
          },
          dispose: () => { for (const t of ins) t.dispose(); upstream?.dispose(); },
        };
      },
    });
  }
  return cases;
}

/** Warm up once, then time `reps` iterations (each synced); peak pool bytes above the starting level. */
export async function runCase(c: BenchCase, reps = 3): Promise<BenchResult> {
  const rt = runtime();
  const { run, dispose } = c.setup();
  await rt.sync();
  run();
  await rt.sync();
  const base = rt.stats().liveBytes;
  rt.pool.resetPeak();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    run();
    await rt.sync();
    times.push(performance.now() - t0);
  }
  const peakExtraBytes = rt.stats().peakBytes - base;
  dispose();
  rt.pool.trim();
  times.sort((a, b) => a - b);
  return { name: c.name, impl: c.impl, pass: c.pass, shape: c.shape, medianMs: times[Math.floor(times.length / 2)], minMs: times[0], peakExtraBytes, reps };
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** Run every case, print a table with the speed-ups (rows over tiles, fused over unfused), and return the results. */
export async function runSbluBench(opts: { shapes?: SbluShape[]; reps?: number; log?: (s: string) => void } = {}): Promise<BenchResult[]> {
  const log = opts.log ?? console.log;
  const results: BenchResult[] = [];
  for (const c of sbluBenchCases(opts.shapes)) {
    const r = await runCase(c, opts.reps ?? 3);
    results.push(r);
    log(`${r.name.padEnd(32)} median ${r.medianMs.toFixed(1).padStart(9)} ms  min ${r.minMs.toFixed(1).padStart(9)} ms  peak +${mb(r.peakExtraBytes)}`);
  }
  const fusedDefault: SbluImpl = tuningFor(runtime()).sbluRows ? 'rows' : 'tiles';
  for (const shape of opts.shapes ?? SBLU_BASE_SHAPES) for (const pass of ['fwd', 'fwd+bwd']) {
    const of = (impl: SbluImpl) => results.find((r) => r.shape === shape && r.pass === pass && r.impl === impl);
    const f = of(fusedDefault), t = of('tiles'), w = of('rows'), u = of('unfused');
    if (!f || !t || !w || !u) continue;
    const inputBytes = shape.B * shape.F * shape.T * 4;
    log(`B=${shape.B} ${pass}: rows ${(t.medianMs / w.medianMs).toFixed(2)}× the speed of tiles; fused (${fusedDefault}, this adapter's pick) ` +
      `${(u.medianMs / f.medianMs).toFixed(1)}× unfused; peak +${mb(f.peakExtraBytes)} vs +${mb(u.peakExtraBytes)} ` +
      `(input u ${mb(inputBytes)}, K×u ${mb(inputBytes * shape.K)}, S ${mb(inputBytes * shape.M)})`);
  }
  return results;
}
