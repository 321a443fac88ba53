// Matmul with a per-thread register block: R rows × 4·C4 columns, vec4 loads along the contiguous
// dimension of each operand (template parameters: R, C4, TA, TB, NV, BIAS, GELU, SAVEZ; see
// src/gpu/template.ts). For GPUs and CPU adapters without 8-wide subgroups: no workgroup memory and
// no barriers (barriers are coroutine switches on CPU adapters), tile sizes from src/gpu/tuning.ts.
// The block is written unrolled because drivers do not reliably keep loop-indexed arrays in registers.
// Vec4-read dims must be multiples of 4 (host-checked): A: TA ? M : K, B: TB ? K : N. Edge rows and
// columns are clamped on load and skipped on store. K is a multiple of 4 unless both operands are read
// along M/N (TA && !TB); then KCHK zeroes k past the split end (both operands, so Inf/NaN cannot leak).
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
override WX: u32 = 16u;
override WY: u32 = 8u;

fn dim(arr: array<vec4<u32>, 2>, d: u32) -> u32 { return arr[d / 4u][d % 4u]; }

// Exact-GELU as in unary.wgsl (Abramowitz-Stegun 7.1.26 erf, |error| <= 1.5e-7).
fn gelu4(v: vec4f) -> vec4f {
  let a = abs(v * 0.7071067811865476);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  let erfv = sign(v) * (1.0 - poly * exp(-a * a));
  return 0.5 * v * (1.0 + erfv);
}

@compute @workgroup_size(WX, WY)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
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
  let row0 = (wid.y * WY + lid.y) * {{R}}u;
  let col0 = (wid.x * WX + lid.x) * {{C4 * 4}}u;
  if (row0 >= M || col0 >= N) { return; }
  let kBegin = split * p.kSplit;
  let kEnd = min(K, kBegin + p.kSplit);
  //#for r in 0..R
  //#for c in 0..C4
  var acc{{r}}_{{c}} = vec4f(0.0);
  //#end
  //#end
  // Loop-invariant addresses (clamped rows/columns) hoisted out of the k loop.
//#if TA == 0
  //#for r in 0..R
  let aRow{{r}} = (aOff + min(row0 + {{r}}u, M - 1u) * K) / 4u;
  //#end
//#else
  //#for r4 in 0..R / 4
  let aCol{{r4}} = aOff / 4u + min(row0 / 4u + {{r4}}u, M / 4u - 1u);
  //#end
//#end
  //#for c in 0..C4
//#if TB
  //#for cc in 0..4
  let bRow{{c}}_{{cc}} = (bOff + min(col0 + {{c * 4 + cc}}u, N - 1u) * K) / 4u;
  //#end
//#else
  let bCol{{c}} = bOff / 4u + min(col0 / 4u + {{c}}u, N / 4u - 1u);
//#end
  //#end
  for (var kb = kBegin; kb < kEnd; kb += 4u) {
//#if TA == 0
    //#for r in 0..R
    let ar{{r}} = A[aRow{{r}} + kb / 4u];
    //#end
//#end
//#if TB
    //#for c in 0..C4
    //#for cc in 0..4
    let bc{{c}}_{{cc}} = B[bRow{{c}}_{{cc}} + kb / 4u];
    //#end
    //#end
//#end
    //#for j in 0..4
    {
//#if KCHK
      // K is not a multiple of 4 (only possible when both operands are read along M/N).
      let ok = kb + {{j}}u < kEnd;
      let kc = min(kb + {{j}}u, K - 1u);
//#else
      let kc = kb + {{j}}u;
//#end
//#if TA
      //#for r4 in 0..R / 4
//#if KCHK
      let aw{{r4}} = select(vec4f(0.0), A[kc * (M / 4u) + aCol{{r4}}], ok);
//#else
      let aw{{r4}} = A[kc * (M / 4u) + aCol{{r4}}];
//#end
      //#end
//#end
      //#for c in 0..C4
//#if TB
      let bv{{c}} = vec4f(bc{{c}}_0[{{j}}], bc{{c}}_1[{{j}}], bc{{c}}_2[{{j}}], bc{{c}}_3[{{j}}]);
//#else
//#if KCHK
      let bv{{c}} = select(vec4f(0.0), B[kc * (N / 4u) + bCol{{c}}], ok);
//#else
      let bv{{c}} = B[kc * (N / 4u) + bCol{{c}}];
//#end
//#end
      //#end
      //#for r in 0..R
//#if TA
      let a{{r}} = vec4f(aw{{r / 4}}[{{r % 4}}]);
//#else
      let a{{r}} = vec4f(ar{{r}}[{{j}}]);
//#end
      //#for c in 0..C4
      acc{{r}}_{{c}} = fma(a{{r}}, bv{{c}}, acc{{r}}_{{c}});
      //#end
      //#end
    }
    //#end
  }
  // Epilogue as a real loop over a private copy of the accumulators (unrolled GELU compiles slowly).
  let cBase = (outBatch * p.nSplit + split) * M * N;
  var out: array<vec4f, {{R * C4}}>;
  //#for r in 0..R
  //#for c in 0..C4
  out[{{r * C4 + c}}] = acc{{r}}_{{c}};
  //#end
  //#end
  for (var c = 0u; c < {{C4}}u; c++) {
    let col = col0 + c * 4u;
//#if BIAS
    let bcol = vec4f(bias[min(col, N - 1u)], bias[min(col + 1u, N - 1u)], bias[min(col + 2u, N - 1u)], bias[min(col + 3u, N - 1u)]);
//#end
    for (var r = 0u; r < {{R}}u; r++) {
      let row = row0 + r;
      var v = out[r * {{C4}}u + c];
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
  }
}
