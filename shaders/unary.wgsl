// Elementwise unary ops, forward and backward. OP picks the function; the pipeline cache
// specialises one pipeline per OP, so the switch compiles away. A template (src/gpu/template.ts):
// the switches are generated from the op table.
struct Params { n: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
override OP: u32 = 0u;

//#include lib/erf.wgsl

// log1p without cancellation for small |v| (Goldberg's trick).
//#include lib/index.wgsl

fn log1p_f(v: f32) -> f32 {
  let u = 1.0 + v;
  if (u == 1.0) { return v; }
  return log(u) * v / (u - 1.0);
}

fn sigmoid_f(v: f32) -> f32 {
  if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
  let e = exp(v);
  return e / (1.0 + e);
}

fn tanh_f(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  return sign(v) * (1.0 - e) / (1.0 + e);
}

// The cases are generated from src/ops/elementwise-table.ts (one row per op; OP is the row's index).
fn f(v: f32) -> f32 {
  switch OP {
    //#insert FORWARD
    default: { return v; }
  }
}

// d f / d v
fn df(v: f32) -> f32 {
  switch OP {
    //#insert DERIVATIVE
    default: { return 1.0; }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  y[i] = f(x[i]);
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  dx[i] = g[i] * df(x[i]);
}
