// Layer norm over the last axis: forward (saves mean and 1/std per row) and backward in one kernel
// each way, plus a two-stage column pass for the weight and bias gradients. Template over SG, CPL, RB,
// BWD and CHUNK: with 8-wide subgroups (CPU adapters) a row is one subgroup reduced by subgroupAdd, no
// barriers, and rows of at most 8·CPL columns use the register kernel `rows` below;
// otherwise 64 threads and a shared-memory tree. CHUNK: rows per partial of the weight gradients.
//#if SG
enable subgroups;
//#end
struct Params { rows: u32, cols: u32, eps: f32, affine: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;
@group(0) @binding(6) var<storage, read> g: array<f32>;
@group(0) @binding(7) var<storage, read_write> dx: array<f32>;
@group(0) @binding(8) var<storage, read_write> dw: array<f32>;
@group(0) @binding(9) var<storage, read_write> db: array<f32>;
@group(0) @binding(10) var<storage, read> st: array<f32>;
//#if SG
const WG: u32 = 8u;
fn reduce2(v: vec2f, l: u32) -> vec2f { return subgroupAdd(v); }
//#else
const WG: u32 = 64u;
//#include lib/tree_reduce.wgsl FN=reduce2 T=vec2f COMBINE=a+b
//#end

fn weight(j: u32) -> f32 { if (p.affine == 1u) { return w[j]; } return 1.0; }
fn bias(j: u32) -> f32 { if (p.affine == 1u) { return b[j]; } return 0.0; }

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  let n = f32(p.cols);
  var s = 0.0;
  for (var j = lid.x; j < p.cols; j += WG) { s += x[base + j]; }
  let mean = reduce2(vec2f(s, 0.0), lid.x).x / n;
  // Two-pass variance: exact enough where E[x²] − mean² would cancel.
  var q = 0.0;
  for (var j = lid.x; j < p.cols; j += WG) { let d = x[base + j] - mean; q += d * d; }
  let rstd = inverseSqrt(reduce2(vec2f(q, 0.0), lid.x).x / n + p.eps);
  for (var j = lid.x; j < p.cols; j += WG) {
    y[base + j] = (x[base + j] - mean) * rstd * weight(j) + bias(j);
  }
  if (lid.x == 0u) { stats[2u * row] = mean; stats[2u * row + 1u] = rstd; }
}

// dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ x̂)), ĝ = g · w.
@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  let mean = st[2u * row];
  let rstd = st[2u * row + 1u];
  var acc = vec2f(0.0, 0.0);
  for (var j = lid.x; j < p.cols; j += WG) {
    let gh = g[base + j] * weight(j);
    let xh = (x[base + j] - mean) * rstd;
    acc += vec2f(gh, gh * xh);
  }
  let sums = reduce2(acc, lid.x) / f32(p.cols);
  for (var j = lid.x; j < p.cols; j += WG) {
    let gh = g[base + j] * weight(j);
    let xh = (x[base + j] - mean) * rstd;
    dx[base + j] = rstd * (gh - sums.x - xh * sums.y);
  }
}

//#if SG && CPL
// Register rows (8-wide subgroups, cols ≤ 8·CPL), forward (BWD = 0) or backward (BWD = 1): a subgroup
// takes RB consecutive rows and each lane holds the columns lane + 8c of a row in registers, so x is
// read once (main reads it three times, backward twice) and the weight and bias once per RB rows. On
// lavapipe every per-lane load is a loop over the lanes, so a row costs what it loads. The backward
// also sums its rows' dw and db per column (what params_partial does in a second pass): one partial
// per RB rows (CHUNK = RB) for params_final.
@compute @workgroup_size(8)
fn rows(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let blk = wid.x + wid.y * nwg.x;
  let r0 = blk * {{RB}}u;
  let r1 = min(p.rows, r0 + {{RB}}u);
  let lane = lid.x;
  let n = f32(p.cols);
  let aff = p.affine == 1u;
  //#for c in 0..CPL
  let ok{{c}} = lane + {{8 * c}}u < p.cols;
  let j{{c}} = min(lane + {{8 * c}}u, p.cols - 1u);
  let w{{c}} = select(1.0, w[j{{c}}], aff);
//#if BWD
  var dwa{{c}} = 0.0;
  var dba{{c}} = 0.0;
//#else
  let b{{c}} = select(0.0, b[j{{c}}], aff);
//#end
  //#end
  for (var row = r0; row < r1; row++) {
    let base = row * p.cols;
//#if BWD
    // dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ x̂)), ĝ = g · w, as in backward.
    let mean = st[2u * row];
    let rstd = st[2u * row + 1u];
    var s1 = 0.0;
    var s2 = 0.0;
    //#for c in 0..CPL
    let g{{c}} = select(0.0, g[base + j{{c}}], ok{{c}});
    let xh{{c}} = select(0.0, (x[base + j{{c}}] - mean) * rstd, ok{{c}});
    let gh{{c}} = g{{c}} * w{{c}};
    s1 += gh{{c}};
    s2 += gh{{c}} * xh{{c}};
    //#end
    let m1 = subgroupAdd(s1) / n;
    let m2 = subgroupAdd(s2) / n;
    //#for c in 0..CPL
    if (ok{{c}}) { dx[base + j{{c}}] = rstd * (gh{{c}} - m1 - xh{{c}} * m2); }
    dwa{{c}} += g{{c}} * xh{{c}};
    dba{{c}} += g{{c}};
    //#end
//#else
    var s = 0.0;
    //#for c in 0..CPL
    let x{{c}} = select(0.0, x[base + j{{c}}], ok{{c}});
    s += x{{c}};
    //#end
    let mean = subgroupAdd(s) / n;
    // Two-pass variance, as in main.
    var q = 0.0;
    //#for c in 0..CPL
    let d{{c}} = select(0.0, x{{c}} - mean, ok{{c}});
    q += d{{c}} * d{{c}};
    //#end
    let rstd = inverseSqrt(subgroupAdd(q) / n + p.eps);
    //#for c in 0..CPL
    if (ok{{c}}) { y[base + j{{c}}] = d{{c}} * rstd * w{{c}} + b{{c}}; }
    //#end
    if (lane == 0u) { stats[2u * row] = mean; stats[2u * row + 1u] = rstd; }
//#end
  }
//#if BWD
  if (aff) {
    //#for c in 0..CPL
    if (ok{{c}}) { part[blk * p.cols + j{{c}}] = vec2f(dwa{{c}}, dba{{c}}); }
    //#end
  }
//#end
}
//#end

// dw[j] = Σ_rows g x̂, db[j] = Σ_rows g in two stages, so long row counts (batch × tokens) spread over
// many workgroups instead of one thread per column walking every row:
// params_partial: workgroup (column block, row chunk) writes partial sums part[chunk, j] = (dw, db);
// params_final: one thread per column adds the chunks. Reads stay coalesced along columns.
@group(0) @binding(11) var<storage, read_write> part: array<vec2f>;
@group(0) @binding(12) var<storage, read> partIn: array<vec2f>;
const CHUNK: u32 = {{CHUNK}}u;

@compute @workgroup_size(64)
fn params_partial(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let j = wid.x * 64u + lid.x;
  if (j >= p.cols) { return; }
  let r0 = wid.y * CHUNK;
  let r1 = min(p.rows, r0 + CHUNK);
  var acc = vec2f(0.0, 0.0);
  for (var r = r0; r < r1; r++) {
    let gv = g[r * p.cols + j];
    acc += vec2f(gv * (x[r * p.cols + j] - st[2u * r]) * st[2u * r + 1u], gv);
  }
  part[wid.y * p.cols + j] = acc;
}

@compute @workgroup_size(64)
fn params_final(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x;
  if (j >= p.cols) { return; }
  let chunks = (p.rows + CHUNK - 1u) / CHUNK;
  var acc = vec2f(0.0, 0.0);
  for (var c = 0u; c < chunks; c++) { acc += partIn[c * p.cols + j]; }
  dw[j] = acc.x;
  db[j] = acc.y;
}
