// SBLU (spec 3.3) with one thread per row r = b·F + f: the op of shaders/sblu.wgsl (the formulas are
// there), arranged for CPU adapters. The tiled kernels give each thread a position and read the taps
// and the u window from workgroup memory inside the tap loop; on lavapipe every such load is a loop
// over the 8 lanes (docs/performance.md), so those kernels are load-bound. Here a thread holds one
// mode's taps in registers and walks its row in blocks of TB positions, loading only the block's
// window (TB + K − 1 values) and doing TB·K multiply-adds with it; the loops over taps and block
// positions are unrolled by the template (src/gpu/template.ts), so every register index is a
// constant (the arrays passed between the helpers below are constant-indexed, so the driver keeps
// them in registers: same speed as named variables, measured). Modes stay a loop: unrolling them too made the driver take minutes to compile.
// A template over M, K, CL = ⌊K/2⌋, CR = K − 1 − CL, NT = CL + 1 and TB; the backward also over DU
// (0: u needs no gradient, e.g. a log-mel input, so du is neither computed nor written).
//   taps      one thread per (row, mode): H [R, M, NT] = exp(−Λd) for d = 0 … CL, P [R, M] = g²|C|².
//   forward   S [R, M, T] from u, H and P.
//   backward  per mode, pass 1 walks the row for z and writes A = dL/dz (complex) to the scratch
//             Ag [R, T]; pass 2, in the same thread, reads A back in windows and adds this mode's
//             part of du and the tap parts of dα and dω. The row's three parameter sums go to `part`
//             as one tile (nTiles = 1), finished by sblu.wgsl's params_grad.
//#include lib/sblu_math.wgsl
struct Params { R: u32, F: u32, T: u32, _p0: u32 }
//#include lib/sblu_bindings.wgsl
@group(0) @binding(9) var<storage, read_write> Ag: array<vec2f>;   // [R, T], backward scratch
@group(0) @binding(10) var<storage, read_write> H: array<vec2f>;   // [R, M, NT]
@group(0) @binding(11) var<storage, read_write> P: array<f32>;     // [R, M]

fn lin(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 64u; }

// u[ub + n], or 0 outside [0, T).
fn u_at(ub: u32, n: i32) -> f32 {
  return select(0.0, u[ub + u32(clamp(n, 0, i32(p.T) - 1))], n >= 0 && n < i32(p.T));
}

// A[ab + n], or 0 outside [0, T).
fn a_at(ab: u32, n: i32) -> vec2f {
  return select(vec2f(0.0), Ag[ab + u32(clamp(n, 0, i32(p.T) - 1))], n >= 0 && n < i32(p.T));
}

// The u window of a block: x[e] = u at n0 − CL + e.
fn u_window(ub: u32, n0: i32) -> array<f32, {{TB + K - 1}}> {
  var x: array<f32, {{TB + K - 1}}>;
  //#for e in 0..TB + K - 1
  x[{{e}}] = u_at(ub, n0 + {{e - CL}});
  //#end
  return x;
}

// One mode's taps h(0 … CL) and P of row-mode rm.
fn taps_of(rm: u32) -> array<vec2f, {{NT}}> {
  var h: array<vec2f, {{NT}}>;
  //#for d in 0..NT
  h[{{d}}] = H[rm * {{NT}}u + {{d}}u];
  //#end
  return h;
}

// z at the block's TB positions: Σ_d h(|d|)·u[n + d] over d in [−CL, CR], pairs sharing a multiply.
fn conv_block(x: array<f32, {{TB + K - 1}}>, h: array<vec2f, {{NT}}>) -> array<vec2f, {{TB}}> {
  var z: array<vec2f, {{TB}}>;
  //#for j in 0..TB
  z[{{j}}] = h[0] * x[{{j + CL}}];
  //#for d in 1..CR + 1
  z[{{j}}] += h[{{d}}] * (x[{{j + CL + d}}] + x[{{j + CL - d}}]);
  //#end
  //#for d in CR + 1..CL + 1
  z[{{j}}] += h[{{d}}] * x[{{j + CL - d}}];
  //#end
  //#end
  return z;
}

@compute @workgroup_size(64)
fn taps(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = lin(gid, nwg);
  if (i >= p.R * {{M}}u) { return; }
  let a = alpha[i];
  let w = omega[i];
  let g = gain[(i / {{M}}u % p.F) * {{M}}u + i % {{M}}u];
  P[i] = g * g * cscale(a, w).x;
  for (var d = 0u; d < {{NT}}u; d++) { H[i * {{NT}}u + d] = tap(a, w, d); }
}

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = lin(gid, nwg);
  if (r >= p.R) { return; }
  let ub = r * p.T;
  let T = i32(p.T);
  for (var m = 0u; m < {{M}}u; m++) {
    let rm = r * {{M}}u + m;
    let pw = P[rm];
    let h = taps_of(rm);
    for (var n0 = 0; n0 < T; n0 += {{TB}}) {
      let z = conv_block(u_window(ub, n0), h);
      //#for j in 0..TB
      if (n0 + {{j}} < T) { S[rm * p.T + u32(n0 + {{j}})] = log1p_f(sqrt(pw * dot(z[{{j}}], z[{{j}}]) + EPS)); }
      //#end
    }
  }
}

@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = lin(gid, nwg);
  if (r >= p.R) { return; }
  let ub = r * p.T;
  let T = i32(p.T);
  for (var m = 0u; m < {{M}}u; m++) {
    let rm = r * {{M}}u + m;
    let pw = P[rm];
    let h = taps_of(rm);
    // Pass 1: z as in the forward, then A = 2·P·G·z with G = dS / ((1 + s)·2s), and Σ G|z|².
    var accP = 0.0;
    for (var n0 = 0; n0 < T; n0 += {{TB}}) {
      var bP = 0.0; // per-block sums, added to the row's: a shorter chain of roundings than one running sum
      let z = conv_block(u_window(ub, n0), h);
      //#for j in 0..TB
      if (n0 + {{j}} < T) {
        let zz = dot(z[{{j}}], z[{{j}}]);
        let s = sqrt(pw * zz + EPS);
        let n = u32(n0 + {{j}});
        let G = dS[rm * p.T + n] / ((1.0 + s) * 2.0 * s);
        Ag[ub + n] = (2.0 * pw * G) * z[{{j}}];
        bP += G * zz;
      }
      //#end
      accP += bP;
    }
    // The taps weighted by |e|, for the dα and dω sums of pass 2.
    //#for d in 1..NT
    let eh{{d}} = {{d}}.0 * h[{{d}}];
    //#end
    // Pass 2: du[t] += Σ_e h(|e|)·A[t + e] over e in [−CR, CL] (the forward's adjoint), and the
    // |e|-weighted sums of the same terms for dα = −Σ_t u[t]·(…) and dω = Σ_t u[t]·(…).
    var accA = 0.0;
    var accW = 0.0;
    for (var t0 = 0; t0 < T; t0 += {{TB}}) {
      var bA = 0.0;
      var bW = 0.0;
      // a{e} holds A at t0 − CR + e.
      //#for e in 0..TB + K - 1
      let a{{e}} = a_at(ub, t0 + {{e - CR}});
      //#end
      //#for j in 0..TB
      {
//#if DU
        var s = dot(h[0], a{{j + CR}});
//#end
        var sa = 0.0;
        var sw = 0.0;
        //#for e in 1..CL + 1
        {
          //#if e <= CR
          let ap = a{{j + CR + e}} + a{{j + CR - e}};
          //#else
          let ap = a{{j + CR + e}};
          //#end
//#if DU
          s += dot(h[{{e}}], ap);
//#end
          sa += dot(eh{{e}}, ap);
          sw += ap.x * eh{{e}}.y - ap.y * eh{{e}}.x;
        }
        //#end
        let t = t0 + {{j}};
        if (t < T) {
          let ut = u[ub + u32(t)];
          bA -= ut * sa;
          bW += ut * sw;
//#if DU
          du[ub + u32(t)] = select(du[ub + u32(t)], 0.0, m == 0u) + s;
//#end
        }
      }
      //#end
      accA += bA;
      accW += bW;
    }
    part[rm * 3u] = accP;
    part[rm * 3u + 1u] = accA;
    part[rm * 3u + 2u] = accW;
  }
}
