// erf and the exact (erf) GELU built on it, for scalars and vec4s.
// Abramowitz-Stegun 7.1.26 has |error| <= 1.5e-7, below f32 resolution of GELU's result.
const SQRT1_2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;

fn erf_f(v: f32) -> f32 {
  let a = abs(v);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(v) * (1.0 - poly * exp(-a * a));
}

fn erf4(v: vec4f) -> vec4f {
  let a = abs(v);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(v) * (1.0 - poly * exp(-a * a));
}

fn gelu_f(v: f32) -> f32 { return 0.5 * v * (1.0 + erf_f(v * SQRT1_2)); }

// d gelu / d v = Φ(v) + v φ(v)
fn gelu_grad_f(v: f32) -> f32 { return 0.5 * (1.0 + erf_f(v * SQRT1_2)) + v * INV_SQRT_2PI * exp(-0.5 * v * v); }

fn gelu4(v: vec4f) -> vec4f { return 0.5 * v * (1.0 + erf4(v * SQRT1_2)); }
