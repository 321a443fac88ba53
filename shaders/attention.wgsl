// Fused attention softmax(q·kᵀ·scale)·v, forward and backward, flash-style: no tokens×tokens matrix
// is stored; the forward keeps a running max and sum per query (online softmax) and saves only the
// log-sum-exp per query; the backward recomputes the probabilities. Memory is linear in tokens.
// Rows are addressed through layouts (offset, per-batch, per-head, per-row strides in vec4s), so q, k,
// v may be read straight out of a packed projection ([G, N, 3·H·dh]) and the output written merged
// ([G, N, H·dh]) with no head split/merge copies. dh = 4·DH4. Template (src/gpu/template.ts): DH4, SG and KB (keys per block of the SG forward).
// SG = 1 (CPU adapters with 8-wide subgroups): the 8 lanes of a subgroup take 8 queries (or 8 keys in
// bwd_kv) and every row they all need (a key/value row, or a query row) is loaded once across the
// lanes and handed out with subgroupBroadcast, because per-lane loads of the same row cost ~8x more
// there (shaders/matmul_sg.wgsl). SG = 0: each thread loads the rows itself (GPUs).
//#if SG
enable subgroups;
//#end
struct Params {
  nq: u32, nk: u32, heads: u32, scale: f32,
  // (offset, batch stride, head stride, row stride) in vec4s; dq/dout use qL/oL, dk/dv (one buffer) dkL/dvL.
  qL: vec4<u32>, kL: vec4<u32>, vL: vec4<u32>, oL: vec4<u32>, dkL: vec4<u32>, dvL: vec4<u32>,
}
@group(0) @binding(0) var<storage, read> q: array<vec4f>;
@group(0) @binding(1) var<storage, read> k: array<vec4f>;
@group(0) @binding(2) var<storage, read> v: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> o: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;
@group(0) @binding(6) var<storage, read> dout: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> dq: array<vec4f>;
@group(0) @binding(8) var<storage, read_write> dkv: array<vec4f>;
@group(0) @binding(10) var<storage, read_write> dsum: array<f32>;
@group(0) @binding(11) var<storage, read> oin: array<vec4f>;
override WG: u32 = 8u;
const NEG: f32 = -3.4028234663852886e38;

// First vec4 of row `row` of batch-head `bh` in a tensor with layout L.
fn rowAt(L: vec4<u32>, bh: u32, row: u32) -> u32 { return L.x + (bh / p.heads) * L.y + (bh % p.heads) * L.z + row * L.w; }

// With SG a row that every lane needs is loaded as (DH4 + 7) / 8 vec4s per lane: load t holds chunk
// t·8 + lane, so chunk c is broadcast from lane c % 8 of load c / 8.

@compute @workgroup_size(WG)
fn fwd(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let bh = wid.y;
  let i = wid.x * WG + lid.x;
  let ic = min(i, p.nq - 1u);
  let lane = lid.x % 8u;
  let qb = rowAt(p.qL, bh, ic);
  //#for d in 0..DH4
  let q{{d}} = q[qb + {{d}}u] * p.scale;
  var o{{d}} = vec4f(0.0);
  //#end
  var m = NEG;
  var l = 0.0;
//#if SG
  // Keys in blocks of KB: one running-max correction (an exp and DH4 vec4 multiplies) and one update
  // of each output accumulator per block instead of per key. Keys past the end score NEG, so their
  // weight exp(NEG − m) is 0.
  for (var j0 = 0u; j0 < p.nk; j0 += {{KB}}u) {
    //#for u in 0..KB
    let kb{{u}} = rowAt(p.kL, bh, min(j0 + {{u}}u, p.nk - 1u));
    //#for t in 0..(DH4 + 7) / 8
    let kw{{u}}_{{t}} = k[kb{{u}} + min({{t * 8}}u + lane, {{DH4 - 1}}u)];
    //#end
    var s{{u}} = 0.0;
    //#for d in 0..DH4
    s{{u}} += dot(q{{d}}, subgroupBroadcast(kw{{u}}_{{d / 8}}, {{d % 8}}u));
    //#end
    s{{u}} = select(NEG, s{{u}}, j0 + {{u}}u < p.nk);
    //#end
    var mNew = m;
    //#for u in 0..KB
    mNew = max(mNew, s{{u}});
    //#end
    let corr = exp(m - mNew);
    l = l * corr;
    //#for u in 0..KB
    let e{{u}} = exp(s{{u}} - mNew);
    l += e{{u}};
    let vb{{u}} = rowAt(p.vL, bh, min(j0 + {{u}}u, p.nk - 1u));
    //#for t in 0..(DH4 + 7) / 8
    let vw{{u}}_{{t}} = v[vb{{u}} + min({{t * 8}}u + lane, {{DH4 - 1}}u)];
    //#end
    //#end
    m = mNew;
    //#for d in 0..DH4
    {
      var od = o{{d}} * corr;
      //#for u in 0..KB
      od += e{{u}} * subgroupBroadcast(vw{{u}}_{{d / 8}}, {{d % 8}}u);
      //#end
      o{{d}} = od;
    }
    //#end
  }
//#else
  for (var j = 0u; j < p.nk; j++) {
    let kb = rowAt(p.kL, bh, j);
    let vb = rowAt(p.vL, bh, j);
    //#for d in 0..DH4
    let k{{d}} = k[kb + {{d}}u];
    //#end
    var s = 0.0;
    //#for d in 0..DH4
    s += dot(q{{d}}, k{{d}});
    //#end
    let mNew = max(m, s);
    let corr = exp(m - mNew);
    let e = exp(s - mNew);
    l = l * corr + e;
    m = mNew;
    //#for d in 0..DH4
    o{{d}} = o{{d}} * corr + e * v[vb + {{d}}u];
    //#end
  }
//#end
  if (i < p.nq) {
    let inv = 1.0 / l;
    let ob = rowAt(p.oL, bh, i);
    //#for d in 0..DH4
    o[ob + {{d}}u] = o{{d}} * inv;
    //#end
    lse[bh * p.nq + i] = m + log(l);
  }
}

// dq_i = scale · Σ_j P_ij (dP_ij − D_i) k_j with P = exp(s − lse), dP_ij = dO_i·v_j, D_i = dO_i·O_i.
// Also writes D (dsum) for bwd_kv.
@compute @workgroup_size(WG)
fn bwd_q(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let bh = wid.y;
  let i = wid.x * WG + lid.x;
  let ic = min(i, p.nq - 1u);
  let lane = lid.x % 8u;
  let qb = rowAt(p.qL, bh, ic);
  let ob = rowAt(p.oL, bh, ic);
  var D = 0.0;
  //#for d in 0..DH4
  let q{{d}} = q[qb + {{d}}u] * p.scale;
  let g{{d}} = dout[ob + {{d}}u];
  D += dot(g{{d}}, oin[ob + {{d}}u]);
  var a{{d}} = vec4f(0.0);
  //#end
  let L = lse[bh * p.nq + ic];
  for (var j = 0u; j < p.nk; j++) {
    let kb = rowAt(p.kL, bh, j);
    let vb = rowAt(p.vL, bh, j);
//#if SG
    //#for t in 0..(DH4 + 7) / 8
    let kw{{t}} = k[kb + min({{t * 8}}u + lane, {{DH4 - 1}}u)];
    let vw{{t}} = v[vb + min({{t * 8}}u + lane, {{DH4 - 1}}u)];
    //#end
    //#for d in 0..DH4
    let k{{d}} = subgroupBroadcast(kw{{d / 8}}, {{d % 8}}u);
    let v{{d}} = subgroupBroadcast(vw{{d / 8}}, {{d % 8}}u);
    //#end
//#else
    //#for d in 0..DH4
    let k{{d}} = k[kb + {{d}}u];
    let v{{d}} = v[vb + {{d}}u];
    //#end
//#end
    var s = 0.0;
    var dp = 0.0;
    //#for d in 0..DH4
    s += dot(q{{d}}, k{{d}});
    dp += dot(g{{d}}, v{{d}});
    //#end
    let ds = exp(s - L) * (dp - D);
    //#for d in 0..DH4
    a{{d}} += ds * k{{d}};
    //#end
  }
  if (i < p.nq) {
    //#for d in 0..DH4
    dq[qb + {{d}}u] = a{{d}} * p.scale;
    //#end
    dsum[bh * p.nq + i] = D;
  }
}

// Per key j: dv_j = Σ_i P_ij dO_i, dk_j = scale · Σ_i P_ij (dP_ij − D_i) q_i. Queries go 8 at a time
// so lse and D of 8 queries come in one load per lane (SG) and are broadcast.
@compute @workgroup_size(WG)
fn bwd_kv(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let bh = wid.y;
  let j = wid.x * WG + lid.x;
  let jc = min(j, p.nk - 1u);
  let lane = lid.x % 8u;
  let kb = rowAt(p.kL, bh, jc);
  let vb = rowAt(p.vL, bh, jc);
  //#for d in 0..DH4
  let k{{d}} = k[kb + {{d}}u] * p.scale;
  let v{{d}} = v[vb + {{d}}u];
  var ak{{d}} = vec4f(0.0);
  var av{{d}} = vec4f(0.0);
  //#end
  for (var i0 = 0u; i0 < p.nq; i0 += 8u) {
//#if SG
    let iw = min(i0 + lane, p.nq - 1u);
    let Lw = lse[bh * p.nq + iw];
    let Dw = dsum[bh * p.nq + iw];
//#end
    // A real loop over the 8 queries (unrolled, the driver compiles slowly and the code runs slower).
    for (var t = 0u; t < 8u; t++) {
      let ok = i0 + t < p.nq;
      let qb = rowAt(p.qL, bh, min(i0 + t, p.nq - 1u));
      let ob = rowAt(p.oL, bh, min(i0 + t, p.nq - 1u));
//#if SG
      let L = subgroupShuffle(Lw, t);
      let D = subgroupShuffle(Dw, t);
      //#for tt in 0..(DH4 + 7) / 8
      let qw{{tt}} = q[qb + min({{tt * 8}}u + lane, {{DH4 - 1}}u)];
      let gw{{tt}} = dout[ob + min({{tt * 8}}u + lane, {{DH4 - 1}}u)];
      //#end
      //#for d in 0..DH4
      let q{{d}} = subgroupBroadcast(qw{{d / 8}}, {{d % 8}}u);
      let g{{d}} = subgroupBroadcast(gw{{d / 8}}, {{d % 8}}u);
      //#end
//#else
      let L = lse[bh * p.nq + min(i0 + t, p.nq - 1u)];
      let D = dsum[bh * p.nq + min(i0 + t, p.nq - 1u)];
      //#for d in 0..DH4
      let q{{d}} = q[qb + {{d}}u];
      let g{{d}} = dout[ob + {{d}}u];
      //#end
//#end
      var s = 0.0;
      var dp = 0.0;
      //#for d in 0..DH4
      s += dot(q{{d}}, k{{d}});
      dp += dot(g{{d}}, v{{d}});
      //#end
      let pr = select(0.0, exp(s - L), ok);
      let ds = pr * (dp - D);
      //#for d in 0..DH4
      av{{d}} += pr * g{{d}};
      ak{{d}} += ds * q{{d}};
      //#end
    }
  }
  if (j < p.nk) {
    let dkb = rowAt(p.dkL, bh, j);
    let dvb = rowAt(p.dvL, bh, j);
    //#for d in 0..DH4
    dkv[dkb + {{d}}u] = ak{{d}} * p.scale;
    dkv[dvb + {{d}}u] = av{{d}};
    //#end
  }
}
