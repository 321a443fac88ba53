// Softmax and log-softmax over the last axis, one workgroup per row, forward and backward.
// Template (src/gpu/template.ts), SG: with 8-wide subgroups (CPU adapters) a row is one subgroup and
// the reductions are subgroupMax/subgroupAdd, with no barriers (a barrier is a coroutine switch per
// 8 lanes there); otherwise 64 threads and a shared-memory tree.
//#if SG
enable subgroups;
//#end
struct Params { rows: u32, cols: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
override LOG: bool = false;
//#if SG
const WG: u32 = 8u;
fn reduce_max(v: f32, l: u32) -> f32 { return subgroupMax(v); }
fn reduce_sum(v: f32, l: u32) -> f32 { return subgroupAdd(v); }
//#else
const WG: u32 = 64u;
//#include lib/tree_reduce.wgsl FN=reduce_max T=f32 COMBINE=max(a,b)
//#include lib/tree_reduce.wgsl FN=reduce_sum T=f32 COMBINE=a+b
//#end

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  var m = -3.4028234663852886e38;
  for (var j = lid.x; j < p.cols; j += WG) { m = max(m, x[base + j]); }
  m = reduce_max(m, lid.x);
  var s = 0.0;
  for (var j = lid.x; j < p.cols; j += WG) { s += exp(x[base + j] - m); }
  s = reduce_sum(s, lid.x);
  let ls = log(s);
  for (var j = lid.x; j < p.cols; j += WG) {
    let z = x[base + j] - m;
    if (LOG) { y[base + j] = z - ls; } else { y[base + j] = exp(z) / s; }
  }
}

// Takes the forward output y: softmax dx = y (g - Σ g y); log-softmax dx = g - exp(y) Σ g.
@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  var s = 0.0;
  for (var j = lid.x; j < p.cols; j += WG) {
    if (LOG) { s += g[base + j]; } else { s += g[base + j] * x[base + j]; }
  }
  s = reduce_sum(s, lid.x);
  for (var j = lid.x; j < p.cols; j += WG) {
    if (LOG) { dx[base + j] = g[base + j] - exp(x[base + j]) * s; }
    else { dx[base + j] = x[base + j] * (g[base + j] - s); }
  }
}
