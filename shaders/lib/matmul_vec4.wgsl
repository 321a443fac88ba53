// What the vec4 matmul kernels (matmul_sg.wgsl, matmul_tile.wgsl) share: the uniforms, the bindings
// (A and B read as vec4s; C and, with SAVEZ, the pre-activation Z as vec4s when NV; the bias with
// BIAS), batch addressing and the epilogue (bias, pre-activation, exact GELU, residual, guarded stores).
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
// DGELU: the output times gelu'(Z) for a saved pre-activation Z of the output's shape (the gradient
// through a GELU taken in the matmul that makes the gradient of its output). Not with SAVEZ / GELU.
//#if DGELU && NV
@group(0) @binding(5) var<storage, read> Z: array<vec4f>;
//#end
//#if DGELU && !NV
@group(0) @binding(5) var<storage, read> Z: array<f32>;
//#end
//#if RSUM
@group(0) @binding(6) var<storage, read_write> rowsum: array<vec4f>;
//#end
// RES: a residual R (the output's shape) added last, so y = act(A·B + bias) + R in one pass.
//#if RES && NV
@group(0) @binding(7) var<storage, read> res: array<vec4f>;
//#end
//#if RES && !NV
@group(0) @binding(7) var<storage, read> res: array<f32>;
//#end

//#include lib/batch.wgsl
//#include lib/erf.wgsl

// What workgroup z = batch · nSplit + split computes: its operands' batch offsets and its K range.
struct Job { aOff: u32, bOff: u32, kBegin: u32, kEnd: u32 }

fn batch_split(z: u32) -> Job {
  let ab = batch_offsets(z / p.nSplit);
  let kBegin = (z % p.nSplit) * p.kSplit;
  return Job(ab.x, ab.y, kBegin, min(p.K, kBegin + p.kSplit));
}

// The bias of 4 columns from `col` (clamped at the edge; zero without BIAS).
fn bias4(col: u32) -> vec4f {
//#if BIAS
  let N = p.N;
  return vec4f(bias[min(col, N - 1u)], bias[min(col + 1u, N - 1u)], bias[min(col + 2u, N - 1u)], bias[min(col + 3u, N - 1u)]);
//#else
  return vec4f(0.0);
//#end
}

// Epilogue for one row of 4 columns from `col`: bias, gelu'(Z) (DGELU), pre-activation (SAVEZ), GELU,
// residual, guarded stores.
fn epilogue(row: u32, col: u32, cBase: u32, acc: vec4f, bcol: vec4f) {
  let M = p.M;
  let N = p.N;
  var v = acc;
//#if BIAS
  v += bcol;
//#end
//#if DGELU && NV
  if (row < M && col < N) { v *= gelu_grad4(Z[(cBase + row * N + col) / 4u]); }
//#end
//#if DGELU && !NV
  if (row < M) {
    //#for cc in 0..4
    if (col + {{cc}}u < N) { v[{{cc}}] *= gelu_grad_f(Z[cBase + row * N + col + {{cc}}u]); }
    //#end
  }
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
//#if RES
  if (row < M && col < N) { C[(cBase + row * N + col) / 4u] = v + res[(cBase + row * N + col) / 4u]; }
//#else
  if (row < M && col < N) { C[(cBase + row * N + col) / 4u] = v; }
//#end
//#else
  if (row < M) {
    //#for cc in 0..4
//#if RES
    if (col + {{cc}}u < N) { C[cBase + row * N + col + {{cc}}u] = v[{{cc}}] + res[cBase + row * N + col + {{cc}}u]; }
//#else
    if (col + {{cc}}u < N) { C[cBase + row * N + col + {{cc}}u] = v[{{cc}}]; }
//#end
    //#end
  }
//#end
}
