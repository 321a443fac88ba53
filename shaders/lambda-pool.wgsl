// The Lambda Encoder's pooling over time (spec 3.2 step 3): x [R, C, T] → y [R, 2C] holding the C
// channel means, then the C standard deviations sqrt(var + EPS) (population variance). One thread
// per (r, c) reads its row twice (mean, then squared deviations: no cancellation); the backward is
// one thread per element, dx = dmean/T + dstd·(x − mean)/(T·std), reading mean and std back from y.
struct Params { R: u32, C: u32, T: u32, eps: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<storage, read> yin: array<f32>;
@group(0) @binding(4) var<storage, read> gy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = gid.x + gid.y * nwg.x * 64u;
  if (o >= p.R * p.C) { return; }
  let base = o * p.T;
  var s = 0.0;
  for (var t = 0u; t < p.T; t++) { s += x[base + t]; }
  let mu = s / f32(p.T);
  var q = 0.0;
  for (var t = 0u; t < p.T; t++) { let d = x[base + t] - mu; q += d * d; }
  let r = o / p.C;
  let c = o % p.C;
  y[r * 2u * p.C + c] = mu;
  y[r * 2u * p.C + p.C + c] = sqrt(q / f32(p.T) + p.eps);
}

@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.R * p.C * p.T) { return; }
  let o = i / p.T;
  let r = o / p.C;
  let c = o % p.C;
  let m = r * 2u * p.C + c;
  let s = m + p.C;
  let tn = f32(p.T);
  dx[i] = gy[m] / tn + gy[s] * (x[i] - yin[m]) / (tn * yin[s]);
}
