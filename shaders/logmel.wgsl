// Log-mel front end (spec section 2): centred reflect-padded frames × window → |DFT|² → sparse mel
// filterbank → ln(· + eps) → (x − mean)/std. Three routes to the power spectrum, all exact up to
// float32 rounding; src/audio/logmel-gpu.ts picks one per adapter, kernels-bench/logmel.ts times them:
//   main       one workgroup per FPW frames; frames and spectra stay in shared memory (for GPUs);
//   per_frame  4 frames per invocation, no shared memory, no barrier (for CPU adapters: on lavapipe
//              it needs ~7× less CPU time than `main` and than the matmul route);
//   frames_out → the engine's matmul against a [N, 2·(N/2+1)] cos|sin basis → mel_from_spec.
//
// The DFT of a length-N = P·Q frame is a two-stage Cooley–Tukey split (400 = 20·20), since 400 is not
// a power of two, and a direct DFT costs 10× the arithmetic: with n = Q·n1 + n2 and k = k1 + P·k2,
//   S[n2, k1] = Σ_n1 x[Q·n1 + n2] · W_P^(n1·k1)          (Q real-input DFTs of length P)
//   X[k]      = Σ_n2 W_N^((n2·k) mod N) · S[n2, k mod P]  (twiddle and outer DFT folded into one table)
// which is (P/2+1)·Q·P + (N/2+1)·Q ≈ 8.4k multiply-adds per 400-point frame instead of 80k. S is
// Hermitian in k1 for real x, so only k1 ≤ P/2 is computed and stored. In `main`, METHOD 1 swaps in
// the direct DFT (same table), kept for adapters where its barrier-free arithmetic wins.
struct Params {
  rowStride: u32,  // samples per row of `x` (≥ every clip's length)
  nFrames: u32,    // frames per clip in `y` (the longest clip's count)
  nMels: u32,
  hop: u32,
  mean: f32,
  invStd: f32,
  logEps: f32,
  padValue: f32,   // written past a clip's own last frame (0 = zero in the normalised domain)
  clip0: u32,      // first clip of this dispatch (per_frame works through big batches in chunks)
}
@group(0) @binding(0) var<storage, read> x: array<f32>;        // [B, rowStride] samples
@group(0) @binding(1) var<storage, read> lens: array<u32>;     // [B] valid samples per clip
@group(0) @binding(2) var<storage, read> win: array<f32>;      // [N] window, zero-padded to N
@group(0) @binding(3) var<storage, read> tw: array<vec2f>;     // [N] (cos, −sin)(2πj/N)
@group(0) @binding(4) var<storage, read> fbW: array<f32>;      // nonzero filter weights, mel-major
@group(0) @binding(5) var<storage, read> fbIdx: array<vec4u>;  // per mel: (first bin, count, offset in fbW, 0)
@group(0) @binding(6) var<storage, read_write> y: array<f32>;  // [B, nMels, nFrames]
@group(0) @binding(7) var<uniform> p: Params;
// Frame storage for the matmul variant: [B·nFrames, N] windowed frames / [B·nFrames, 2H] (re | im).
@group(0) @binding(8) var<storage, read_write> frames: array<f32>;
@group(0) @binding(9) var<storage, read> spec: array<f32>;

override P: u32 = 20u;
override Q: u32 = 20u;
override METHOD: u32 = 0u;  // 0 two-stage FFT, 1 direct DFT
override WG: u32 = 128u;
override FPW: u32 = 1u;     // frames per workgroup: amortises barriers over more work

// Shared sizes fit the default 16 KiB of workgroup memory; the host checks FPW·N ≤ 1024 and
// FPW·Q·(P/2 + 1) ≤ 1152 (and the matmul variant's N/2 + 1 ≤ 1024).
var<workgroup> xs: array<f32, 1024>;     // windowed frames, then their power spectra (slot f at f·N)
var<workgroup> sb: array<vec2f, 1152>;   // first-stage outputs (or the direct DFT's power)

fn reflect_index(i: i32, n: i32) -> u32 {
  // numpy 'reflect' (edge not repeated), bouncing as often as needed so very short clips work too.
  if (n == 1) { return 0u; }
  let period = 2 * (n - 1);
  var j = i % period;
  if (j < 0) { j += period; }
  return u32(select(period - j, j, j < n));
}

fn cmul(a: vec2f, b: vec2f) -> vec2f { return vec2f(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }

fn frame_count(len: u32) -> u32 { return 1u + len / p.hop; }

// Windowed frame f of clip b at xs[slot·N ..]; samples come straight from `x` through reflect indices.
fn load_frames(b: u32, t0: u32, nLocal: u32, l: u32) {
  let N = P * Q;
  let len = lens[b];
  let half = i32(N / 2u);
  for (var u = l; u < nLocal * N; u += WG) {
    let f = u / N;
    let n = u - f * N;
    let pos = i32((t0 + f) * p.hop) - half + i32(n);
    var src: u32;
    if (pos >= 0 && pos < i32(len)) { src = u32(pos); } else { src = reflect_index(pos, i32(len)); }
    xs[u] = x[b * p.rowStride + src] * win[n];
  }
}

// Power |X[k]|² for k ≤ N/2 of every local frame, written over xs (frames are no longer needed).
fn power_fft(nLocal: u32, l: u32) {
  let N = P * Q;
  let H = P / 2u + 1u;
  let nS = Q * H;
  for (var u = l; u < nLocal * nS; u += WG) {
    let f = u / nS;
    let r = u - f * nS;
    let n2 = r / H;
    let k1 = r - n2 * H;
    var acc = vec2f(0.0);
    var e = 0u;  // (n1·k1) mod P, kept incrementally: no division in the loop
    for (var n1 = 0u; n1 < P; n1++) {
      acc += xs[f * N + Q * n1 + n2] * tw[e * Q];
      e += k1;
      e = select(e, e - P, e >= P);  // no branch: lanes never diverge here
    }
    sb[f * nS + r] = acc;
  }
  workgroupBarrier();
  let nBins = N / 2u + 1u;
  for (var u = l; u < nLocal * nBins; u += WG) {
    let f = u / nBins;
    let k = u - f * nBins;
    let k1 = k % P;
    let mirror = k1 >= H;  // S[n2, P − k1] = conj(S[n2, k1]) for real input
    let col = select(k1, P - k1, mirror);
    let sgn = select(1.0, -1.0, mirror);
    var acc = vec2f(0.0);
    var e = 0u;  // (n2·k) mod N
    for (var n2 = 0u; n2 < Q; n2++) {
      let s = sb[f * nS + n2 * H + col];
      acc += cmul(tw[e], vec2f(s.x, sgn * s.y));
      e += k;
      e = select(e, e - N, e >= N);
    }
    xs[f * N + k] = dot(acc, acc);
  }
}

fn power_dft(nLocal: u32, l: u32) {
  let N = P * Q;
  let nBins = N / 2u + 1u;
  // Results go to sb (as .x) because xs still holds the frames other invocations are reading.
  for (var u = l; u < nLocal * nBins; u += WG) {
    let f = u / nBins;
    let k = u - f * nBins;
    var acc = vec2f(0.0);
    var e = 0u;
    for (var n = 0u; n < N; n++) {
      acc += xs[f * N + n] * tw[e];
      e += k;
      e = select(e, e - N, e >= N);
    }
    sb[f * N + k] = vec2f(dot(acc, acc), 0.0);
  }
  workgroupBarrier();
  for (var u = l; u < nLocal * nBins; u += WG) {
    let f = u / nBins;
    let k = u - f * nBins;
    xs[f * N + k] = sb[f * N + k].x;
  }
}

fn mel_out(b: u32, t0: u32, nLocal: u32, l: u32) {
  let N = P * Q;
  for (var u = l; u < nLocal * p.nMels; u += WG) {
    let f = u / p.nMels;
    let m = u - f * p.nMels;
    let d = fbIdx[m];
    var acc = 0.0;
    for (var j = 0u; j < d.y; j++) { acc += fbW[d.z + j] * xs[f * N + d.x + j]; }
    y[(b * p.nMels + m) * p.nFrames + t0 + f] = (log(acc + p.logEps) - p.mean) * p.invStd;
  }
}

fn pad_out(b: u32, t0: u32, t1: u32, l: u32) {
  let n = t1 - t0;
  for (var u = l; u < n * p.nMels; u += WG) {
    let f = u / p.nMels;
    let m = u - f * p.nMels;
    y[(b * p.nMels + m) * p.nFrames + t0 + f] = p.padValue;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) l: u32) {
  let b = wid.y;
  // Frame groups span x and z so that clips longer than 65535 groups (≈ 11 min at hop 160) still fit.
  let t0 = (wid.x + wid.z * nwg.x) * FPW;
  if (t0 >= p.nFrames) { return; }
  let tEnd = min(t0 + FPW, p.nFrames);
  let tValid = min(tEnd, max(frame_count(lens[b]), t0));
  pad_out(b, tValid, tEnd, l);
  let nLocal = tValid - t0;
  if (nLocal == 0u) { return; }
  load_frames(b, t0, nLocal, l);
  workgroupBarrier();
  if (METHOD == 0u) { power_fft(nLocal, l); } else { power_dft(nLocal, l); }
  workgroupBarrier();
  mel_out(b, t0, nLocal, l);
}

// ---- four frames per invocation: the variant for CPU adapters (lavapipe, SwiftShader) ----
// There an invocation is a SIMD lane. Measured on lavapipe with micro-kernels: a loop with an
// override-constant trip count (≤ ~20) is unrolled and a private array indexed only by its counter
// becomes registers (~7–10 G multiply-adds per CPU-second); loads whose address is not a compile-time
// constant become a per-lane loop (storage: ~20× an FMA; shared memory at lane-varying addresses is
// worse still), and private arrays of ~1000 floats take tens of seconds to minutes to compile.
// So: 4 consecutive frames ride in the lanes of a vec4f (each twiddle read feeds 4 frames), every
// private array has ≤ 32 entries, the innermost loops run over P or Q, and the first-stage output and
// the power spectrum go through `scratch` (storage), [clip in chunk][frame group] regions.
@group(0) @binding(10) var<storage, read_write> scratch: array<vec4f>;
const TMAX: u32 = 32u;  // largest P and Q (the host checks)

fn sample_at(row: u32, len: u32, pos: i32) -> f32 {
  if (pos >= 0 && pos < i32(len)) { return x[row + u32(pos)]; }
  return x[row + reflect_index(pos, i32(len))];
}

@compute @workgroup_size(WG)
fn per_frame(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) l: u32) {
  let N = P * Q;
  let H = P / 2u + 1u;
  let nBins = N / 2u + 1u;
  let b = p.clip0 + wid.y;
  let g = (wid.x + wid.z * nwg.x) * WG + l;  // frame group: frames 4g .. 4g + 3
  let t0 = 4u * g;
  if (t0 >= p.nFrames) { return; }
  let len = lens[b];
  let tValid = frame_count(len);
  let row = b * p.rowStride;
  let groups = (p.nFrames + 3u) / 4u;
  let sBase = (wid.y * groups + g) * (2u * Q * H + nBins);  // this group's first-stage outputs
  let pBase = sBase + 2u * Q * H;                          // then its power spectrum
  let start = vec4i(i32(t0 * p.hop) - i32(N / 2u)) + vec4i(0, 1, 2, 3) * i32(p.hop);
  let interior = start.x >= 0 && start.w + i32(N) <= i32(len);

  var wp: array<vec2f, TMAX>;  // W_P^m = W_N^(Q·m)
  var wq: array<vec2f, TMAX>;  // W_Q^m = W_N^(P·m)
  for (var m = 0u; m < P; m++) { wp[m] = tw[m * Q]; }
  for (var m = 0u; m < Q; m++) { wq[m] = tw[m * P]; }

  for (var n2 = 0u; n2 < Q; n2++) {
    var xv: array<vec4f, TMAX>;
    for (var n1 = 0u; n1 < P; n1++) {
      let n = Q * n1 + n2;
      let pos = start + vec4i(i32(n));
      var v: vec4f;
      if (interior) {
        v = vec4f(x[row + u32(pos.x)], x[row + u32(pos.y)], x[row + u32(pos.z)], x[row + u32(pos.w)]);
      } else {
        v = vec4f(sample_at(row, len, pos.x), sample_at(row, len, pos.y), sample_at(row, len, pos.z), sample_at(row, len, pos.w));
      }
      xv[n1] = v * win[n];
    }
    for (var k1 = 0u; k1 < H; k1++) {
      var re = vec4f(0.0);
      var im = vec4f(0.0);
      var e = 0u;  // (n1·k1) mod P
      for (var n1 = 0u; n1 < P; n1++) {
        let w = wp[e];
        re += xv[n1] * w.x;
        im += xv[n1] * w.y;
        e += k1;
        e = select(e, e - P, e >= P);
      }
      scratch[sBase + 2u * (n2 * H + k1)] = re;
      scratch[sBase + 2u * (n2 * H + k1) + 1u] = im;
    }
  }

  // X[k1 + P·k2] = Σ_n2 W_Q^(n2·k2) · (W_N^(n2·k1) · S[n2, k1]): the twiddled column once per k1, then
  // a length-Q DFT of it for every k2 with the column held in registers.
  for (var k1 = 0u; k1 < P; k1++) {
    let mirror = k1 >= H;  // S[n2, P − k1] = conj(S[n2, k1]) for real input
    let col = select(k1, P - k1, mirror);
    let sgn = select(1.0, -1.0, mirror);
    var cr: array<vec4f, TMAX>;
    var ci: array<vec4f, TMAX>;
    var e = 0u;  // (n2·k1) mod N
    for (var n2 = 0u; n2 < Q; n2++) {
      let sr = scratch[sBase + 2u * (n2 * H + col)];
      let si = sgn * scratch[sBase + 2u * (n2 * H + col) + 1u];
      let w = tw[e];
      cr[n2] = w.x * sr - w.y * si;
      ci[n2] = w.x * si + w.y * sr;
      e += k1;
    }
    let k2End = (nBins - k1 + P - 1u) / P;  // k2 with k1 + P·k2 ≤ N/2
    for (var k2 = 0u; k2 < k2End; k2++) {
      var re = vec4f(0.0);
      var im = vec4f(0.0);
      var f = 0u;  // (n2·k2) mod Q
      for (var n2 = 0u; n2 < Q; n2++) {
        let w = wq[f];
        re += w.x * cr[n2] - w.y * ci[n2];
        im += w.x * ci[n2] + w.y * cr[n2];
        f += k2;
        f = select(f, f - Q, f >= Q);
      }
      scratch[pBase + k1 + P * k2] = re * re + im * im;
    }
  }

  for (var m = 0u; m < p.nMels; m++) {
    let d = fbIdx[m];
    var acc = vec4f(0.0);
    for (var j = 0u; j < d.y; j++) { acc += fbW[d.z + j] * scratch[pBase + d.x + j]; }
    let v = (log(acc + p.logEps) - p.mean) * p.invStd;
    let base = (b * p.nMels + m) * p.nFrames;
    for (var f = 0u; f < 4u; f++) {
      let t = t0 + f;
      if (t < p.nFrames) { y[base + t] = select(p.padValue, v[f], t < tValid); }
    }
  }
}

// ---- matmul variant: frames out, the engine's matmul against a [N, 2H] cos|sin basis, mel in ----

@compute @workgroup_size(WG)
fn frames_out(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) l: u32) {
  let N = P * Q;
  let b = wid.y;
  let t = wid.x;
  let len = lens[b];
  let half = i32(N / 2u);
  let row = (b * p.nFrames + t) * N;
  for (var n = l; n < N; n += WG) {
    var v = 0.0;
    if (t < frame_count(len)) {
      let pos = i32(t * p.hop) - half + i32(n);
      var src: u32;
      if (pos >= 0 && pos < i32(len)) { src = u32(pos); } else { src = reflect_index(pos, i32(len)); }
      v = x[b * p.rowStride + src] * win[n];
    }
    frames[row + n] = v;
  }
}

@compute @workgroup_size(WG)
fn mel_from_spec(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) l: u32) {
  let H = P * Q / 2u + 1u;
  let b = wid.y;
  let t = wid.x;
  if (t >= frame_count(lens[b])) { pad_out(b, t, t + 1u, l); return; }
  let row = (b * p.nFrames + t) * 2u * H;
  for (var k = l; k < H; k += WG) {
    let re = spec[row + k];
    let im = spec[row + H + k];
    xs[k] = re * re + im * im;
  }
  workgroupBarrier();
  mel_out(b, t, 1u, l);
}
