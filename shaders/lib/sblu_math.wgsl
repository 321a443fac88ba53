// The SBLU arithmetic both SBLU kernel families share (shaders/sblu.wgsl: tiles of positions per
// workgroup; shaders/sblu-rows.wgsl: one thread per row): the taps exp(-Λd), the scale |C|² with its
// derivatives, and log1p. See shaders/sblu.wgsl for the formulas.
const EPS: f32 = 1e-6;

// log1p without cancellation (Goldberg); the argument is ≥ 1e-3 here, where log(1 + x) loses digits.
fn log1p_f(v: f32) -> f32 {
  let w = 1.0 + v;
  if (w == 1.0) { return v; }
  return log(w) * v / (w - 1.0);
}

// sinh without the cancellation of (eˣ − e⁻ˣ)/2 near 0.
fn sinh_f(x: f32) -> f32 {
  if (abs(x) < 0.5) {
    let q = x * x;
    return x * (1.0 + q / 6.0 * (1.0 + q / 20.0 * (1.0 + q / 42.0 * (1.0 + q / 72.0))));
  }
  return sinh(x);
}

fn cmul(a: vec2f, b: vec2f) -> vec2f { return vec2f(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
fn cdiv(a: vec2f, b: vec2f) -> vec2f { return vec2f(a.x * b.x + a.y * b.y, a.y * b.x - a.x * b.y) / dot(b, b); }

// (|C|², ∂|C|²/∂α, ∂|C|²/∂ω) for C(Λ) = 2 sinh(Λ/2)/Λ, using C' = dC/dΛ (C is holomorphic, so
// ∂C/∂α = C' and ∂C/∂ω = jC'). For |Λ| < 2 both come from the Taylor series in q = (Λ/2)², which has
// no 0/0 at Λ → 0 (C → 1) and no cancellation; above, the closed form is well conditioned.
fn cscale(a: f32, w: f32) -> vec3f {
  let L = vec2f(a, w);
  var C: vec2f;
  var Cp: vec2f;
  if (dot(L, L) < 4.0) {
    // C = Σ q^k/(2k+1)!, C' = (Λ/2)·Σ_{k≥1} k q^(k-1)/(2k+1)!; |q| < 1, so 9 terms reach 1e-17.
    let h = 0.5 * L;
    let q = cmul(h, h);
    var c = 1.0;
    var qk = vec2f(1.0, 0.0); // q^(k-1)
    C = vec2f(1.0, 0.0);
    var s1 = vec2f(0.0, 0.0);
    for (var k = 1u; k <= 9u; k++) {
      c = c / f32((2u * k) * (2u * k + 1u));
      s1 += f32(k) * c * qk;
      qk = cmul(qk, q);
      C += c * qk;
    }
    Cp = cmul(h, s1);
  } else {
    let ha = 0.5 * a;
    let hw = 0.5 * w;
    let sh = vec2f(sinh_f(ha) * cos(hw), cosh(ha) * sin(hw));
    let ch = vec2f(cosh(ha) * cos(hw), sinh_f(ha) * sin(hw));
    C = 2.0 * cdiv(sh, L);
    Cp = cdiv(ch - C, L);
  }
  let cc = vec2f(C.x * Cp.x + C.y * Cp.y, C.x * Cp.y - C.y * Cp.x); // conj(C)·C'
  return vec3f(dot(C, C), 2.0 * cc.x, -2.0 * cc.y);
}

// exp(-Λd) = e^(-αd)(cos ωd − j sin ωd). ωd reaches 32π, and its f32 rounding (ulp 4e-6) would be
// as large as the whole of sin ωd when ω sits at π (the spec's upper bound), which the ω gradient
// feels through ∂z/∂ω ~ Σ|d|h. So ωd is reduced exactly: ω = hi + lo with hi holding 12 significant
// bits (hi·d is exact for d < 4096), 2π = 6.28125 + 1.9353071795864769e-3 (Cody-Waite), k·6.28125 is
// exact, and their difference is exact; only the small lo·d and k·2π_lo terms round.
fn tap(a: f32, w: f32, d: u32) -> vec2f {
  let fd = f32(d);
  let hi = bitcast<f32>(bitcast<u32>(w) & 0xfffff000u);
  let lo = w - hi;
  let th = hi * fd;
  let k = round(th * 0.15915494309189535);
  let r = ((th - k * 6.28125) - k * 1.9353071795864769e-3) + lo * fd;
  return exp(-a * fd) * vec2f(cos(r), -sin(r));
}
