// Matmul for CPU adapters with 8-wide subgroups (lavapipe): C[b] = op(A[b])·op(B[b]) (+ bias, GELU).
// Template (src/gpu/template.ts): R rows per subgroup, TA/TB transposes, NV vec4 output, BIAS, GELU, SAVEZ.
//
// Why this shape: on lavapipe every per-lane load is scalarised with a bounds check and a branch per
// lane (~30x the cost of an FMA), while subgroupBroadcast is a register extract + splat. So the 8 lanes
// of a subgroup share R rows of A: each lane loads a distinct vec4 of A and the values are broadcast;
// each lane owns 4 columns of B (one vec4 load per k). Per k a lane does 4·R FMAs for ~1 + R/32 vec4
// loads. The accumulators (R vec4s) spill to the stack, which is still far cheaper than loads.
// Contiguous dims that are read as vec4 must be multiples of 4 (the host checks): A: TA ? M : K,
// B: TB ? K : N. Rows/columns past the edge are clamped on load and skipped on store. KCHK is set when
// K does not fill the k blocks (32 for TA = 0, 4 for TA = 1): then k past the end contributes exact
// zeros (both operands are zeroed, so Inf/NaN cannot leak in); without it the loop has no checks.
enable subgroups;

struct Params {
  M: u32, N: u32, K: u32, batchRank: u32,
  kSplit: u32, nSplit: u32, _p0: u32, _p1: u32,
  batchShape: array<vec4<u32>, 2>,
  aBatch: array<vec4<u32>, 2>,
  bBatch: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<storage, read> A: array<vec4f>;
@group(0) @binding(1) var<storage, read> B: array<vec4f>;
//#if NV
@group(0) @binding(2) var<storage, read_write> C: array<vec4f>;
//#else
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
//#end
@group(0) @binding(3) var<uniform> p: Params;
//#if BIAS
@group(0) @binding(4) var<storage, read> bias: array<f32>;
//#end
//#if SAVEZ && NV
@group(0) @binding(5) var<storage, read_write> Z: array<vec4f>;
//#end
//#if SAVEZ && !NV
@group(0) @binding(5) var<storage, read_write> Z: array<f32>;
//#end
// Workgroup size: 8 × the subgroups per workgroup, which are stacked along M.
override WG: u32 = 8u;

fn dim(arr: array<vec4<u32>, 2>, d: u32) -> u32 { return arr[d / 4u][d % 4u]; }

// Exact-GELU as in unary.wgsl (Abramowitz-Stegun 7.1.26 erf, |error| <= 1.5e-7).
fn gelu4(v: vec4f) -> vec4f {
  let a = abs(v * 0.7071067811865476);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  let erfv = sign(v) * (1.0 - poly * exp(-a * a));
  return 0.5 * v * (1.0 + erfv);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let lane = lid.x % 8u;
  let split = wid.z % p.nSplit;
  var rem = wid.z / p.nSplit;
  let outBatch = rem;
  var aOff = 0u;
  var bOff = 0u;
  for (var d = i32(p.batchRank) - 1; d >= 0; d--) {
    let du = u32(d);
    let len = dim(p.batchShape, du);
    let i = rem % len;
    rem = rem / len;
    aOff += i * dim(p.aBatch, du);
    bOff += i * dim(p.bBatch, du);
  }
  let M = p.M;
  let N = p.N;
  let K = p.K;
  let row0 = (wid.y * (WG / 8u) + lid.x / 8u) * {{R}}u;
  let col = wid.x * 32u + lane * 4u;
  let kBegin = split * p.kSplit;
  let kEnd = min(K, kBegin + p.kSplit);
  //#for r in 0..R
  var acc{{r}} = vec4f(0.0);
  //#end
  // Loop-invariant addresses (clamped columns) hoisted out of the k loop.
//#if TB
  //#for c in 0..4
  let bRow{{c}} = (bOff + min(col + {{c}}u, N - 1u) * K) / 4u;
  //#end
//#else
  let bCol = bOff / 4u + min(col / 4u, N / 4u - 1u);
//#end
//#if TA == 0
  // A is [M, K]: lane l holds A[row, kb + 4l .. 4l+3] for every row; broadcast 4 k at a time.
  //#for r in 0..R
  let aRow{{r}} = (aOff + min(row0 + {{r}}u, M - 1u) * K) / 4u;
  //#end
  for (var kb = kBegin; kb < kEnd; kb += 32u) {
//#if KCHK
    // Last block of a K that is not a multiple of 32: zero both operands past kEnd.
    let ak4 = min(kb / 4u + lane, kEnd / 4u - 1u);
    let aOk = kb / 4u + lane < kEnd / 4u;
    //#for r in 0..R
    let ar{{r}} = select(vec4f(0.0), A[aRow{{r}} + ak4], aOk);
    //#end
//#else
    //#for r in 0..R
    let ar{{r}} = A[aRow{{r}} + kb / 4u + lane];
    //#end
//#end
    // A real loop over the 8 groups of 4 k (a shuffle with a uniform lane index, not an unrolled
    // broadcast): unrolled, the kernel took the driver tens of seconds to compile.
    for (var q = 0u; q < 8u; q++) {
      //#for r in 0..R
      let a{{r}} = subgroupShuffle(ar{{r}}, q);
      //#end
//#if KCHK
      let bOk = kb + q * 4u < kEnd;
      let bk4 = min(kb / 4u + q, kEnd / 4u - 1u);
//#else
      let bk4 = kb / 4u + q;
//#end
//#if TB
      // B is [N, K]: this lane's 4 columns, 4 k each.
      //#for c in 0..4
//#if KCHK
      let bc{{c}} = select(vec4f(0.0), B[bRow{{c}} + bk4], bOk);
//#else
      let bc{{c}} = B[bRow{{c}} + bk4];
//#end
      //#end
//#end
      //#for j in 0..4
      {
//#if TB
        let bv = vec4f(bc0[{{j}}], bc1[{{j}}], bc2[{{j}}], bc3[{{j}}]);
//#else
//#if KCHK
        let bv = select(vec4f(0.0), B[(bk4 * 4u + {{j}}u) * (N / 4u) + bCol], bOk);
//#else
        let bv = B[(bk4 * 4u + {{j}}u) * (N / 4u) + bCol];
//#end
//#end
        //#for r in 0..R
        acc{{r}} = fma(vec4f(a{{r}}[{{j}}]), bv, acc{{r}});
        //#end
      }
      //#end
    }
  }
//#else
  // A is [K, M]: per k one vec4 load per lane covers 32 consecutive rows; lane r/4 holds rows r..r+3.
  let aCol = aOff / 4u + min(row0 / 4u + lane % {{(R + 3) / 4}}u, M / 4u - 1u);
  for (var kb = kBegin; kb < kEnd; kb += 4u) {
//#if TB
    //#for c in 0..4
    let bc{{c}} = B[bRow{{c}} + kb / 4u];
    //#end
//#end
    //#for j in 0..4
    {
//#if KCHK
      // K is not a multiple of 4 (only when B is [K, N]): zero both operands past kEnd.
      let ok = kb + {{j}}u < kEnd;
      let kc = min(kb + {{j}}u, K - 1u);
      let aw = select(vec4f(0.0), A[kc * (M / 4u) + aCol], ok);
//#else
      let kc = kb + {{j}}u;
      let aw = A[kc * (M / 4u) + aCol];
//#end
      //#for r4 in 0..(R + 3) / 4
      let a{{r4}} = subgroupBroadcast(aw, {{r4}}u);
      //#end
//#if TB
      let bv = vec4f(bc0[{{j}}], bc1[{{j}}], bc2[{{j}}], bc3[{{j}}]);
//#else
//#if KCHK
      let bv = select(vec4f(0.0), B[kc * (N / 4u) + bCol], ok);
//#else
      let bv = B[kc * (N / 4u) + bCol];
//#end
//#end
      //#for r in 0..R
      acc{{r}} = fma(vec4f(a{{r / 4}}[{{r % 4}}]), bv, acc{{r}});
      //#end
    }
    //#end
  }
//#end
  // Epilogue. With GELU it is a real loop over a private copy of the accumulators: unrolled, GELU's
  // exp/div for every row made the driver's compile take over a minute for R = 32. Without GELU it
  // stays unrolled (the private-array round trip costs per-lane memory traffic when K is short).
  let cBase = (outBatch * p.nSplit + split) * M * N;
  var bcol = vec4f(0.0);
//#if BIAS
  bcol = vec4f(bias[min(col, N - 1u)], bias[min(col + 1u, N - 1u)], bias[min(col + 2u, N - 1u)], bias[min(col + 3u, N - 1u)]);
//#end
//#if GELU
  var out: array<vec4f, {{R}}>;
  //#for r in 0..R
  out[{{r}}] = acc{{r}};
  //#end
  for (var r = 0u; r < {{R}}u; r++) { epilogue(row0 + r, col, cBase, out[r], bcol); }
//#else
  //#for r in 0..R
  epilogue(row0 + {{r}}u, col, cBase, acc{{r}}, bcol);
  //#end
//#end
}

// Epilogue for one row of this lane's 4 columns: bias, pre-activation (SAVEZ), GELU, guarded stores.
fn epilogue(row: u32, col: u32, cBase: u32, acc: vec4f, bcol: vec4f) {
  let M = p.M;
  let N = p.N;
  var v = acc;
//#if BIAS
  v += bcol;
//#end
//#if SAVEZ && NV
  if (row < M && col < N) { Z[(cBase + row * N + col) / 4u] = v; }
//#end
//#if SAVEZ && !NV
  if (row < M) {
    //#for cc in 0..4
    if (col + {{cc}}u < N) { Z[cBase + row * N + col + {{cc}}u] = v[{{cc}}]; }
    //#end
  }
//#end
//#if GELU
  v = gelu4(v);
//#end
//#if NV
  if (row < M && col < N) { C[(cBase + row * N + col) / 4u] = v; }
//#else
  if (row < M) {
    //#for cc in 0..4
    if (col + {{cc}}u < N) { C[cBase + row * N + col + {{cc}}u] = v[{{cc}}]; }
    //#end
  }
//#end
}
