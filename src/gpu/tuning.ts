/**
 * Per-adapter kernel choices, keyed by the adapter description. CPU adapters and GPUs want opposite
 * things: on lavapipe (measured: docs/platform.md and kernels-bench) a per-lane storage load costs
 * ~30 FMAs and barriers are coroutine switches, so kernels there use subgroup broadcasts and big
 * register blocks that spill; on a GPU spills are slow and many small threads hide latency.
 * The table is small on purpose: add a row when an adapter is measured (node dist/kernels-bench.js).
 */
import type { Runtime } from './runtime';

export interface Tuning {
  /** Which matmul family serves vec4-compatible shapes: subgroup-broadcast ('sg8') or per-thread tiles. */
  matmul: 'sg8' | 'tile';
  /** Rows per subgroup for large M in the sg8 kernel (a multiple of 4; capped at 32 when A is transposed). */
  sgRows: number;
  /** Groups of 32 columns per subgroup in the sg8 kernel (1 or 2) when N > 32 and rows ≥ 16. */
  sgColGroups: number;
  /** Subgroups per workgroup in the sg8 kernel (override WS). */
  sgPerGroup: number;
  /** Per-thread block of the tile kernel (rows, vec4 column groups) and its workgroup shape. */
  tileRows: number;
  tileCol4: number;
  tileWX: number;
  tileWY: number;
  /** Split K when fewer output work items than this would run (0 disables split-K). */
  minParallel: number;
  /** Queries per workgroup row block in fused attention (see shaders/attention.wgsl). */
  attnRows: number;
  /** Reductions with at least this many outputs use one thread per output (no barriers). */
  reducePerThreadOut: number;
  /** sg8: copy a [K, N] B operand to [N, K] before big matmuls (that layout runs faster there). */
  sgTransposeB: boolean;
  /**
   * The Lambda Encoder as one fused forward kernel with one thread per band signal
   * (src/aasp/lambda-fused.ts) instead of the composed convolution, GELU and pooling ops: on CPU
   * adapters that saves writing and re-reading its activations; a GPU would get too few threads.
   */
  lambdaFused: boolean;
  /** Values of m (STRIDE positions each) per thread of the fused Lambda Encoder's dL/dy1 kernel: each weight serves that many. */
  lambdaDy1Block: number;
  /**
   * Lambda Encoder conv weight gradient: one thread per input channel with all taps (Cin ≥ 8), or on
   * 8-wide subgroups per output channel with vec4 loads (Cin·k ≤ 16, stride 1), instead of per (channel, tap).
   */
  lambdaWgradTaps: boolean;
  /** SBLU: one tile per row (as long as the workgroup memory allows) instead of 256-position tiles. */
  sbluWholeRow: boolean;
  /**
   * SBLU: one thread per row with the taps in registers (shaders/sblu-rows.wgsl) instead of tiles of
   * positions per workgroup, whose workgroup-memory loads in the tap loop are per-lane loops on CPU
   * adapters; a GPU would get too few threads (one per band signal).
   */
  sbluRows: boolean;
  /**
   * Long reductions into few outputs over non-adjacent axes that include the innermost (a bias
   * gradient [R, C, L] over R and L): the trailing run first, then the rest, instead of one strided
   * pass (src/ops/reduce-kernel.ts).
   */
  reduceInnerFirst: boolean;
}

const DEFAULT: Tuning = {
  matmul: 'tile', sgRows: 32, sgColGroups: 1, sgPerGroup: 1, tileRows: 4, tileCol4: 1, tileWX: 16, tileWY: 8,
  minParallel: 2048, attnRows: 8, reducePerThreadOut: 8192, sgTransposeB: false, lambdaFused: false, lambdaDy1Block: 1, lambdaWgradTaps: false, sbluWholeRow: false, sbluRows: false, reduceInnerFirst: false,
};

/**
 * What an adapter without a row in the table gets, which is every GPU: the tile matmul, the composed
 * Lambda Encoder, SBLU tiles. Tests run whole steps under it on a CPU adapter, so the GPU path is
 * checked against the golden references too.
 */
export const PORTABLE_TUNING: Readonly<Tuning> = Object.freeze({ ...DEFAULT });

const TABLE: { match: RegExp; tuning: Partial<Tuning> }[] = [
  // Mesa lavapipe (llvmpipe), 8-wide AVX2 subgroups: measured 1024³ best at R = 32 rows × 2 groups of 32
  // columns, one subgroup per workgroup (R = 40 was faster still but took the driver 18 s to compile).
  { match: /llvmpipe|lavapipe/i, tuning: { matmul: 'sg8', sgRows: 32, sgColGroups: 2, sgPerGroup: 1, tileRows: 16, tileCol4: 2, tileWX: 8, tileWY: 4, minParallel: 16, attnRows: 8, reducePerThreadOut: 64, sgTransposeB: true, lambdaFused: true, lambdaDy1Block: 6, lambdaWgradTaps: true, sbluWholeRow: true, sbluRows: true, reduceInnerFirst: true } },
  // SwiftShader (Chromium's CPU adapter): no 8-wide subgroup guarantee, so big per-thread tiles.
  { match: /swiftshader/i, tuning: { matmul: 'tile', tileRows: 8, tileCol4: 2, tileWX: 8, tileWY: 4, minParallel: 16 } },
];

const cache = new WeakMap<Runtime, Tuning>();

/** The tuning for a runtime's adapter (sg8 only where 8-wide subgroups are guaranteed). */
export function tuningFor(rt: Runtime): Tuning {
  let t = cache.get(rt);
  if (!t) {
    t = { ...DEFAULT };
    for (const row of TABLE) if (row.match.test(rt.adapterName)) { t = { ...t, ...row.tuning }; break; }
    const f = rt.features;
    if (t.matmul === 'sg8' && !(f.subgroups && f.subgroupMinSize === 8 && f.subgroupMaxSize === 8)) t.matmul = 'tile';
    cache.set(rt, t);
  }
  return t;
}

/** Override the tuning of a runtime (benchmarks and tests of each kernel family). */
export function setTuning(rt: Runtime, patch: Partial<Tuning>): void {
  cache.set(rt, { ...tuningFor(rt), ...patch });
}

/** Run `fn` with the tuning patched (tests use it to check every kernel family on one adapter). */
export function withTuning<T>(rt: Runtime, patch: Partial<Tuning>, fn: () => T): T {
  const prev = tuningFor(rt);
  setTuning(rt, patch);
  try { return fn(); } finally { cache.set(rt, prev); }
}
