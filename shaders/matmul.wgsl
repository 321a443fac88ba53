// Batched matmul C[b] = op(A[b]) · op(B[b]) with broadcast batch dims; op = optional transpose, done
// through strides so backward needs no transpose copies. Each thread computes a 4×4 register block
// (register blocking pays on lavapipe, where barriers are costly: see docs/platform.md).
struct Params {
  M: u32, N: u32, K: u32, batchRank: u32,
  sAm: u32, sAk: u32, sBk: u32, sBn: u32,
  batchShape: array<vec4<u32>, 2>,
  aBatch: array<vec4<u32>, 2>,
  bBatch: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
override TX: u32 = 8u;
override TY: u32 = 8u;

//#include lib/batch.wgsl

@compute @workgroup_size(TX, TY)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let ab = batch_offsets(wid.z);
  let aOff = ab.x;
  let bOff = ab.y;
  let row0 = (wid.y * TY + lid.y) * 4u;
  let col0 = (wid.x * TX + lid.x) * 4u;
  if (row0 >= p.M || col0 >= p.N) { return; }
  var rowIdx: vec4u;
  var colIdx: vec4u;
  var rowOk: vec4<bool>;
  var colOk: vec4<bool>;
  for (var t = 0u; t < 4u; t++) {
    rowOk[t] = row0 + t < p.M;
    colOk[t] = col0 + t < p.N;
    rowIdx[t] = aOff + min(row0 + t, p.M - 1u) * p.sAm;
    colIdx[t] = bOff + min(col0 + t, p.N - 1u) * p.sBn;
  }
  var acc: array<vec4f, 4>;
  for (var k = 0u; k < p.K; k++) {
    let ak = k * p.sAk;
    let bk = k * p.sBk;
    let av = vec4f(A[rowIdx.x + ak], A[rowIdx.y + ak], A[rowIdx.z + ak], A[rowIdx.w + ak]);
    let bv = vec4f(B[colIdx.x + bk], B[colIdx.y + bk], B[colIdx.z + bk], B[colIdx.w + bk]);
    acc[0] += av.x * bv;
    acc[1] += av.y * bv;
    acc[2] += av.z * bv;
    acc[3] += av.w * bv;
  }
  let cBase = wid.z * p.M * p.N;
  for (var r = 0u; r < 4u; r++) {
    if (!rowOk[r]) { break; }
    let rowBase = cBase + (row0 + r) * p.N + col0;
    for (var cc = 0u; cc < 4u; cc++) {
      if (colOk[cc]) { C[rowBase + cc] = acc[r][cc]; }
    }
  }
}
