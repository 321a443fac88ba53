// Elementwise binary ops with numpy broadcasting (rank <= 8), their fused backward, scalar forms,
// and the ternary `where`. Strides of broadcast dimensions are 0. A template (src/gpu/template.ts)
// over RANK, the number of axes the broadcasting entries walk; `rank` in Params is RANK.
struct Params {
  n: u32, rank: u32, scalar: f32, swap: u32,
  shape: array<vec4<u32>, 2>,
  sa: array<vec4<u32>, 2>,
  sb: array<vec4<u32>, 2>,
  sc: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<storage, read> g: array<f32>;
@group(0) @binding(5) var<storage, read_write> ga: array<f32>;
@group(0) @binding(6) var<storage, read_write> gb: array<f32>;
@group(0) @binding(7) var<storage, read> c: array<f32>;
// a, b and y bound again as vec4s for same4 (same shapes, a multiple of 4 elements).
@group(0) @binding(8) var<storage, read> a4: array<vec4f>;
@group(0) @binding(9) var<storage, read> b4: array<vec4f>;
@group(0) @binding(10) var<storage, read_write> y4: array<vec4f>;
override OP: u32 = 0u;

// The cases are generated from src/ops/elementwise-table.ts (one row per op; OP is the row's index).
fn op(u: f32, v: f32) -> f32 {
  switch OP {
    //#insert FORWARD
    default: { return u; }
  }
}

// Partial derivatives (d/du, d/dv); zero for ops without a gradient.
fn dop(u: f32, v: f32) -> vec2f {
  switch OP {
    //#insert DERIVATIVE
    default: { return vec2f(0.0, 0.0); }
  }
}

//#include lib/index.wgsl

// The offsets of element i in a, b and c (broadcast axes have stride 0) over the RANK axes the host
// kept after merging (src/ops/util.ts coalesce). A template over RANK, unrolled so every uniform
// index is a constant: the earlier loop over a dynamically indexed uniform array made a broadcast
// op cost 6-10x a same-shape one per element on lavapipe. The outermost axis needs no division.
fn offsets(i: u32) -> vec3u {
  var rem = i;
  var o = vec3u(0u, 0u, 0u);
  //#for e in 0..RANK
  {
    //#if e == RANK - 1
    let k = rem;
    //#else
    let len = p.shape[{{(RANK - 1 - e) / 4}}][{{(RANK - 1 - e) % 4}}];
    let k = rem % len;
    rem = rem / len;
    //#end
    o += k * vec3u(p.sa[{{(RANK - 1 - e) / 4}}][{{(RANK - 1 - e) % 4}}], p.sb[{{(RANK - 1 - e) / 4}}][{{(RANK - 1 - e) % 4}}], p.sc[{{(RANK - 1 - e) / 4}}][{{(RANK - 1 - e) % 4}}]);
  }
  //#end
  return o;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  let o = offsets(i);
  y[i] = op(a[o.x], b[o.y]);
}

// Same shapes, no broadcasting: no index arithmetic.
@compute @workgroup_size(256)
fn same(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  y[i] = op(a[i], b[i]);
}

// same, 4 elements per thread (p.n counts vec4s): a quarter of the per-lane loads and stores, which
// CPU adapters pay for per lane.
@compute @workgroup_size(256)
fn same4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  let u = a4[i];
  let v = b4[i];
  y4[i] = vec4f(op(u.x, v.x), op(u.y, v.y), op(u.z, v.z), op(u.w, v.w));
}

// a op scalar, or scalar op a when swap = 1.
@compute @workgroup_size(256)
fn scalar(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  if (p.swap == 1u) { y[i] = op(p.scalar, a[i]); } else { y[i] = op(a[i], p.scalar); }
}

// Gradients in the broadcast output shape; the caller sums them down to each input's shape.
@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  let o = offsets(i);
  let d = dop(a[o.x], b[o.y]) * g[i];
  ga[i] = d.x;
  gb[i] = d.y;
}

@compute @workgroup_size(256)
fn scalar_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  if (p.swap == 1u) { ga[i] = dop(p.scalar, a[i]).y * g[i]; } else { ga[i] = dop(a[i], p.scalar).x * g[i]; }
}

// y = c != 0 ? a : b, all three broadcast (sc holds c's strides).
@compute @workgroup_size(256)
fn where_main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  let o = offsets(i);
  y[i] = select(b[o.y], a[o.x], c[o.z] != 0.0);
}
