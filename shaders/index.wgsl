// Gather along one axis (index-select) and its adjoint, index-add. The tensor is seen as
// [outer, n, inner]; indices are [J] shared by all outer rows, or [outer, J] when `batched` is 1.
// index_add loops over J per output element instead of using atomics, so it is deterministic;
// add_csr_main, for indices known on the host, visits only each position's matches (listed in
// ascending j by the host), which gives the same sums in the same order.
// Template V: the unit of `inner` and of every value moved, f32 (1) or vec4f (4, when the host's
// inner size is a multiple of 4: a quarter of the per-lane loads, which CPU adapters pay for per lane);
// inner and total are given in units.
//#if V == 4
alias unit = vec4f;
//#else
alias unit = f32;
//#end
struct Params { outer: u32, n: u32, inner: u32, J: u32, batched: u32, total: u32 }
@group(0) @binding(0) var<storage, read> x: array<unit>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> y: array<unit>;
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<storage, read> src: array<unit>;
@group(0) @binding(5) var<storage, read> start: array<i32>;   // [rows·n + 1]: CSR row starts
@group(0) @binding(6) var<storage, read> list: array<i32>;    // [rows·J]: the matching j, ascending

//#include lib/index.wgsl

fn index_at(o: u32, j: u32) -> i32 { return idx[select(0u, o * p.J, p.batched == 1u) + j]; }

// Element t of a [outer, mid, inner] tensor as (o, m, i).
fn split3(t: u32, mid: u32) -> vec3u { return vec3u(t / (p.inner * mid), (t / p.inner) % mid, t % p.inner); }

// y[o, j, i] = x[o, idx[o?, j], i]
@compute @workgroup_size(256)
fn select_main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = thread_index(gid, nwg, 256u);
  if (t >= p.total) { return; }
  let e = split3(t, p.J);
  let o = e.x;
  let j = e.y;
  let i = e.z;
  let k = index_at(o, j);
  // Out-of-range indices read NaN so the mistake shows (a runtime value: NaN is no f32 constant).
  var nanBits = 0x7fc00000u;
  if (k < 0 || u32(k) >= p.n) { y[t] = unit(bitcast<f32>(nanBits)); return; }
  y[t] = x[(o * p.n + u32(k)) * p.inner + i];
}

// y[o, r, i] = x[o, r, i] + Σ_{j : idx[o?, j] = r} src[o, j, i]
@compute @workgroup_size(256)
fn add_main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = thread_index(gid, nwg, 256u);
  if (t >= p.total) { return; }
  let e = split3(t, p.n);
  let o = e.x;
  let r = e.y;
  let i = e.z;
  var acc = x[t];
  for (var j = 0u; j < p.J; j++) {
    if (index_at(o, j) == i32(r)) { acc += src[(o * p.J + j) * p.inner + i]; }
  }
  y[t] = acc;
}

// y[o, r, i] = x[o, r, i] + Σ_{j : idx[o?, j] = r} src[o, j, i], the j read from the CSR lists.
@compute @workgroup_size(256)
fn add_csr_main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = thread_index(gid, nwg, 256u);
  if (t >= p.total) { return; }
  let e = split3(t, p.n);
  let o = e.x;
  let r = e.y;
  let i = e.z;
  let row = select(0u, o * p.n, p.batched == 1u) + r;
  var acc = x[t];
  for (var k = start[row]; k < start[row + 1u]; k++) { acc += src[(o * p.J + u32(list[k])) * p.inner + i]; }
  y[t] = acc;
}
