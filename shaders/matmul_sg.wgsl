// Matmul for CPU adapters with 8-wide subgroups (lavapipe): C[b] = op(A[b])·op(B[b]) (+ bias, GELU).
// Template (src/gpu/template.ts): R rows per subgroup, G groups of 32 columns, TA/TB transposes, NV vec4
// output, BIAS, GELU, SAVEZ, RES (a residual added last), RSUM (TA = 1 only: also the row sums of op(A)).
//
// Why this shape: on lavapipe every per-lane load is scalarised with a bounds check and a branch per
// lane, and the lanes' values are inserted one by one through the stack (~200 cycles per vec4 load,
// measured), while subgroupShuffle with a uniform index is one vpermd per component. So the 8 lanes
// of a subgroup share R rows of A: each lane loads a distinct vec4 of A and the values are broadcast;
// each lane owns 4 columns of B in each of G groups (one vec4 load per k per group). Per 32 k a
// subgroup makes R + 32·G vec4 loads for 32·R·G vec4 FMAs per lane: G = 2 cuts loads per FMA by a
// quarter and shuffles per FMA by half against G = 1 (1024³ on lavapipe: ~25 % faster). The
// accumulators (R·G vec4s) spill to the stack, which is still far cheaper than loads.
// Contiguous dims that are read as vec4 must be multiples of 4 (the host checks): A: TA ? M : K,
// B: TB ? K : N. Rows/columns past the edge are clamped on load and skipped on store. KCHK is set when
// K does not fill the k blocks (32 for TA = 0, 4 for TA = 1): then k past the end contributes exact
// zeros (both operands are zeroed, so Inf/NaN cannot leak in); without it the loop has no checks.
enable subgroups;

//#include lib/matmul_vec4.wgsl

// Workgroup size: 8 × the subgroups per workgroup, which are stacked along M.
override WG: u32 = 8u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let lane = lid.x % 8u;
  let job = batch_split(wid.z);
  let M = p.M;
  let N = p.N;
  let K = p.K;
  let row0 = (wid.y * (WG / 8u) + lid.x / 8u) * {{R}}u;
  // Group g's columns for this lane: col + 32g .. +3.
  let col = wid.x * {{32 * G}}u + lane * 4u;
  //#for r in 0..R
  //#for g in 0..G
  var acc{{r}}_{{g}} = vec4f(0.0);
  //#end
  //#end
  // Loop-invariant addresses (clamped columns) hoisted out of the k loop.
  //#for g in 0..G
//#if TB
  //#for c in 0..4
  let bRow{{g}}_{{c}} = (job.bOff + min(col + {{32 * g + c}}u, N - 1u) * K) / 4u;
  //#end
//#else
  let bCol{{g}} = job.bOff / 4u + min(col / 4u + {{8 * g}}u, N / 4u - 1u);
//#end
  //#end
//#if TA == 0
  // A is [M, K]: lane l holds A[row, kb + 4l .. 4l+3] for every row; broadcast 4 k at a time.
  //#for r in 0..R
  let aRow{{r}} = (job.aOff + min(row0 + {{r}}u, M - 1u) * K) / 4u;
  //#end
  for (var kb = job.kBegin; kb < job.kEnd; kb += 32u) {
//#if KCHK
    // Last block of a K that is not a multiple of 32: zero both operands past the end of the K range.
    let ak4 = min(kb / 4u + lane, job.kEnd / 4u - 1u);
    let aOk = kb / 4u + lane < job.kEnd / 4u;
    //#for r in 0..R
    let ar{{r}} = select(vec4f(0.0), A[aRow{{r}} + ak4], aOk);
    //#end
//#else
    //#for r in 0..R
    let ar{{r}} = A[aRow{{r}} + kb / 4u + lane];
    //#end
//#end
    // A real loop over the 8 groups of 4 k (a shuffle with a uniform lane index, not an unrolled
    // broadcast): unrolled, the kernel took the driver tens of seconds to compile.
    for (var q = 0u; q < 8u; q++) {
//#if KCHK
      let bOk = kb + q * 4u < job.kEnd;
      let bk4 = min(kb / 4u + q, job.kEnd / 4u - 1u);
//#else
      let bk4 = kb / 4u + q;
//#end
      //#for g in 0..G
//#if TB
      // B is [N, K]: this lane's 4 columns, 4 k each, transposed into one vec4 of columns per k.
      //#for c in 0..4
//#if KCHK
      let bc{{g}}_{{c}} = select(vec4f(0.0), B[bRow{{g}}_{{c}} + bk4], bOk);
//#else
      let bc{{g}}_{{c}} = B[bRow{{g}}_{{c}} + bk4];
//#end
      //#end
      //#for j in 0..4
      let bv{{g}}_{{j}} = vec4f(bc{{g}}_0[{{j}}], bc{{g}}_1[{{j}}], bc{{g}}_2[{{j}}], bc{{g}}_3[{{j}}]);
      //#end
//#else
      //#for j in 0..4
//#if KCHK
      let bv{{g}}_{{j}} = select(vec4f(0.0), B[(bk4 * 4u + {{j}}u) * (N / 4u) + bCol{{g}}], bOk);
//#else
      let bv{{g}}_{{j}} = B[(bk4 * 4u + {{j}}u) * (N / 4u) + bCol{{g}}];
//#end
      //#end
//#end
      //#end
      // Row-major update order (all 4 k of a row, then the next row): each spilled accumulator is
      // loaded and stored once per 4 k instead of once per k (measured faster than k-major at G = 2).
      //#for r in 0..R
      {
        let a = subgroupShuffle(ar{{r}}, q);
        //#for g in 0..G
        acc{{r}}_{{g}} = fma(vec4f(a.w), bv{{g}}_3, fma(vec4f(a.z), bv{{g}}_2, fma(vec4f(a.y), bv{{g}}_1, fma(vec4f(a.x), bv{{g}}_0, acc{{r}}_{{g}}))));
        //#end
      }
      //#end
    }
  }
//#else
  // A is [K, M]: per k one vec4 load per lane covers 32 consecutive rows; lane r/4 holds rows r..r+3.
  let aCol = job.aOff / 4u + min(row0 / 4u + lane % {{(R + 3) / 4}}u, M / 4u - 1u);
//#if RSUM
  // Row sums of op(A) (a Linear's bias gradient, Σ_k dY[k, m], next to dW = dYᵀ·X) from the A values
  // this lane loads anyway: its 4 rows, all k. One batch, no K split (the host checks).
  var rs = vec4f(0.0);
//#end
  for (var kb = job.kBegin; kb < job.kEnd; kb += 4u) {
//#if TB
    //#for g in 0..G
    //#for c in 0..4
    let bc{{g}}_{{c}} = B[bRow{{g}}_{{c}} + kb / 4u];
    //#end
    //#end
//#end
    // The 4 k of this block: A broadcast per row group and B per column group, then the accumulators
    // updated row-major over all 4 k (as in the TA = 0 path): each spilled accumulator is loaded and
    // stored once per 4 k instead of once per k.
    //#for j in 0..4
//#if KCHK
    // K is not a multiple of 4 (only when B is [K, N]): zero both operands past the end of the K range.
    let ok{{j}} = kb + {{j}}u < job.kEnd;
    let kc{{j}} = min(kb + {{j}}u, K - 1u);
    let aw{{j}} = select(vec4f(0.0), A[kc{{j}} * (M / 4u) + aCol], ok{{j}});
//#else
    let kc{{j}} = kb + {{j}}u;
    let aw{{j}} = A[kc{{j}} * (M / 4u) + aCol];
//#end
    //#for r4 in 0..(R + 3) / 4
    let a{{r4}}_{{j}} = subgroupBroadcast(aw{{j}}, {{r4}}u);
    //#end
//#if RSUM
    rs += aw{{j}};
//#end
    //#for g in 0..G
//#if TB
    let bv{{g}}_{{j}} = vec4f(bc{{g}}_0[{{j}}], bc{{g}}_1[{{j}}], bc{{g}}_2[{{j}}], bc{{g}}_3[{{j}}]);
//#else
//#if KCHK
    let bv{{g}}_{{j}} = select(vec4f(0.0), B[kc{{j}} * (N / 4u) + bCol{{g}}], ok{{j}});
//#else
    let bv{{g}}_{{j}} = B[kc{{j}} * (N / 4u) + bCol{{g}}];
//#end
//#end
    //#end
    //#end
    //#for r in 0..R
    //#for g in 0..G
    acc{{r}}_{{g}} = fma(vec4f(a{{r / 4}}_3[{{r % 4}}]), bv{{g}}_3, fma(vec4f(a{{r / 4}}_2[{{r % 4}}]), bv{{g}}_2, fma(vec4f(a{{r / 4}}_1[{{r % 4}}]), bv{{g}}_1, fma(vec4f(a{{r / 4}}_0[{{r % 4}}]), bv{{g}}_0, acc{{r}}_{{g}}))));
    //#end
    //#end
  }
//#end
//#if RSUM
  // Written once, by the first column block; lanes past the block's rows (or M) hold duplicates.
  if (wid.x == 0u && lane < {{(R + 3) / 4}}u && row0 / 4u + lane < M / 4u) { rowsum[row0 / 4u + lane] = rs; }
//#end
  // Epilogue. With GELU it is a real loop over a private copy of the accumulators: unrolled, GELU's
  // exp/div for every row made the driver's compile take over a minute for R = 32. Without GELU it
  // stays unrolled (the private-array round trip costs per-lane memory traffic when K is short).
  // Output block wid.z = batch · nSplit + split ([batch, nSplit, M, N] when split).
  let cBase = wid.z * M * N;
  //#for g in 0..G
  let bcol{{g}} = bias4(col + {{32 * g}}u);
  //#end
//#if GELU
  //#for g in 0..G
  {
    var out: array<vec4f, {{R}}>;
    //#for r in 0..R
    out[{{r}}] = acc{{r}}_{{g}};
    //#end
    for (var r = 0u; r < {{R}}u; r++) { epilogue(row0 + r, col + {{32 * g}}u, cBase, out[r], bcol{{g}}); }
  }
  //#end
//#else
  //#for r in 0..R
  //#for g in 0..G
  epilogue(row0 + {{r}}u, col + {{32 * g}}u, cBase, acc{{r}}_{{g}}, bcol{{g}});
  //#end
  //#end
//#end
}
