// Matmul with a per-thread register block: R rows × 4·C4 columns, vec4 loads along the contiguous
// dimension of each operand (template parameters: R, C4, TA, TB, NV, BIAS, GELU, SAVEZ, RES; see
// src/gpu/template.ts). For GPUs and CPU adapters without 8-wide subgroups: no workgroup memory and
// no barriers (barriers are coroutine switches on CPU adapters), tile sizes from src/gpu/tuning.ts.
// The block is written unrolled because drivers do not reliably keep loop-indexed arrays in registers.
// Vec4-read dims must be multiples of 4 (host-checked): A: TA ? M : K, B: TB ? K : N. Edge rows and
// columns are clamped on load and skipped on store. K is a multiple of 4 unless both operands are read
// along M/N (TA && !TB); then KCHK zeroes k past the split end (both operands, so Inf/NaN cannot leak).
//#include lib/matmul_vec4.wgsl

override WX: u32 = 16u;
override WY: u32 = 8u;

@compute @workgroup_size(WX, WY)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let job = batch_split(wid.z);
  let M = p.M;
  let N = p.N;
  let K = p.K;
  let row0 = (wid.y * WY + lid.y) * {{R}}u;
  let col0 = (wid.x * WX + lid.x) * {{C4 * 4}}u;
  if (row0 >= M || col0 >= N) { return; }
  //#for r in 0..R
  //#for c in 0..C4
  var acc{{r}}_{{c}} = vec4f(0.0);
  //#end
  //#end
  // Loop-invariant addresses (clamped rows/columns) hoisted out of the k loop.
//#if TA == 0
  //#for r in 0..R
  let aRow{{r}} = (job.aOff + min(row0 + {{r}}u, M - 1u) * K) / 4u;
  //#end
//#else
  //#for r4 in 0..R / 4
  let aCol{{r4}} = job.aOff / 4u + min(row0 / 4u + {{r4}}u, M / 4u - 1u);
  //#end
//#end
  //#for c in 0..C4
//#if TB
  //#for cc in 0..4
  let bRow{{c}}_{{cc}} = (job.bOff + min(col0 + {{c * 4 + cc}}u, N - 1u) * K) / 4u;
  //#end
//#else
  let bCol{{c}} = job.bOff / 4u + min(col0 / 4u + {{c}}u, N / 4u - 1u);
//#end
  //#end
  for (var kb = job.kBegin; kb < job.kEnd; kb += 4u) {
//#if TA == 0
    //#for r in 0..R
    let ar{{r}} = A[aRow{{r}} + kb / 4u];
    //#end
//#end
//#if TB
    //#for c in 0..C4
    //#for cc in 0..4
    let bc{{c}}_{{cc}} = B[bRow{{c}}_{{cc}} + kb / 4u];
    //#end
    //#end
//#end
    //#for j in 0..4
    {
//#if KCHK
      // K is not a multiple of 4 (only possible when both operands are read along M/N).
      let ok = kb + {{j}}u < job.kEnd;
      let kc = min(kb + {{j}}u, K - 1u);
//#else
      let kc = kb + {{j}}u;
//#end
//#if TA
      //#for r4 in 0..R / 4
//#if KCHK
      let aw{{r4}} = select(vec4f(0.0), A[kc * (M / 4u) + aCol{{r4}}], ok);
//#else
      let aw{{r4}} = A[kc * (M / 4u) + aCol{{r4}}];
//#end
      //#end
//#end
      //#for c in 0..C4
//#if TB
      let bv{{c}} = vec4f(bc{{c}}_0[{{j}}], bc{{c}}_1[{{j}}], bc{{c}}_2[{{j}}], bc{{c}}_3[{{j}}]);
//#else
//#if KCHK
      let bv{{c}} = select(vec4f(0.0), B[kc * (N / 4u) + bCol{{c}}], ok);
//#else
      let bv{{c}} = B[kc * (N / 4u) + bCol{{c}}];
//#end
//#end
      //#end
      //#for r in 0..R
//#if TA
      let a{{r}} = vec4f(aw{{r / 4}}[{{r % 4}}]);
//#else
      let a{{r}} = vec4f(ar{{r}}[{{j}}]);
//#end
      //#for c in 0..C4
      acc{{r}}_{{c}} = fma(a{{r}}, bv{{c}}, acc{{r}}_{{c}});
      //#end
      //#end
    }
    //#end
  }
  // Epilogue as a real loop over a private copy of the accumulators (unrolled GELU compiles slowly).
  // Output block wid.z = batch · nSplit + split ([batch, nSplit, M, N] when split).
  let cBase = wid.z * M * N;
  var out: array<vec4f, {{R * C4}}>;
  //#for r in 0..R
  //#for c in 0..C4
  out[{{r * C4 + c}}] = acc{{r}}_{{c}};
  //#end
  //#end
  for (var c = 0u; c < {{C4}}u; c++) {
    let col = col0 + c * 4u;
    let bcol = bias4(col);
    for (var r = 0u; r < {{R}}u; r++) { epilogue(row0 + r, col, cBase, out[r * {{C4}}u + c], bcol); }
  }
}
