// Multi-tensor AdamW and EMA: one dispatch updates NT tensors, each bound as its own buffers (NT is a
// template parameter, src/gpu/template.ts, chosen from the adapter's storage-buffer limit: 4 buffers
// per tensor for AdamW, 2 for EMA). No copies: parameters, gradients and moments stay in their own
// tensors. Workgroups are assigned to tensors in order (tensor t owns workgroups [start[t], start[t+1])),
// so which tensor a workgroup updates is uniform across it.
struct Multi {
  lr: f32, beta1: f32, beta2: f32, eps: f32, bc1: f32, bc2: f32, gscale: f32, _p0: u32,
  n: array<vec4<u32>, 2>,
  start: array<vec4<u32>, 3>,
  wd: array<vec4<f32>, 2>,
}
@group(0) @binding(0) var<uniform> q: Multi;
//#for t in 0..NT
@group(0) @binding({{1 + t * 4}}) var<storage, read_write> p{{t}}: array<f32>;
//#if ADAM
@group(0) @binding({{2 + t * 4}}) var<storage, read> g{{t}}: array<f32>;
@group(0) @binding({{3 + t * 4}}) var<storage, read_write> m{{t}}: array<f32>;
@group(0) @binding({{4 + t * 4}}) var<storage, read_write> v{{t}}: array<f32>;
//#else
@group(0) @binding({{2 + t * 4}}) var<storage, read> s{{t}}: array<f32>;
//#end
//#end

fn at2(a: array<vec4<u32>, 2>, i: u32) -> u32 { return a[i / 4u][i % 4u]; }
fn at3(a: array<vec4<u32>, 3>, i: u32) -> u32 { return a[i / 4u][i % 4u]; }

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let w = wid.x + wid.y * nwg.x;
  //#for t in 0..NT
  if (w >= at3(q.start, {{t}}u) && w < at3(q.start, {{t + 1}}u)) {
    let i = (w - at3(q.start, {{t}}u)) * 256u + lid.x;
    if (i < at2(q.n, {{t}}u)) {
//#if ADAM
      // AdamW (decoupled decay, as torch.optim.AdamW): p ← p·(1 − lr·wd) − lr · m̂ / (√v̂ + eps).
      let g = g{{t}}[i] * q.gscale;
      let mi = q.beta1 * m{{t}}[i] + (1.0 - q.beta1) * g;
      let vi = q.beta2 * v{{t}}[i] + (1.0 - q.beta2) * g * g;
      m{{t}}[i] = mi;
      v{{t}}[i] = vi;
      let wdv = q.wd[{{t / 4}}][{{t % 4}}];
      p{{t}}[i] = p{{t}}[i] * (1.0 - q.lr * wdv) - q.lr * (mi / q.bc1) / (sqrt(vi / q.bc2) + q.eps);
//#else
      // EMA: teacher ← tau · teacher + (1 − tau) · student (tau in beta1).
      p{{t}}[i] = q.beta1 * p{{t}}[i] + (1.0 - q.beta1) * s{{t}}[i];
//#end
    }
  }
  //#end
}
