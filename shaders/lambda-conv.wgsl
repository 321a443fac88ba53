// Small-channel 1-D convolution for the Lambda Encoder (spec 3.2: 1 → 16 and 16 → 16 channels,
// kernel 9, stride 1 or 2, zero padding): x [R, CIN, L], w [COUT, CIN, KW], bias [COUT] →
// y [R, COUT, LO], LO = (L + 2·PAD − KW)/STRIDE + 1. Shapes are override constants, so every loop
// has a fixed trip count and each thread keeps a whole channel vector in registers:
//   forward      one thread per (r, t): all COUT outputs from CIN·KW inputs
//   input_grad   one thread per (r, t): all CIN input gradients from COUT·KW output gradients
//   weight_grad  one thread per (ci, k), one workgroup per block of rows: all COUT weights of that
//                (ci, k) summed over the block; the blocks' partials are added up afterwards.
// The engine's general conv kernel computes one value per thread with per-tap index checks,
// which makes the Lambda Encoder the slowest part of AaPE; this keeps it a small share.
struct Params { R: u32, L: u32, LO: u32, rowsPerGroup: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
@group(0) @binding(5) var<storage, read> g: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;
@group(0) @binding(7) var<storage, read_write> part: array<f32>;   // [groups, COUT, CIN, KW]

override CIN: u32 = 16u;
override COUT: u32 = 16u;
override KW: u32 = 9u;
override STRIDE: u32 = 1u;
override PAD: u32 = 4u;
override WGW: u32 = 144u; // = CIN·KW (wgsl_reflect cannot parse the product inside @workgroup_size)
const MAXC: u32 = 32u;

fn lin(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 64u; }

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = lin(gid, nwg);
  if (i >= p.R * p.LO) { return; }
  let r = i / p.LO;
  let t = i % p.LO;
  var acc: array<f32, MAXC>;
  for (var co = 0u; co < COUT; co++) { acc[co] = bias[co]; }
  let t0 = i32(t * STRIDE) - i32(PAD);
  for (var ci = 0u; ci < CIN; ci++) {
    let xb = (r * CIN + ci) * p.L;
    for (var k = 0u; k < KW; k++) {
      let s = t0 + i32(k);
      if (s < 0 || s >= i32(p.L)) { continue; }
      let xv = x[xb + u32(s)];
      for (var co = 0u; co < COUT; co++) { acc[co] += w[(co * CIN + ci) * KW + k] * xv; }
    }
  }
  for (var co = 0u; co < COUT; co++) { y[(r * COUT + co) * p.LO + t] = acc[co]; }
}

// dx[r, ci, s] = Σ_{co, k : s = t·STRIDE + k − PAD} g[r, co, t] · w[co, ci, k]
@compute @workgroup_size(64)
fn input_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = lin(gid, nwg);
  if (i >= p.R * p.L) { return; }
  let r = i / p.L;
  let s = i % p.L;
  var acc: array<f32, MAXC>;
  for (var ci = 0u; ci < CIN; ci++) { acc[ci] = 0.0; }
  for (var k = 0u; k < KW; k++) {
    let num = i32(s + PAD) - i32(k);
    if (num < 0 || u32(num) % STRIDE != 0u) { continue; }
    let t = u32(num) / STRIDE;
    if (t >= p.LO) { continue; }
    for (var co = 0u; co < COUT; co++) {
      let gv = g[(r * COUT + co) * p.LO + t];
      for (var ci = 0u; ci < CIN; ci++) { acc[ci] += w[(co * CIN + ci) * KW + k] * gv; }
    }
  }
  for (var ci = 0u; ci < CIN; ci++) { dx[(r * CIN + ci) * p.L + s] = acc[ci]; }
}

// Workgroup size CIN·KW (one thread per (ci, k)); workgroup q takes rows [q·rowsPerGroup, ...).
@compute @workgroup_size(WGW)
fn weight_grad(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let q = wid.x;
  let ci = lid.x / KW;
  let k = lid.x % KW;
  var acc: array<f32, MAXC>;
  for (var co = 0u; co < COUT; co++) { acc[co] = 0.0; }
  let r1 = min(p.R, (q + 1u) * p.rowsPerGroup);
  for (var r = q * p.rowsPerGroup; r < r1; r++) {
    let xb = (r * CIN + ci) * p.L;
    let gb = r * COUT * p.LO;
    for (var t = 0u; t < p.LO; t++) {
      let s = i32(t * STRIDE + k) - i32(PAD);
      if (s < 0 || s >= i32(p.L)) { continue; }
      let xv = x[xb + u32(s)];
      for (var co = 0u; co < COUT; co++) { acc[co] += g[gb + co * p.LO + t] * xv; }
    }
  }
  for (var co = 0u; co < COUT; co++) { part[((q * COUT + co) * CIN + ci) * KW + k] = acc[co]; }
}
