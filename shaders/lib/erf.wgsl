// erf and the exact (erf) GELU built on it, for scalars and vec4s.
// Abramowitz-Stegun 7.1.26 has |error| <= 1.5e-7, below f32 resolution of GELU's result.
const SQRT1_2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;

// Abramowitz-Stegun 7.1.26 for a ≥ 0: erf(a) = 1 − P(a)·exp(−a²).
fn as_poly_f(a: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * a);
  return t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
}

fn as_poly4(a: vec4f) -> vec4f {
  let t = 1.0 / (1.0 + 0.3275911 * a);
  return t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
}

fn erf_f(v: f32) -> f32 { let a = abs(v); return sign(v) * (1.0 - as_poly_f(a) * exp(-a * a)); }

fn erf4(v: vec4f) -> vec4f { let a = abs(v); return sign(v) * (1.0 - as_poly4(a) * exp(-a * a)); }

fn gelu_f(v: f32) -> f32 { return 0.5 * v * (1.0 + erf_f(v * SQRT1_2)); }

// (Φ(v), d gelu / d v = Φ(v) + v φ(v)). erf's exp(−a²) at a = |v|/√2 is φ's exp(−v²/2): one exp
// serves both.
fn phi_gelu_grad_f(v: f32) -> vec2f {
  let a = abs(v) * SQRT1_2;
  let e = exp(-a * a);
  let phi = 0.5 * (1.0 + sign(v) * (1.0 - as_poly_f(a) * e));
  return vec2f(phi, phi + v * INV_SQRT_2PI * e);
}

fn gelu_grad_f(v: f32) -> f32 { return phi_gelu_grad_f(v).y; }

fn gelu4(v: vec4f) -> vec4f { return 0.5 * v * (1.0 + erf4(v * SQRT1_2)); }

fn gelu_grad4(v: vec4f) -> vec4f {
  let a = abs(v) * SQRT1_2;
  let e = exp(-a * a);
  return 0.5 * (1.0 + sign(v) * (1.0 - as_poly4(a) * e)) + v * INV_SQRT_2PI * e;
}
