// Patch rows (the stride-P patch convolution's im2col, for the picked tokens only) and its adjoint.
// x [B, F, C, T] (C channels between the two patch axes; a log-mel [B, F, T] is C = 1) → rows
// [B, n, C, P, P]: row (b, k) is token tok = picks[b·n + k] = p·Tp + q, element (c, i, j) =
// x[b, p·P + i, c, q·P + j]. Cells past the last whole patch belong to no token.
// Template: V = 4 moves 4 consecutive j (t) per thread as one vec4 (the host picks it when P and T
// are multiples of 4, so a vec4 never straddles a patch or the crop edge), V = 1 one float.
struct Params { B: u32, F: u32, C: u32, T: u32, P: u32, Fp: u32, Tp: u32, n: u32, total: u32 }
//#if V == 4
@group(0) @binding(0) var<storage, read> src: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4f>;
//#else
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
//#end
// gather: picks [B·n], the token of each row; scatter: slot [B·Fp·Tp], each token's row or -1.
@group(0) @binding(1) var<storage, read> tok: array<i32>;
@group(0) @binding(3) var<uniform> p: Params;

//#include lib/index.wgsl

// dst = rows [B, n, C, P, P/V]: one unit per thread, read from x.
@compute @workgroup_size(256)
fn gather(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = thread_index(gid, nwg, 256u);
  if (e >= p.total) { return; }
  let PV = p.P / {{V}}u;
  let jv = e % PV;
  var r = e / PV;
  let i = r % p.P;
  r = r / p.P;
  let c = r % p.C;
  r = r / p.C;
  let k = r % p.n;
  let b = r / p.n;
  let t = u32(tok[b * p.n + k]);
  let f = (t / p.Tp) * p.P + i;
  dst[e] = src[((b * p.F + f) * p.C + c) * (p.T / {{V}}u) + (t % p.Tp) * PV + jv];
}

// dst = dx [B, F, C, T/V]: every unit written once, from its token's row or 0 (unpicked, cropped).
@compute @workgroup_size(256)
fn scatter(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = thread_index(gid, nwg, 256u);
  if (e >= p.total) { return; }
  let TV = p.T / {{V}}u;
  let tt = (e % TV) * {{V}}u;
  var r = e / TV;
  let c = r % p.C;
  r = r / p.C;
  let f = r % p.F;
  let b = r / p.F;
  let pf = f / p.P;
  let q = tt / p.P;
//#if V == 4
  var v = vec4f(0.0);
//#else
  var v = 0.0;
//#end
  if (pf < p.Fp && q < p.Tp) {
    let k = tok[(b * p.Fp + pf) * p.Tp + q];
    if (k >= 0) { v = src[(((b * p.n + u32(k)) * p.C + c) * p.P + f % p.P) * (p.P / {{V}}u) + (tt % p.P) / {{V}}u]; }
  }
  dst[e] = v;
}
