// Small-channel 1-D convolution for the Lambda Encoder (spec 3.2: 1 → 16 and 16 → 16 channels,
// kernel 9, stride 1 or 2, zero padding): x [R, CIN, L], w [COUT, CIN, KW], bias [COUT] →
// y [R, COUT, LO], LO = (L + 2·PAD − KW)/STRIDE + 1. A template (src/gpu/template.ts) over CIN, COUT,
// KW, STRIDE, PAD, SG and T, so each thread keeps whole channel vectors in named registers:
//   forward      one thread per (r, T consecutive t): all COUT outputs of each
//   input_grad   one thread per (r, s): all CIN input gradients from COUT·KW output gradients
//   weight_grad  one thread per (ci, k), one workgroup per block of rows: all COUT weights of that
//                (ci, k) summed over the block; the blocks' partials are added up afterwards. The
//                bias gradient (Σ g over rows and positions) comes with it from the same loads.
//   weight_grad_taps  one thread per ci with all KW taps (CIN ≥ 8: conv2)
//   weight_grad_co    one thread per co with all CIN·KW weights, vec4 loads (conv1, stride 1)
// SG = 1 (CPU adapters with 8-wide subgroups): a value every lane needs (a weight in forward and
// input_grad, an output gradient in weight_grad) is loaded once across the 8 lanes and handed out
// with subgroupBroadcast, since a per-lane storage load costs ~30 FMAs there (shaders/matmul_sg.wgsl);
// out-of-range taps are masked with select instead of skipped, so control flow stays uniform for the
// broadcasts. Measured on lavapipe (tiny AaSP step, --profile): forward 3.0 s → see kernels-bench.
//#if SG
enable subgroups;
//#end
struct Params { R: u32, L: u32, LO: u32, rowsPerGroup: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
@group(0) @binding(5) var<storage, read> g: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;
@group(0) @binding(7) var<storage, read_write> part: array<f32>;   // [groups, COUT, CIN, KW]
@group(0) @binding(8) var<storage, read_write> bpart: array<f32>;  // [groups, COUT]: Σ g, the bias gradient

fn lin(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 64u; }

// forward: each thread takes T consecutive outputs of one row, so the STRIDE·(T − 1) + KW inputs of
// its window are loaded once per input channel (not KW times per output) and each weight once per T
// outputs: on lavapipe, where loads dominate, T = 8 cuts the loads per output ~4x (forward 1.8–2.5x
// faster at the Lambda Encoder's shapes, bit-identical results).
@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = lin(gid, nwg);
  let nb = (p.LO + {{T - 1}}u) / {{T}}u;
  let n = p.R * nb;
  let ic = min(i, n - 1u);
  let r = ic / nb;
  let tb = (ic % nb) * {{T}}u;
  let lane = lid.x % 8u;
  //#for u in 0..T
  //#for co in 0..COUT
  var acc{{u}}_{{co}} = bias[{{co}}u];
  //#end
  //#end
  let s0 = i32(tb * {{STRIDE}}u) - {{PAD}};
  for (var ci = 0u; ci < {{CIN}}u; ci++) {
    let xb = (r * {{CIN}}u + ci) * p.L;
    //#for e in 0..STRIDE * (T - 1) + KW
    let xw{{e}} = select(0.0, x[xb + u32(clamp(s0 + {{e}}, 0, i32(p.L) - 1))], s0 + {{e}} >= 0 && s0 + {{e}} < i32(p.L));
    //#end
    //#for k in 0..KW
    {
//#if SG
      //#for j in 0..(COUT + 7) / 8
      let wl{{j}} = w[(min({{j * 8}}u + lane, {{COUT - 1}}u) * {{CIN}}u + ci) * {{KW}}u + {{k}}u];
      //#end
      //#for co in 0..COUT
      let wv{{co}} = subgroupBroadcast(wl{{co / 8}}, {{co % 8}}u);
      //#end
//#else
      //#for co in 0..COUT
      let wv{{co}} = w[({{co}}u * {{CIN}}u + ci) * {{KW}}u + {{k}}u];
      //#end
//#end
      //#for u in 0..T
      //#for co in 0..COUT
      acc{{u}}_{{co}} += wv{{co}} * xw{{STRIDE * u + k}};
      //#end
      //#end
    }
    //#end
  }
  if (i >= n) { return; }
  //#for u in 0..T
  if (tb + {{u}}u < p.LO) {
    //#for co in 0..COUT
    y[(r * {{COUT}}u + {{co}}u) * p.LO + tb + {{u}}u] = acc{{u}}_{{co}};
    //#end
  }
  //#end
}

// dx[r, ci, s] = Σ_{co, k : s = t·STRIDE + k − PAD} g[r, co, t] · w[co, ci, k]
// One thread per (r, m) takes the STRIDE inputs s = m·STRIDE + j: for each tap k exactly one j has
// s + PAD − k divisible by STRIDE, known at expansion time, so no tap is computed and thrown away.
@compute @workgroup_size(64)
fn input_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = lin(gid, nwg);
  let lm = (p.L + {{STRIDE - 1}}u) / {{STRIDE}}u;
  let n = p.R * lm;
  let ic = min(i, n - 1u);
  let r = ic / lm;
  let m = i32(ic % lm);
  let lane = lid.x % 8u;
  //#for j in 0..STRIDE
  //#for ci in 0..CIN
  var acc{{j}}_{{ci}} = 0.0;
  //#end
  //#end
  //#for k in 0..KW
  //#for j in 0..STRIDE
  //#if (j + PAD - k) % STRIDE == 0
  {
    let t = m + {{(j + PAD - k) / STRIDE}};
    let ok = t >= 0 && t < i32(p.LO);
    let gb = r * {{COUT}}u * p.LO + u32(clamp(t, 0, i32(p.LO) - 1));
    for (var co = 0u; co < {{COUT}}u; co++) {
      let gv = select(0.0, g[gb + co * p.LO], ok);
//#if SG
      //#for q in 0..(CIN + 7) / 8
      let wl{{q}} = w[(co * {{CIN}}u + min({{q * 8}}u + lane, {{CIN - 1}}u)) * {{KW}}u + {{k}}u];
      //#end
      //#for ci in 0..CIN
      acc{{j}}_{{ci}} += subgroupBroadcast(wl{{ci / 8}}, {{ci % 8}}u) * gv;
      //#end
//#else
      //#for ci in 0..CIN
      acc{{j}}_{{ci}} += w[(co * {{CIN}}u + {{ci}}u) * {{KW}}u + {{k}}u] * gv;
      //#end
//#end
    }
  }
  //#end
  //#end
  //#end
  if (i >= n) { return; }
  //#for j in 0..STRIDE
  {
    let s = u32(m) * {{STRIDE}}u + {{j}}u;
    if (s < p.L) {
      //#for ci in 0..CIN
      dx[(r * {{CIN}}u + {{ci}}u) * p.L + s] = acc{{j}}_{{ci}};
      //#end
    }
  }
  //#end
}

// Workgroup size CIN·KW rounded up to 8 (one thread per (ci, k)); workgroup q takes rows
// [q·rowsPerGroup, ...). With SG the output gradients of 8 consecutive t are loaded one per lane.
@compute @workgroup_size({{(CIN * KW + 7) / 8 * 8}})
fn weight_grad(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let q = wid.x;
  let inRange = lid.x < {{CIN * KW}}u;
  let j = min(lid.x, {{CIN * KW - 1}}u);
  let ci = j / {{KW}}u;
  let k = j % {{KW}}u;
  let lane = lid.x % 8u;
  //#for co in 0..COUT
  var acc{{co}} = 0.0;
  var bsum{{co}} = 0.0;
  //#end
  let r1 = min(p.R, (q + 1u) * p.rowsPerGroup);
  for (var r = q * p.rowsPerGroup; r < r1; r++) {
    let xb = (r * {{CIN}}u + ci) * p.L;
    let gb = r * {{COUT}}u * p.LO;
//#if SG
    for (var t8 = 0u; t8 < p.LO; t8 += 8u) {
      let tl = min(t8 + lane, p.LO - 1u);
      let lok = t8 + lane < p.LO;
      //#for co in 0..COUT
      let gl{{co}} = g[gb + {{co}}u * p.LO + tl];
      bsum{{co}} += select(0.0, gl{{co}}, lok);
      //#end
      //#for u in 0..8
      {
        let t = t8 + {{u}}u;
        let s = i32(t * {{STRIDE}}u + k) - {{PAD}};
        let xv = select(0.0, x[xb + u32(clamp(s, 0, i32(p.L) - 1))], s >= 0 && s < i32(p.L) && t < p.LO);
        //#for co in 0..COUT
        acc{{co}} += subgroupBroadcast(gl{{co}}, {{u}}u) * xv;
        //#end
      }
      //#end
    }
//#else
    for (var t = 0u; t < p.LO; t++) {
      let s = i32(t * {{STRIDE}}u + k) - {{PAD}};
      let xv = select(0.0, x[xb + u32(clamp(s, 0, i32(p.L) - 1))], s >= 0 && s < i32(p.L));
      //#for co in 0..COUT
      {
        let gv = g[gb + {{co}}u * p.LO + t];
        acc{{co}} += gv * xv;
        bsum{{co}} += gv;
      }
      //#end
    }
//#end
  }
//#if SG
  // Each lane summed its own positions: add across the subgroup (every subgroup holds the same sums).
  //#for co in 0..COUT
  bsum{{co}} = subgroupAdd(bsum{{co}});
  //#end
//#end
  if (lid.x == 0u) {
    //#for co in 0..COUT
    bpart[q * {{COUT}}u + {{co}}u] = bsum{{co}};
    //#end
  }
  if (!inRange) { return; }
  //#for co in 0..COUT
  part[((q * {{COUT}}u + {{co}}u) * {{CIN}}u + ci) * {{KW}}u + k] = acc{{co}};
  //#end
}

// weight_grad with one thread per input channel ci taking all KW taps (workgroup size CIN rounded up
// to 8, for CIN ≥ 8): each output gradient handed out (a broadcast on SG) serves KW taps and each x
// load serves up to KW/STRIDE of them, where weight_grad spends one broadcast per FMA. Same partials.
@compute @workgroup_size({{(CIN + 7) / 8 * 8}})
fn weight_grad_taps(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let q = wid.x;
  let inRange = lid.x < {{CIN}}u;
  let ci = min(lid.x, {{CIN - 1}}u);
  let lane = lid.x % 8u;
  //#for k in 0..KW
  //#for co in 0..COUT
  var acc{{k}}_{{co}} = 0.0;
  //#end
  //#end
  //#for co in 0..COUT
  var bsum{{co}} = 0.0;
  //#end
  let L = i32(p.L);
  let r1 = min(p.R, (q + 1u) * p.rowsPerGroup);
  for (var r = q * p.rowsPerGroup; r < r1; r++) {
    let xb = (r * {{CIN}}u + ci) * p.L;
    let gb = r * {{COUT}}u * p.LO;
    for (var t8 = 0u; t8 < p.LO; t8 += 8u) {
//#if SG
      let tl = min(t8 + lane, p.LO - 1u);
      let lok = t8 + lane < p.LO;
      //#for co in 0..COUT
      let gl{{co}} = g[gb + {{co}}u * p.LO + tl];
      bsum{{co}} += select(0.0, gl{{co}}, lok);
      //#end
//#end
      // x at s = t·STRIDE + k − PAD for t = t8 .. t8 + 7: element e is position t8·STRIDE − PAD + e.
      let s0 = i32(t8 * {{STRIDE}}u) - {{PAD}};
      //#for e in 0..STRIDE * 7 + KW
      let xw{{e}} = select(0.0, x[xb + u32(clamp(s0 + {{e}}, 0, L - 1))], s0 + {{e}} >= 0 && s0 + {{e}} < L);
      //#end
//#if SG
      // Per output channel: its 8 gradients handed out, then each accumulator takes all 8 positions in
      // one update (one spill round trip per 8 positions instead of per position).
      //#for co in 0..COUT
      {
        //#for u in 0..8
        let gu{{u}} = select(0.0, subgroupBroadcast(gl{{co}}, {{u}}u), t8 + {{u}}u < p.LO);
        //#end
        //#for k in 0..KW
        {
          var sk = gu0 * xw{{k}};
          //#for u in 1..8
          sk += gu{{u}} * xw{{STRIDE * u + k}};
          //#end
          acc{{k}}_{{co}} += sk;
        }
        //#end
      }
      //#end
//#else
      //#for u in 0..8
      {
        let ok = t8 + {{u}}u < p.LO;
        //#for co in 0..COUT
        let gv{{co}} = select(0.0, g[gb + {{co}}u * p.LO + min(t8 + {{u}}u, p.LO - 1u)], ok);
        bsum{{co}} += gv{{co}};
        //#end
        //#for k in 0..KW
        //#for co in 0..COUT
        acc{{k}}_{{co}} += gv{{co}} * xw{{STRIDE * u + k}};
        //#end
        //#end
      }
      //#end
//#end
    }
  }
//#if SG
  //#for co in 0..COUT
  bsum{{co}} = subgroupAdd(bsum{{co}});
  //#end
//#end
  if (lid.x == 0u) {
    //#for co in 0..COUT
    bpart[q * {{COUT}}u + {{co}}u] = bsum{{co}};
    //#end
  }
  if (!inRange) { return; }
  //#for k in 0..KW
  //#for co in 0..COUT
  part[((q * {{COUT}}u + {{co}}u) * {{CIN}}u + ci) * {{KW}}u + {{k}}u] = acc{{k}}_{{co}};
  //#end
  //#end
}

// weight_grad with one thread per output channel co (workgroup size COUT rounded up to 8), for few
// input channels (CIN·KW ≤ 16 accumulators: conv1) at stride 1 with vec4-aligned rows (L, LO and PAD
// multiples of 4; the host checks). Per 8 positions a thread makes 2 vec4 loads of its own output
// gradients and (7 + KW)/4 vec4 loads of the x window every lane shares, then 8·KW FMAs: on lavapipe
// weight_grad spends 24 per-lane loads and 128 broadcasts per 8 positions for 16 of its 9 useful lanes.
// x4 and g4 are x and g bound a second time, as vec4s. Same partials.
@group(0) @binding(9) var<storage, read> x4: array<vec4f>;
@group(0) @binding(10) var<storage, read> g4: array<vec4f>;

@compute @workgroup_size({{(COUT + 7) / 8 * 8}})
fn weight_grad_co(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let q = wid.x;
  let inRange = lid.x < {{COUT}}u;
  let co = min(lid.x, {{COUT - 1}}u);
  //#for ci in 0..CIN
  //#for k in 0..KW
  var acc{{ci}}_{{k}} = 0.0;
  //#end
  //#end
  var bsum = 0.0;
  let L4 = i32(p.L / 4u);
  let r1 = min(p.R, (q + 1u) * p.rowsPerGroup);
  for (var r = q * p.rowsPerGroup; r < r1; r++) {
    let gb = (r * {{COUT}}u + co) * (p.LO / 4u);
    for (var t8 = 0u; t8 < p.LO; t8 += 8u) {
      // This lane's output gradients at t8 .. t8 + 7 (the second vec4 is past LO only as a whole).
      let ga = g4[gb + t8 / 4u];
      let gc = select(vec4f(0.0), g4[gb + min(t8 / 4u + 1u, p.LO / 4u - 1u)], t8 + 4u < p.LO);
      bsum += ga.x + ga.y + ga.z + ga.w + gc.x + gc.y + gc.z + gc.w;
      //#for ci in 0..CIN
      {
        // x at t8 − PAD + 4j .. +3: each vec4 lies wholly inside [0, L) or wholly outside.
        let xv = i32((r * {{CIN}}u + {{ci}}u) * (p.L / 4u));
        //#for j in 0..(7 + KW + 3) / 4
        let j{{j}} = i32(t8 / 4u) - {{PAD / 4}} + {{j}};
        let xw{{j}} = select(vec4f(0.0), x4[xv + clamp(j{{j}}, 0, L4 - 1)], j{{j}} >= 0 && j{{j}} < L4);
        //#end
        //#for k in 0..KW
        //#for u in 0..4
        acc{{ci}}_{{k}} += ga[{{u}}] * xw{{(u + k) / 4}}[{{(u + k) % 4}}];
        //#end
        //#for u in 4..8
        acc{{ci}}_{{k}} += gc[{{u - 4}}] * xw{{(u + k) / 4}}[{{(u + k) % 4}}];
        //#end
        //#end
      }
      //#end
    }
  }
  if (!inRange) { return; }
  bpart[q * {{COUT}}u + co] = bsum;
  //#for ci in 0..CIN
  //#for k in 0..KW
  part[((q * {{COUT}}u + co) * {{CIN}}u + {{ci}}u) * {{KW}}u + {{k}}u] = acc{{ci}}_{{k}};
  //#end
  //#end
}
