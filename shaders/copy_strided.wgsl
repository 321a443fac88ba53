// The strided copy behind permute, slice, pad, concat and expand, as a template (src/gpu/template.ts)
// over the rank RANK (after the host merged every pair of axes that is contiguous in both source and
// destination) and V4 (the innermost axis is contiguous on both sides and every offset is a multiple
// of 4, so whole vec4s move). Unrolled index arithmetic over constant uniform indices: the earlier
// loop over a dynamically indexed uniform array cost ~10x more per element on lavapipe.
struct Params {
  n: u32, srcBase: u32, dstBase: u32, _p0: u32,
  shape: array<vec4<u32>, 2>,
  srcStrides: array<vec4<u32>, 2>,
  dstStrides: array<vec4<u32>, 2>,
}
//#if V4
@group(0) @binding(0) var<storage, read> src: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4f>;
//#else
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
//#end
@group(0) @binding(2) var<uniform> p: Params;

// Element (i0..i_{RANK-1}) goes from srcBase + Σ ik·srcStrides[k] to dstBase + Σ ik·dstStrides[k]
// (all in elements of the bound array type).
//#include lib/index.wgsl

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  var rem = i;
  var s = p.srcBase;
  var t = p.dstBase;
  //#for e in 0..RANK
  {
    let len = p.shape[{{(RANK - 1 - e) / 4}}][{{(RANK - 1 - e) % 4}}];
    let k = rem % len;
    rem = rem / len;
    s += k * p.srcStrides[{{(RANK - 1 - e) / 4}}][{{(RANK - 1 - e) % 4}}];
    t += k * p.dstStrides[{{(RANK - 1 - e) / 4}}][{{(RANK - 1 - e) % 4}}];
  }
  //#end
  dst[t] = src[s];
}
