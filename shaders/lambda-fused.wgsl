// The Lambda Encoder's feature path fused (spec 3.2): conv1 (1 → C1, kernel KW1, "same" padding PAD1)
// → GELU → conv2 (C1 → C2, kernel KW2, stride STRIDE, padding PAD2) → GELU → mean and std over time,
// x [R, L] → y [R, 2·C2] (the C2 means, then sqrt(population variance + eps)).
// A template (src/gpu/template.ts) over C1, C2, KW1, PAD1, KW2, STRIDE, PAD2, TB, MB, DLO, DW, SG and SAVE.
//   forward   one thread per signal r, walking its conv2 outputs in blocks of TB: the conv1 window
//             the block needs (HW = STRIDE·(TB − 1) + KW2 positions per channel) is computed in
//             registers from XW = HW + KW1 − 1 inputs, so the [R, C1, L] and [R, C2, T2] activations
//             never reach global memory; the pooling merges each block's mean and squared deviations
//             into running ones (Chan et al.), so there is no second pass and no cancellation.
//             SAVE = 1 (the graph records a backward): it also writes conv1's GELU output h1 [R, C1, L]
//             (each block its STRIDE·TB own positions) and conv2's pre-GELU output y2 [R, C2, T2].
//   bwd_dy2   one thread per TB elements of y2 (one channel): dL/dy2 from the pooled gradient and GELU′ (replaces the
//             pooling backward and a GELU backward, and their intermediates).
//   bwd_dy1   one thread per (r, MB·STRIDE consecutive positions s): dL/dh1 gathered from dy2 and w2
//             (for each tap exactly one of each STRIDE positions matches, known at expansion time),
//             then conv1 recomputed at s (cheap: KW1 taps) for GELU′, giving dL/dy1 [R, C1, L].
// The weight gradients are the lambda-conv weight_grad kernel on (h1, dy2) and (x, dy1).
// SG = 1 (8-wide subgroups, lavapipe): weights are loaded once across 8 lanes and broadcast, since a
// per-lane storage load costs ~30 FMAs there (see shaders/lambda-conv.wgsl).
//#if SG
enable subgroups;
//#end
//#include lib/erf.wgsl
struct Params { R: u32, L: u32, T2: u32, eps: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w1: array<f32>;         // [C1, 1, KW1]
@group(0) @binding(2) var<storage, read> b1: array<f32>;
@group(0) @binding(3) var<storage, read> w2: array<f32>;         // [C2, C1, KW2]
@group(0) @binding(4) var<storage, read> b2: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;    // [R, 2·C2]
@group(0) @binding(6) var<uniform> p: Params;
@group(0) @binding(7) var<storage, read_write> h1: array<f32>;   // [R, C1, L]
@group(0) @binding(8) var<storage, read_write> y2: array<f32>;   // [R, C2, T2]
@group(0) @binding(9) var<storage, read> gy: array<f32>;         // [R, 2·C2]
@group(0) @binding(10) var<storage, read_write> dy2: array<f32>; // [R, C2, T2]
@group(0) @binding(11) var<storage, read_write> dy1: array<f32>; // [R, C1, L]

fn lin(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 64u; }

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = lin(gid, nwg);
  let r = min(i, p.R - 1u);
  let lane = lid.x % 8u;
  let L = i32(p.L);
  let xb = r * p.L;
//#if SG
  //#for j in 0..(C2 + 7) / 8
  let b2l{{j}} = b2[min({{j * 8}}u + lane, {{C2 - 1}}u)];
  //#end
//#end
  //#for co in 0..C2
  var mean{{co}} = 0.0;
  var m2{{co}} = 0.0;
  //#end
  let nb = (p.T2 + {{TB - 1}}u) / {{TB}}u;
  for (var b = 0u; b < nb; b++) {
    let tb = b * {{TB}}u;
    //#for u in 0..TB
    //#for co in 0..C2
    var acc{{u}}_{{co}} = 0.0;
    //#end
    //#end
    // Window element e holds h1 at position s0 + e and needs x at s0 + e − PAD1 .. + KW1 − 1.
    let s0 = i32(tb * {{STRIDE}}u) - {{PAD2}};
    //#for e in 0..STRIDE * (TB - 1) + KW2 + KW1 - 1
    let xw{{e}} = select(0.0, x[xb + u32(clamp(s0 + {{e - PAD1}}, 0, L - 1))], s0 + {{e - PAD1}} >= 0 && s0 + {{e - PAD1}} < L);
    //#end
    for (var ci = 0u; ci < {{C1}}u; ci++) {
//#if SG
      //#for j in 0..(KW1 + 7) / 8
      let vl{{j}} = w1[ci * {{KW1}}u + min({{j * 8}}u + lane, {{KW1 - 1}}u)];
      //#end
      //#for k in 0..KW1
      let v{{k}} = subgroupBroadcast(vl{{k / 8}}, {{k % 8}}u);
      //#end
//#else
      //#for k in 0..KW1
      let v{{k}} = w1[ci * {{KW1}}u + {{k}}u];
      //#end
//#end
      let bc1 = b1[ci];
      //#for e in 0..STRIDE * (TB - 1) + KW2
      var a{{e}} = bc1;
      //#for k in 0..KW1
      a{{e}} += v{{k}} * xw{{e + k}};
      //#end
      // conv2's zero padding applies to h1: positions outside [0, L) are 0, not GELU(bias).
      let hw{{e}} = select(0.0, gelu_f(a{{e}}), s0 + {{e}} >= 0 && s0 + {{e}} < L);
      //#end
//#if SAVE
      if (i < p.R) {
        //#for j in 0..STRIDE * TB
        if (s0 + {{PAD2 + j}} < L) { h1[(r * {{C1}}u + ci) * p.L + u32(s0 + {{PAD2 + j}})] = hw{{PAD2 + j}}; }
        //#end
      }
//#end
//#if SG
      // w2[:, ci, :] as C2·KW2 values in (co, k) order, one lane load per 8 of them; then per output
      // channel its KW2 taps handed out and each accumulator takes all of them in one update.
      //#for j in 0..(C2 * KW2 + 7) / 8
      let wf{{j}} = min({{j * 8}}u + lane, {{C2 * KW2 - 1}}u);
      let wl{{j}} = w2[((wf{{j}} / {{KW2}}u) * {{C1}}u + ci) * {{KW2}}u + wf{{j}} % {{KW2}}u];
      //#end
      //#for co in 0..C2
      {
        //#for k in 0..KW2
        let wk{{k}} = subgroupBroadcast(wl{{(co * KW2 + k) / 8}}, {{(co * KW2 + k) % 8}}u);
        //#end
        //#for u in 0..TB
        {
          var su = wk0 * hw{{STRIDE * u}};
          //#for k in 1..KW2
          su += wk{{k}} * hw{{STRIDE * u + k}};
          //#end
          acc{{u}}_{{co}} += su;
        }
        //#end
      }
      //#end
//#else
      //#for k in 0..KW2
      {
        //#for co in 0..C2
        let wv{{co}} = w2[({{co}}u * {{C1}}u + ci) * {{KW2}}u + {{k}}u];
        //#end
        //#for u in 0..TB
        //#for co in 0..C2
        acc{{u}}_{{co}} += wv{{co}} * hw{{STRIDE * u + k}};
        //#end
        //#end
      }
      //#end
//#end
    }
    // Block epilogue: bias, (save y2), GELU, merge the block's statistics into the running ones.
    let nv = min({{TB}}u, p.T2 - tb);
    let fa = f32(tb);
    let fb = f32(nv);
    let fn_ = fa + fb;
    //#for co in 0..C2
    {
//#if SG
      let bc = subgroupBroadcast(b2l{{co / 8}}, {{co % 8}}u);
//#else
      let bc = b2[{{co}}u];
//#end
      var sum = 0.0;
      //#for u in 0..TB
      let z{{u}} = acc{{u}}_{{co}} + bc;
      let ok{{u}} = tb + {{u}}u < p.T2;
      let g{{u}} = select(0.0, gelu_f(z{{u}}), ok{{u}});
      sum += g{{u}};
//#if SAVE
      if (i < p.R && ok{{u}}) { y2[(r * {{C2}}u + {{co}}u) * p.T2 + tb + {{u}}u] = z{{u}}; }
//#end
      //#end
      let mb = sum / fb;
      var q = 0.0;
      //#for u in 0..TB
      { let d = select(0.0, g{{u}} - mb, ok{{u}}); q += d * d; }
      //#end
      let delta = mb - mean{{co}};
      mean{{co}} += delta * fb / fn_;
      m2{{co}} += q + delta * delta * fa * fb / fn_;
    }
    //#end
  }
  if (i >= p.R) { return; }
  //#for co in 0..C2
  y[r * {{2 * C2}}u + {{co}}u] = mean{{co}};
  y[r * {{2 * C2}}u + {{C2 + co}}u] = sqrt(m2{{co}} / f32(p.T2) + p.eps);
  //#end
}

// dy2 = GELU′(y2) · (dmean/T2 + dstd·(GELU(y2) − mean)/(T2·std)), mean and std read back from y.
// One thread per (r, co, TB consecutive t): the four per-channel values are loaded once for TB
// elements (on lavapipe every per-lane load is a loop over the lanes; per element it was 5 loads).
@compute @workgroup_size(64)
fn bwd_dy2(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = lin(gid, nwg);
  let nb = (p.T2 + {{TB - 1}}u) / {{TB}}u;
  if (i >= p.R * {{C2}}u * nb) { return; }
  let o = i / nb;
  let t0 = (i % nb) * {{TB}}u;
  let m = (o / {{C2}}u) * {{2 * C2}}u + o % {{C2}}u;
  let s = m + {{C2}}u;
  let tn = f32(p.T2);
  let ym = y[m];
  let a = gy[m] / tn;
  let c = gy[s] / (tn * y[s]);
  //#for u in 0..TB
  if (t0 + {{u}}u < p.T2) {
    let e = o * p.T2 + t0 + {{u}}u;
    let z = y2[e];
    // One erf (and one exp) for both: GELU = z·Φ(z), GELU′ = Φ(z) + z·φ(z).
    let pg = phi_gelu_grad_f(z);
    dy2[e] = pg.y * (a + c * (z * pg.x - ym));
  }
  //#end
}

// dh1[r, ci, s] = Σ_{co, k : s = t·STRIDE + k − PAD2} dy2[r, co, t] · w2[co, ci, k], then
// dy1 = dh1 · GELU′(y1) with y1 = conv1(x) recomputed at s. One thread per (r, MB consecutive m), each
// m covering the STRIDE positions s = m·STRIDE + j: for each tap exactly one j matches (known at
// expansion time), and each weight (a broadcast on SG) and each dy2 load serves MB positions.
// dy2 is read at t = m0 − DLO + e for the DW window elements e (DLO, DW from the tap offsets).
@compute @workgroup_size(64)
fn bwd_dy1(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = lin(gid, nwg);
  let lm = (p.L + {{STRIDE - 1}}u) / {{STRIDE}}u;
  let nbm = (lm + {{MB - 1}}u) / {{MB}}u;
  let n = p.R * nbm;
  let ic = min(i, n - 1u);
  let r = ic / nbm;
  let m0 = i32((ic % nbm) * {{MB}}u);
  let lane = lid.x % 8u;
  let L = i32(p.L);
  let T2 = i32(p.T2);
  //#for q in 0..MB
  //#for j in 0..STRIDE
  //#for ci in 0..C1
  var acc{{q}}_{{j}}_{{ci}} = 0.0;
  //#end
  //#end
  //#end
  let gb = r * {{C2}}u * p.T2;
  for (var co = 0u; co < {{C2}}u; co++) {
    //#for e in 0..DW
    let gw{{e}} = select(0.0, dy2[gb + co * p.T2 + u32(clamp(m0 + {{e - DLO}}, 0, T2 - 1))], m0 + {{e - DLO}} >= 0 && m0 + {{e - DLO}} < T2);
    //#end
//#if SG
    // Per input channel: w2[co, ci, 0..KW2) (contiguous: one or two lane loads) handed out, then each
    // accumulator takes all its matching taps in one update (one spill round trip per co and ci).
    //#for ci in 0..C1
    {
      //#for t in 0..(KW2 + 7) / 8
      let wl{{t}} = w2[(co * {{C1}}u + {{ci}}u) * {{KW2}}u + min({{t * 8}}u + lane, {{KW2 - 1}}u)];
      //#end
      //#for k in 0..KW2
      let wk{{k}} = subgroupBroadcast(wl{{k / 8}}, {{k % 8}}u);
      //#end
      //#for j in 0..STRIDE
      //#for q in 0..MB
      {
        var sq = 0.0;
        //#for k in 0..KW2
        //#if (j + PAD2 - k) % STRIDE == 0
        sq += wk{{k}} * gw{{q + (j + PAD2 - k) / STRIDE + DLO}};
        //#end
        //#end
        acc{{q}}_{{j}}_{{ci}} += sq;
      }
      //#end
      //#end
    }
    //#end
//#else
    //#for k in 0..KW2
    {
      //#for ci in 0..C1
      let wv{{ci}} = w2[(co * {{C1}}u + {{ci}}u) * {{KW2}}u + {{k}}u];
      //#end
      //#for j in 0..STRIDE
      //#if (j + PAD2 - k) % STRIDE == 0
      //#for q in 0..MB
      //#for ci in 0..C1
      acc{{q}}_{{j}}_{{ci}} += wv{{ci}} * gw{{q + (j + PAD2 - k) / STRIDE + DLO}};
      //#end
      //#end
      //#end
      //#end
    }
    //#end
//#end
  }
  // x around the positions: element e is x[m0·STRIDE − PAD1 + e].
  let x0 = m0 * {{STRIDE}} - {{PAD1}};
  //#for e in 0..MB * STRIDE + KW1 - 1
  let xw{{e}} = select(0.0, x[r * p.L + u32(clamp(x0 + {{e}}, 0, L - 1))], x0 + {{e}} >= 0 && x0 + {{e}} < L);
  //#end
  //#for ci in 0..C1
  {
//#if SG
    //#for q in 0..(KW1 + 7) / 8
    let vl{{q}} = w1[{{ci * KW1}}u + min({{q * 8}}u + lane, {{KW1 - 1}}u)];
    //#end
    //#for k in 0..KW1
    let v{{k}} = subgroupBroadcast(vl{{k / 8}}, {{k % 8}}u);
    //#end
//#else
    //#for k in 0..KW1
    let v{{k}} = w1[{{ci * KW1 + k}}u];
    //#end
//#end
    let bc1 = b1[{{ci}}u];
    //#for q in 0..MB
    //#for j in 0..STRIDE
    {
      var a = bc1;
      //#for k in 0..KW1
      a += v{{k}} * xw{{q * STRIDE + j + k}};
      //#end
      let s = (m0 + {{q}}) * {{STRIDE}} + {{j}};
      if (i < n && s < L) { dy1[(r * {{C1}}u + {{ci}}u) * p.L + u32(s)] = acc{{q}}_{{j}}_{{ci}} * gelu_grad_f(a); }
    }
    //#end
    //#end
  }
  //#end
}
