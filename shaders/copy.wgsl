// Data movement: a strided copy that serves permute, slice, pad, concat and expand; fill; arange.
struct Params {
  n: u32, rank: u32, srcBase: u32, dstBase: u32,
  value: f32, step: f32, _p0: u32, _p1: u32,
  shape: array<vec4<u32>, 2>,
  srcStrides: array<vec4<u32>, 2>,
  dstStrides: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

fn dim(arr: array<vec4<u32>, 2>, d: u32) -> u32 { return arr[d / 4u][d % 4u]; }

// Iterate over `shape`; element (i0..ir) goes from srcBase + Σ ik·srcStrides[k] to dstBase + Σ ik·dstStrides[k].
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  var rem = i;
  var s = p.srcBase;
  var t = p.dstBase;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let du = u32(d);
    let len = dim(p.shape, du);
    let k = rem % len;
    rem = rem / len;
    s += k * dim(p.srcStrides, du);
    t += k * dim(p.dstStrides, du);
  }
  dst[t] = src[s];
}

@compute @workgroup_size(256)
fn fill(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  dst[p.dstBase + i] = p.value;
}

@compute @workgroup_size(256)
fn arange(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  dst[i] = p.value + f32(i) * p.step;
}
