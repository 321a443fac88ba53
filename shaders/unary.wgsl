// Elementwise unary ops, forward and backward. OP picks the function; the pipeline cache
// specialises one pipeline per OP, so the switch compiles away.
struct Params { n: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
override OP: u32 = 0u;

const SQRT1_2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;

// Abramowitz-Stegun 7.1.26 has |error| <= 1.5e-7, below f32 resolution of GELU's result.
fn erf_f(v: f32) -> f32 {
  let a = abs(v);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(v) * (1.0 - poly * exp(-a * a));
}

// log1p without cancellation for small |v| (Goldberg's trick).
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

fn f(v: f32) -> f32 {
  switch OP {
    case 0u: { return -v; }
    case 1u: { return abs(v); }
    case 2u: { return exp(v); }
    case 3u: { return log(v); }
    case 4u: { return log1p_f(v); }
    case 5u: { return sqrt(v); }
    case 6u: { return inverseSqrt(v); }
    case 7u: { return sin(v); }
    case 8u: { return cos(v); }
    case 9u: { return tanh_f(v); }
    case 10u: { return sigmoid_f(v); }
    case 11u: { return max(v, 0.0) + log1p_f(exp(-abs(v))); }
    case 12u: { return max(v, 0.0); }
    case 13u: { return 0.5 * v * (1.0 + erf_f(v * SQRT1_2)); }
    case 14u: { return v * v; }
    default: { return v; }
  }
}

// d f / d v
fn df(v: f32) -> f32 {
  switch OP {
    case 0u: { return -1.0; }
    case 1u: { return sign(v); }
    case 2u: { return exp(v); }
    case 3u: { return 1.0 / v; }
    case 4u: { return 1.0 / (1.0 + v); }
    case 5u: { return 0.5 * inverseSqrt(v); }
    case 6u: { return -0.5 * inverseSqrt(v) / v; }
    case 7u: { return cos(v); }
    case 8u: { return -sin(v); }
    case 9u: { let t = tanh_f(v); return 1.0 - t * t; }
    case 10u: { let s = sigmoid_f(v); return s * (1.0 - s); }
    case 11u: { return sigmoid_f(v); }
    case 12u: { return select(0.0, 1.0, v > 0.0); }
    case 13u: { return 0.5 * (1.0 + erf_f(v * SQRT1_2)) + v * INV_SQRT_2PI * exp(-0.5 * v * v); }
    case 14u: { return 2.0 * v; }
    default: { return 1.0; }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  y[i] = f(x[i]);
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  dx[i] = g[i] * df(x[i]);
}
