// Fill, arange and the 4×4-block transpose. (Strided copies live in copy_strided.wgsl, a template over rank.)
struct Params { n: u32, value: f32, step: f32, _p0: u32 }
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

//#include lib/index.wgsl

@compute @workgroup_size(256)
fn fill(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  dst[i] = p.value;
}

@compute @workgroup_size(256)
fn arange(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg, 256u);
  if (i >= p.n) { return; }
  dst[i] = p.value + f32(i) * p.step;
}

// Transpose of the last two axes, 4×4 blocks at a time: src [L, K, N] → dst [L, N, K] with K and N
// multiples of 4. Four vec4 loads and four vec4 stores per 16 values, where the strided copy spends
// index arithmetic on every value (~4x slower on lavapipe).
struct TParams { K: u32, N: u32, blocks: u32, total: u32 }
@group(0) @binding(3) var<storage, read> src4: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> dst4: array<vec4f>;
@group(0) @binding(5) var<uniform> tp: TParams;

@compute @workgroup_size(256)
fn transpose4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg, 256u);
  if (i >= tp.total) { return; }
  let n4 = tp.N / 4u;
  let k4 = tp.K / 4u;
  let l = i / tp.blocks;
  let rem = i % tp.blocks;
  let kb = rem / n4;
  let nb = rem % n4;
  let s = (l * tp.K + 4u * kb) * n4 + nb;
  let v0 = src4[s];
  let v1 = src4[s + n4];
  let v2 = src4[s + 2u * n4];
  let v3 = src4[s + 3u * n4];
  let d = (l * tp.N + 4u * nb) * k4 + kb;
  dst4[d] = vec4f(v0.x, v1.x, v2.x, v3.x);
  dst4[d + k4] = vec4f(v0.y, v1.y, v2.y, v3.y);
  dst4[d + 2u * k4] = vec4f(v0.z, v1.z, v2.z, v3.z);
  dst4[d + 3u * k4] = vec4f(v0.w, v1.w, v2.w, v3.w);
}
