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
override OP: u32 = 0u; // 0 sum, 1 max, 2 min
const WG: u32 = 64u;
var<workgroup> part: array<f32, 64>;

fn init() -> f32 {
  switch OP {
    case 1u: { return -3.4028234663852886e38; }
    case 2u: { return 3.4028234663852886e38; }
    default: { return 0.0; }
  }
}

fn combine(u: f32, v: f32) -> f32 {
  switch OP {
    case 1u: { return max(u, v); }
    case 2u: { return min(u, v); }
    default: { return u + v; }
  }
}

// Offsets of output o and of reduced element r, unrolled over the ranks KR and RR (template
// parameters; the host merges neighbouring axes first). The outermost axis needs no modulo.
fn base_of(o: u32) -> u32 {
  var rem = o;
  var off = 0u;
  //#for e in 0..KR
  {
    //#if e == KR - 1
    off += rem * p.keptStrides[{{(KR - 1 - e) / 4}}][{{(KR - 1 - e) % 4}}];
    //#else
    let len = p.keptShape[{{(KR - 1 - e) / 4}}][{{(KR - 1 - e) % 4}}];
    off += (rem % len) * p.keptStrides[{{(KR - 1 - e) / 4}}][{{(KR - 1 - e) % 4}}];
    rem = rem / len;
    //#end
  }
  //#end
  return off;
}

fn red_off(r: u32) -> u32 {
  var rem = r;
  var off = 0u;
  //#for e in 0..RR
  {
    //#if e == RR - 1
    off += rem * p.redStrides[{{(RR - 1 - e) / 4}}][{{(RR - 1 - e) % 4}}];
    //#else
    let len = p.redShape[{{(RR - 1 - e) / 4}}][{{(RR - 1 - e) % 4}}];
    off += (rem % len) * p.redStrides[{{(RR - 1 - e) / 4}}][{{(RR - 1 - e) % 4}}];
    rem = rem / len;
    //#end
  }
  //#end
  return off;
}

fn finish(v: f32) -> f32 {
  if (OP == 0u) { return v * p.scale; }
  return v;
}

// One thread per output: best when the reduced extent is short.
@compute @workgroup_size(64)
fn per_thread(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = gid.x + gid.y * nwg.x * 64u;
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
  part[lid.x] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid.x < s) { part[lid.x] = combine(part[lid.x], part[lid.x + s]); }
    workgroupBarrier();
  }
  if (lid.x == 0u) { y[o] = finish(part[0]); }
}

// Stage one of a two-stage reduction: workgroup (o, part) reduces elements [part·chunk, (part+1)·chunk)
// of output o into y[o·parts + part] (unscaled; stage two applies the scale).
@compute @workgroup_size(64)
fn per_group_split(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let w = wid.x + wid.y * nwg.x;
  let o = w / p.parts;
  let pi = w % p.parts;
  if (o >= p.nOut) { return; }
  let base = base_of(o);
  let r0 = pi * p.chunk;
  let r1 = min(p.nRed, r0 + p.chunk);
  var acc = init();
  for (var r = r0 + lid.x; r < r1; r += WG) { acc = combine(acc, x[base + red_off(r)]); }
  part[lid.x] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid.x < s) { part[lid.x] = combine(part[lid.x], part[lid.x + s]); }
    workgroupBarrier();
  }
  if (lid.x == 0u) { y[w] = part[0]; }
}

// Stage one when the reduced elements of each output are contiguous (the trailing axes) and a multiple
// of 4: the same as per_group_split with vec4 loads and no index arithmetic per element (per-lane
// loads dominate on CPU adapters, and a vec4 costs little more than a scalar there).
@group(0) @binding(3) var<storage, read> x4: array<vec4f>;

fn combine4(u: vec4f, v: vec4f) -> vec4f {
  switch OP {
    case 1u: { return max(u, v); }
    case 2u: { return min(u, v); }
    default: { return u + v; }
  }
}

@compute @workgroup_size(64)
fn contig_split(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let w = wid.x + wid.y * nwg.x;
  let o = w / p.parts;
  let pi = w % p.parts;
  if (o >= p.nOut) { return; }
  let base4 = o * (p.nRed / 4u);
  let r0 = pi * (p.chunk / 4u);
  let r1 = min(p.nRed / 4u, r0 + p.chunk / 4u);
  var acc = vec4f(init());
  for (var r = r0 + lid.x; r < r1; r += WG) { acc = combine4(acc, x4[base4 + r]); }
  part[lid.x] = combine(combine(acc.x, acc.y), combine(acc.z, acc.w));
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid.x < s) { part[lid.x] = combine(part[lid.x], part[lid.x + s]); }
    workgroupBarrier();
  }
  if (lid.x == 0u) { y[w] = part[0]; }
}
