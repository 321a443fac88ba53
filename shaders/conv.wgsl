// Direct 2-D convolution (conv1d is the H = 1 case), NCHW, weight [Cout, Cin, kH, kW], groups 1.
// Forward, input gradient and weight gradient; the bias gradient is a plain reduction.
struct Params {
  B: u32, Cin: u32, H: u32, W: u32,
  Cout: u32, kH: u32, kW: u32, OH: u32,
  OW: u32, sH: u32, sW: u32, pH: u32,
  pW: u32, hasBias: u32, total: u32, _p: u32,
}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
@group(0) @binding(5) var<storage, read> g: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;
@group(0) @binding(7) var<storage, read_write> dw: array<f32>;
//#include lib/index.wgsl

const WG: u32 = 64u;
//#include lib/tree_reduce.wgsl FN=sum_lanes T=f32 COMBINE=a+b

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = thread_index(gid, nwg, 64u);
  if (t >= p.total) { return; }
  let ow = t % p.OW;
  let oh = (t / p.OW) % p.OH;
  let co = (t / (p.OW * p.OH)) % p.Cout;
  let b = t / (p.OW * p.OH * p.Cout);
  var acc = 0.0;
  if (p.hasBias == 1u) { acc = bias[co]; }
  for (var ci = 0u; ci < p.Cin; ci++) {
    let xb = (b * p.Cin + ci) * p.H;
    let wb = (co * p.Cin + ci) * p.kH;
    for (var kh = 0u; kh < p.kH; kh++) {
      let h = i32(oh * p.sH + kh) - i32(p.pH);
      if (h < 0 || h >= i32(p.H)) { continue; }
      for (var kw = 0u; kw < p.kW; kw++) {
        let ww = i32(ow * p.sW + kw) - i32(p.pW);
        if (ww < 0 || ww >= i32(p.W)) { continue; }
        acc += x[(xb + u32(h)) * p.W + u32(ww)] * w[(wb + kh) * p.kW + kw];
      }
    }
  }
  y[t] = acc;
}

// dx[b, ci, h, w] = Σ_{co, kh, kw} g[b, co, oh, ow] w[co, ci, kh, kw] where h = oh·sH + kh − pH.
@compute @workgroup_size(64)
fn input_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = thread_index(gid, nwg, 64u);
  if (t >= p.total) { return; }
  let iw = t % p.W;
  let ih = (t / p.W) % p.H;
  let ci = (t / (p.W * p.H)) % p.Cin;
  let b = t / (p.W * p.H * p.Cin);
  var acc = 0.0;
  for (var kh = 0u; kh < p.kH; kh++) {
    let nh = i32(ih + p.pH) - i32(kh);
    if (nh < 0 || nh % i32(p.sH) != 0) { continue; }
    let oh = u32(nh) / p.sH;
    if (oh >= p.OH) { continue; }
    for (var kw = 0u; kw < p.kW; kw++) {
      let nw = i32(iw + p.pW) - i32(kw);
      if (nw < 0 || nw % i32(p.sW) != 0) { continue; }
      let ow = u32(nw) / p.sW;
      if (ow >= p.OW) { continue; }
      for (var co = 0u; co < p.Cout; co++) {
        acc += g[((b * p.Cout + co) * p.OH + oh) * p.OW + ow] * w[((co * p.Cin + ci) * p.kH + kh) * p.kW + kw];
      }
    }
  }
  dx[t] = acc;
}

// dw[co, ci, kh, kw] = Σ_{b, oh, ow} g[b, co, oh, ow] x[b, ci, h, w]: one workgroup per weight.
@compute @workgroup_size(64)
fn weight_grad(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = wid.x + wid.y * nwg.x;
  if (t >= p.total) { return; }
  let kw = t % p.kW;
  let kh = (t / p.kW) % p.kH;
  let ci = (t / (p.kW * p.kH)) % p.Cin;
  let co = t / (p.kW * p.kH * p.Cin);
  let per = p.OH * p.OW;
  var acc = 0.0;
  for (var e = lid.x; e < p.B * per; e += WG) {
    let b = e / per;
    let oh = (e % per) / p.OW;
    let ow = e % p.OW;
    let h = i32(oh * p.sH + kh) - i32(p.pH);
    let ww = i32(ow * p.sW + kw) - i32(p.pW);
    if (h < 0 || h >= i32(p.H) || ww < 0 || ww >= i32(p.W)) { continue; }
    acc += g[((b * p.Cout + co) * p.OH + oh) * p.OW + ow] * x[((b * p.Cin + ci) * p.H + u32(h)) * p.W + u32(ww)];
  }
  let r = sum_lanes(acc, lid.x);
  if (lid.x == 0u) { dw[t] = r; }
}
