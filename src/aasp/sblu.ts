/**
 * The fused SBLU op (spec 3.3): S = log1p(|g·C·(exp(−Λ|d|) ⋆ u)|) with Λ = α + jω, in one kernel
 * each way (shaders/sblu.wgsl). The taps are generated in workgroup memory from α and ω, so no
 * [B, F, M, K] tensor exists in global memory; the backward produces dL/du, dL/dα, dL/dω and dL/dg
 * in two dispatches (a tiled pass for du and per-tile parameter sums, then a small finishing pass).
 * CPU adapters (tuning `sbluRows`) run the same op as one thread per row (shaders/sblu-rows.wgsl),
 * after a small pass that writes the [R, M, K/2 + 1] taps; its backward ends in the same finishing pass.
 */
import sbluSrc from '../../shaders/sblu.wgsl?raw';
import sbluRowsSrc from '../../shaders/sblu-rows.wgsl?raw';
import { kernelFamily } from '../gpu/kernel';
import { grid1d, runtime } from '../gpu/runtime';
import { expandTemplate } from '../gpu/template';
import { tuningFor } from '../gpu/tuning';
import { templateKernel } from '../ops/kernels';
import { empty, type Tensor } from '../tensor/tensor';
import { record } from '../tensor/tape';
import { nd, type NDArray } from '../tensor/ndarray';
import type { OpSpec } from '../ops/spec';

const sbluK = kernelFamily('sblu', expandTemplate(sbluSrc));

/** Modes one kernel handles (its per-thread register arrays are sized for this). */
export const SBLU_MAX_MODES = 8;

/** Positions per block of the one-thread-per-row kernels (each block loads a window of TB + K − 1). */
const ROWS_TB = 16;

export interface SbluTuning {
  /**
   * One thread per row (shaders/sblu-rows.wgsl) instead of tiles of positions per workgroup
   * (default: the adapter's `sbluRows`).
   */
  rows?: boolean;
  /** Rows kernels: positions per block (default 16; fewer compile faster). */
  rowsBlock?: number;
  /** Tiled kernels: output positions per workgroup (default 256, halved until the shared memory fits the device). */
  tile?: number;
  /** Tiled kernels: threads per workgroup (default 64). */
  workgroup?: number;
}

/** Workgroup memory of the backward entry (the larger one): u window, A, partial sums, P, taps. */
function sharedBytes(M: number, K: number, tile: number, wg: number): number {
  const AW = tile + K - 1, UW = tile + 2 * (K - 1), NT = Math.floor(K / 2) + 1;
  return 4 * (UW + 2 * M * AW + 3 * M * wg + M) + 8 * M * NT;
}

function rowGrid(nTiles: number, R: number): [number, number, number] {
  const y = Math.min(R, 65535);
  return [nTiles, y, Math.ceil(R / y)];
}

type Buffers = Record<string, GPUBuffer>;

/** How one SBLU call is dispatched: the forward, and the backward up to the per-tile parameter sums. */
interface SbluLaunch {
  /** Tiles per row in `part` [R, M, nTiles, 3]. */
  nTiles: number;
  forward(b: Buffers): void;
  /** Writes `part` and, with `du`, du from u, alpha, omega, gain and dS. */
  backward(b: Buffers, du: boolean): void;
}

/** Tiles of positions per workgroup, taps and windows in workgroup memory (shaders/sblu.wgsl). */
function tiledLaunch(R: number, F: number, T: number, B: number, M: number, K: number, tuning: SbluTuning): SbluLaunch {
  const WG = tuning.workgroup ?? 64;
  if (3 * M > WG) throw new Error(`sblu: workgroup of ${WG} threads is too small for ${M} modes`);
  // Longer tiles waste less on the K − 1 halo the backward recomputes; shared memory bounds them.
  const limit = runtime().device.limits.maxComputeWorkgroupStorageSize;
  // Lavapipe: rows longer than 256 in one tile (T rounded up to 64, so few pipeline variants) halve
  // the workgroups and the halo recomputed by the backward (tiny AaSP shapes [32, 80, 608]: fwd+bwd
  // 0.94x the time of 256-position tiles, paired median of 5).
  let TILE = tuning.tile ?? (tuningFor(runtime()).sbluWholeRow && T > 256 ? Math.ceil(T / 64) * 64 : 256);
  while (tuning.tile === undefined && TILE > 16 && sharedBytes(M, K, TILE, WG) > limit) TILE /= 2;
  if (sharedBytes(M, K, TILE, WG) > limit) throw new Error(`sblu: M = ${M}, K = ${K} with ${TILE}-position tiles need ${sharedBytes(M, K, TILE, WG)} bytes of workgroup memory; the device allows ${limit}`);
  const nTiles = Math.max(1, Math.ceil(T / TILE));
  const overrides = { M, K, TILE, WG };
  const uniforms = { R, F, T, nTiles, B, _p0: 0, _p1: 0, _p2: 0 };
  const workgroups = rowGrid(nTiles, R);
  return {
    nTiles,
    forward: (buffers) => runtime().dispatch(sbluK('forward'), { buffers, uniforms, workgroups, overrides }),
    // du is cheap here next to the workgroup-memory traffic: always computed (dropped when unneeded).
    backward: (buffers, du) => {
      const scratch = du ? null : empty([R, T]);
      runtime().dispatch(sbluK('backward'), { buffers: scratch ? { ...buffers, du: scratch.buffer } : buffers, uniforms, workgroups, overrides });
      scratch?.dispose();
    },
  };
}

/**
 * One thread per row, taps in registers, windows of TB positions (shaders/sblu-rows.wgsl): for CPU
 * adapters, where the tiled kernels' workgroup-memory loads are per-lane loops.
 */
function rowsLaunch(R: number, F: number, T: number, M: number, K: number, TB: number): SbluLaunch {
  const CL = Math.floor(K / 2), NT = CL + 1;
  // DU only changes the backward; the other entries always get DU = 1 (one pipeline each).
  const kernel = (entry: string, extra: Record<string, number> = {}) => templateKernel('sblu-rows', sbluRowsSrc, { M, K, CL, CR: K - 1 - CL, NT, TB, DU: 1, ...extra }, entry);
  const uniforms = { R, F, T, _p0: 0 };
  const rt = runtime();
  // The taps and P of every (row, mode): a small pass before each direction, so nothing is kept between them.
  const withTaps = (entry: string, buffers: Buffers, extra: Record<string, GPUBuffer> = {}, params: Record<string, number> = {}) => {
    const H = empty([R, M, NT, 2]), P = empty([R, M]);
    const { alpha, omega, gain, ...rest } = buffers;
    rt.dispatch(kernel('taps'), { buffers: { alpha, omega, gain, H: H.buffer, P: P.buffer }, uniforms, workgroups: grid1d(Math.ceil((R * M) / 64)) });
    rt.dispatch(kernel(entry, params), { buffers: { ...rest, ...extra, H: H.buffer, P: P.buffer }, uniforms, workgroups: grid1d(Math.ceil(R / 64)) });
    H.dispose();
    P.dispose();
  };
  return {
    nTiles: 1,
    forward: (buffers) => withTaps('forward', buffers),
    backward: (buffers, du) => {
      const Ag = empty([R, T, 2]);
      withTaps('backward', buffers, { Ag: Ag.buffer }, { DU: du ? 1 : 0 });
      Ag.dispose();
    },
  };
}

/**
 * u [B, F, T], alpha and omega [B, F, M], gain [F, M] → S [B, F, M, T], kernel length K (centre
 * floor(K/2), as the reference). Differentiable in all four inputs.
 */
export function sblu(u: Tensor, alpha: Tensor, omega: Tensor, gain: Tensor, K = 33, tuning: SbluTuning = {}): Tensor {
  for (const t of [u, alpha, omega, gain]) if (t.dtype !== 'f32') throw new Error(`sblu: inputs must be float32, got ${t.dtype} [${t.shape}]`);
  if (u.rank !== 3) throw new Error(`sblu: u must be [B, F, T], got [${u.shape}]`);
  const [B, F, T] = u.shape;
  if (alpha.rank !== 3 || alpha.shape[0] !== B || alpha.shape[1] !== F) throw new Error(`sblu: alpha must be [${B}, ${F}, M], got [${alpha.shape}]`);
  const M = alpha.shape[2];
  if (omega.rank !== 3 || omega.shape.some((d, i) => d !== alpha.shape[i])) throw new Error(`sblu: omega must be [${alpha.shape}], got [${omega.shape}]`);
  if (gain.rank !== 2 || gain.shape[0] !== F || gain.shape[1] !== M) throw new Error(`sblu: gain must be [${F}, ${M}], got [${gain.shape}]`);
  if (M < 1 || M > SBLU_MAX_MODES) throw new Error(`sblu: ${M} modes; the kernel supports 1 to ${SBLU_MAX_MODES}`);
  if (!Number.isInteger(K) || K < 1 || K > 257) throw new Error(`sblu: kernel length K = ${K} must be an integer in [1, 257]`);
  const R = B * F;
  const launch = (tuning.rows ?? tuningFor(runtime()).sbluRows) ? rowsLaunch(R, F, T, M, K, tuning.rowsBlock ?? ROWS_TB) : tiledLaunch(R, F, T, B, M, K, tuning);
  const S = empty([B, F, M, T]);
  if (S.size === 0) return S;
  launch.forward({ u: u.buffer, alpha: alpha.buffer, omega: omega.buffer, gain: gain.buffer, S: S.buffer });
  // dL/du only when u needs it (the alias branch's u is the log-mel input, which does not).
  const needU = u.requiresGrad;
  return record('sblu', S, [u, alpha, omega, gain], [u, alpha, omega, gain], (g, [us, as, ws, gs]) => {
    const du = needU ? empty(us.shape) : null, part = empty([R, M, launch.nTiles, 3]);
    const bufs: Buffers = { u: us.buffer, alpha: as.buffer, omega: ws.buffer, gain: gs.buffer, dS: g.buffer, part: part.buffer };
    launch.backward(du ? { ...bufs, du: du.buffer } : bufs, !!du);
    const da = empty(as.shape), dw = empty(ws.shape), dg = empty(gs.shape);
    runtime().dispatch(sbluK('params_grad'), {
      buffers: { alpha: as.buffer, omega: ws.buffer, gain: gs.buffer, part: part.buffer, dalpha: da.buffer, domega: dw.buffer, dgain: dg.buffer },
      uniforms: { R, F, T, nTiles: launch.nTiles, B, _p0: 0, _p1: 0, _p2: 0 }, workgroups: [Math.ceil((F * M) / 64)], overrides: { M },
    });
    part.dispose();
    return [du, da, dw, dg];
  });
}

// ---- float64 reference: the spec's formula in complex arithmetic, no shortcuts ----

/** S [B, F, M, T] from u [B, F, T], α, ω [B, F, M], g [F, M], evaluated literally in float64. */
export function sbluRef(u: NDArray, alpha: NDArray, omega: NDArray, gain: NDArray, K = 33): NDArray {
  const [B, F, T] = u.shape, M = alpha.shape[2], c = Math.floor(K / 2);
  const out = nd([B, F, M, T]);
  for (let b = 0; b < B; b++) for (let f = 0; f < F; f++) for (let m = 0; m < M; m++) {
    const a = alpha.data[(b * F + f) * M + m], w = omega.data[(b * F + f) * M + m], g = gain.data[f * M + m];
    // C = 2 sinh(Λ/2)/Λ with sinh(x + jy) = sinh x cos y + j cosh x sin y.
    const shr = Math.sinh(a / 2) * Math.cos(w / 2), shi = Math.cosh(a / 2) * Math.sin(w / 2);
    const den = a * a + w * w;
    const cr = (2 * (shr * a + shi * w)) / den, ci = (2 * (shi * a - shr * w)) / den;
    for (let n = 0; n < T; n++) {
      let zr = 0, zi = 0;
      for (let k = 0; k < K; k++) {
        const t = n + k - c;
        if (t < 0 || t >= T) continue;
        const dist = Math.abs(k - c), e = Math.exp(-a * dist), x = u.data[(b * F + f) * T + t];
        zr += e * Math.cos(w * dist) * x;
        zi -= e * Math.sin(w * dist) * x;
      }
      const yr = g * (cr * zr - ci * zi), yi = g * (cr * zi + ci * zr);
      out.data[((b * F + f) * M + m) * T + n] = Math.log1p(Math.sqrt(yr * yr + yi * yi + 1e-6));
    }
  }
  return out;
}

// ---- op-checker cases ----

const OMEGA_LO = Math.PI / 16, OMEGA_HI = Math.PI;

/**
 * Inputs: u in [−2, 2]; α in [1/K, 1.5] with the first element exactly at the floor 1/K; ω in
 * [π/16, π] with the first two elements at the bounds; g in [0.5, 1.5].
 */
function sbluInput(K: number) {
  return (shapes: number[][], i: number, rand: () => number): number[] | null => {
    const n = shapes[i].reduce((a, b) => a * b, 1);
    const draw = (lo: number, hi: number) => Array.from({ length: n }, () => lo + (hi - lo) * rand());
    if (i === 1) { const v = draw(1 / K, 1.5); v[0] = 1 / K; if (n > 5) v[5] = 1 / K; return v; }
    if (i === 2) { const v = draw(OMEGA_LO, OMEGA_HI); v[0] = OMEGA_LO; if (n > 1) v[1] = OMEGA_HI; if (n > 5) v[5] = OMEGA_HI; return v; }
    if (i === 3) return draw(0.5, 1.5);
    return null;
  };
}

const caseOf = (B: number, F: number, T: number, M: number): number[][] => [[B, F, T], [B, F, M], [B, F, M], [F, M]];

/** |Λ| ≪ 1 (outside the spec's range, |Λ| ≥ π/16): exercises the series for C = 2 sinh(Λ/2)/Λ. */
function tinyLambdaInput(shapes: number[][], i: number, rand: () => number): number[] | null {
  if (i !== 1 && i !== 2) return null;
  return Array.from({ length: shapes[i].reduce((a, b) => a * b, 1) }, () => 1e-4 + 0.02 * rand());
}

function spec(K: number, cases: number[][][], tuning: SbluTuning = {}, suffix = '', makeInput = sbluInput(K)): OpSpec {
  return {
    name: `sblu(K=${K}${suffix})`,
    cases,
    gpu: ([u, a, w, g]) => sblu(u, a, w, g, K, tuning),
    ref: ([u, a, w, g]) => sbluRef(u, a, w, g, K),
    makeInput,
    tol: { atol: 2e-5, rtol: 2e-5, gradAtol: 2e-4, gradRtol: 2e-4 },
  };
}

/** T > K and not a multiple of 16; T < K; T = 1; several tiles (T = 300 over 128-position tiles). */
const MAIN_CASES = [caseOf(2, 3, 37, 4), caseOf(2, 3, 20, 4), caseOf(1, 2, 1, 4), caseOf(1, 2, 300, 4), caseOf(2, 2, 16, 1), caseOf(1, 3, 41, 8)];

// Both kernel families on every adapter, whichever one the adapter's tuning picks.
export const sbluSpecs: OpSpec[] = [
  spec(33, MAIN_CASES, { rows: false }),
  // Small tiles: tile edges inside the signal on both sides of every tap window.
  spec(33, [caseOf(1, 2, 77, 3)], { rows: false, tile: 16, workgroup: 16 }, ', tile 16'),
  // Several 128-position tiles whatever the adapter's default (lavapipe: one tile per row).
  spec(33, [caseOf(1, 2, 300, 4)], { rows: false, tile: 128 }, ', tile 128'),
  // Other kernel lengths, the even one with its extra left tap.
  spec(9, [caseOf(2, 2, 23, 4)], { rows: false }),
  spec(8, [caseOf(2, 2, 23, 4)], { rows: false }),
  spec(1, [caseOf(1, 2, 5, 2)], { rows: false }),
  spec(33, [caseOf(1, 2, 30, 4)], { rows: false }, ', |Λ| ≪ 1', tinyLambdaInput),
  // One thread per row: T not a multiple of its 16-position blocks, T < K, T = 1, 65 rows (two workgroups).
  // Its T = 300 draw puts α at 1/K and ω at π (slowest decay) with a dω of −4.2226: both kernels give
  // −4.2241 on it (tiled −4.224102, rows −4.224103), 3.5e-4 relative, the float32 sums' limit there.
  { ...spec(33, [...MAIN_CASES, caseOf(13, 5, 11, 2)], { rows: true }, ', rows'), tol: { atol: 2e-5, rtol: 2e-5, gradAtol: 2e-4, gradRtol: 4e-4 } },
  spec(33, [caseOf(2, 3, 37, 4)], { rows: true, rowsBlock: 8 }, ', rows, 8-position blocks'),
  spec(9, [caseOf(2, 2, 23, 4)], { rows: true }, ', rows'),
  spec(8, [caseOf(2, 2, 23, 4), caseOf(1, 2, 3, 4)], { rows: true }, ', rows'),
  spec(1, [caseOf(1, 2, 5, 2)], { rows: true }, ', rows'),
  spec(33, [caseOf(1, 2, 30, 4)], { rows: true }, ', rows, |Λ| ≪ 1', tinyLambdaInput),
  // u without a gradient (the alias branch's log-mel input): the rows backward without du, the tiled
  // one dropping it; dα, dω and dg unchanged.
  { ...spec(33, [caseOf(2, 3, 37, 4)], { rows: true }, ', rows, u constant'), grad: [false, true, true, true] },
  { ...spec(33, [caseOf(2, 3, 37, 4)], { rows: false }, ', u constant'), grad: [false, true, true, true] },
];
