// Reductions (sum, max, min) over any set of axes. The input is seen as kept dims × reduced dims,
// each with its own strides into the input, so no transpose copy is needed. A template
// (src/gpu/template.ts) over KR and RR, the kept and reduced ranks (at least 1 each), so the index
// arithmetic is unrolled: a loop over a dynamically indexed uniform array cost ~10x more per
// element on lavapipe. Long reductions into few
// outputs run in two stages: per_group_split reduces `parts` slices of `chunk` elements per output in
// parallel workgroups (each a shared-memory tree), then per_thread combines the parts.
struct Params {
  nOut: u32, nRed: u32, _p0: u32, _p1: u32,
  scale: f32, parts: u32, chunk: u32, _p2: u32,
  keptShape: array<vec4<u32>, 2>,
  keptStrides: array<vec4<u32>, 2>,
  redShape: array<vec4<u32>, 2>,
  redStrides: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
override OP: u32 = 0u; // a row of the reduction table
//#include lib/index.wgsl

const WG: u32 = 64u;
//#include lib/tree_reduce.wgsl FN=combine_lanes T=f32 COMBINE=combine(a,b)

// The cases are generated from the reduction table (src/ops/elementwise-table.ts; OP is the row's index).
fn init() -> f32 {
  switch OP {
    //#insert INIT
    default: { return 0.0; }
  }
}

fn combine(u: f32, v: f32) -> f32 {
  switch OP {
    //#insert COMBINE
    default: { return u; }
  }
}

// Offsets of output o and of reduced element r, unrolled over the ranks KR and RR (template
// parameters; the host merges neighbouring axes first).
//#include lib/unravel.wgsl FN=base_of RANK=KR SHAPE=keptShape STRIDES=keptStrides
//#include lib/unravel.wgsl FN=red_off RANK=RR SHAPE=redShape STRIDES=redStrides

// The result from the combined value (sum: times p.scale, which makes it a mean).
fn finish(v: f32) -> f32 {
  switch OP {
    //#insert FINISH
    default: { return v; }
  }
}

// One thread per output: best when the reduced extent is short.
@compute @workgroup_size(64)
fn per_thread(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = thread_index(gid, nwg, 64u);
  if (o >= p.nOut) { return; }
  let base = base_of(o);
  var acc = init();
  for (var r = 0u; r < p.nRed; r++) { acc = combine(acc, x[base + red_off(r)]); }
  y[o] = finish(acc);
}

// One workgroup per output with a shared-memory tree: best when the reduced extent is long.
@compute @workgroup_size(64)
fn per_group(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = wid.x + wid.y * nwg.x;
  if (o >= p.nOut) { return; }
  let base = base_of(o);
  var acc = init();
  for (var r = lid.x; r < p.nRed; r += WG) { acc = combine(acc, x[base + red_off(r)]); }
  let total = combine_lanes(acc, lid.x);
  if (lid.x == 0u) { y[o] = finish(total); }
}

// Stage one of a two-stage reduction: workgroup (o, part) reduces elements [part·chunk, (part+1)·chunk)
// of output o into y[o·parts + part] (unscaled; stage two applies the scale).
@compute @workgroup_size(64)
fn per_group_split(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let w = wid.x + wid.y * nwg.x;
  let o = w / p.parts;
  if (o >= p.nOut) { return; }
  let base = base_of(o);
  let r0 = (w % p.parts) * p.chunk;
  let r1 = min(p.nRed, r0 + p.chunk);
  var acc = init();
  for (var r = r0 + lid.x; r < r1; r += WG) { acc = combine(acc, x[base + red_off(r)]); }
  let total = combine_lanes(acc, lid.x);
  if (lid.x == 0u) { y[w] = total; }
}

// Stage one when the reduced elements of each output are contiguous (the trailing axes) and a multiple
// of 4: the same as per_group_split with vec4 loads and no index arithmetic per element (per-lane
// loads dominate on CPU adapters, and a vec4 costs little more than a scalar there).
@group(0) @binding(3) var<storage, read> x4: array<vec4f>;

fn combine4(u: vec4f, v: vec4f) -> vec4f {
  switch OP {
    //#insert COMBINE
    default: { return u; }
  }
}

@compute @workgroup_size(64)
fn contig_split(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let w = wid.x + wid.y * nwg.x;
  let o = w / p.parts;
  if (o >= p.nOut) { return; }
  let base4 = o * (p.nRed / 4u);
  let r0 = (w % p.parts) * (p.chunk / 4u);
  let r1 = min(p.nRed / 4u, r0 + p.chunk / 4u);
  var acc = vec4f(init());
  for (var r = r0 + lid.x; r < r1; r += WG) { acc = combine4(acc, x4[base4 + r]); }
  let total = combine_lanes(combine(combine(acc.x, acc.y), combine(acc.z, acc.w)), lid.x);
  if (lid.x == 0u) { y[w] = total; }
}
