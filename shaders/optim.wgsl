// Optimiser updates, in place on the parameter and its moments.
struct Params { n: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, wd: f32, bc1: f32, bc2: f32, gscale: f32 }
@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

//#include lib/index.wgsl

// p -= lr · (g · gscale + wd · p)
@compute @workgroup_size(256)
fn sgd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  param[i] -= p.lr * (grad[i] * p.gscale + p.wd * param[i]);
}

// AdamW (decoupled decay, as torch.optim.AdamW): p ← p·(1 − lr·wd) − lr · m̂ / (√v̂ + eps).
@compute @workgroup_size(256)
fn adamw(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  let g = grad[i] * p.gscale;
  let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  let denom = sqrt(vi / p.bc2) + p.eps;
  param[i] = param[i] * (1.0 - p.lr * p.wd) - p.lr * (mi / p.bc1) / denom;
}

// EMA: param (teacher) ← tau · param + (1 − tau) · grad (student values).
@compute @workgroup_size(256)
fn ema(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  param[i] = p.beta1 * param[i] + (1.0 - p.beta1) * grad[i];
}
