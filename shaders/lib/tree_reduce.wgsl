// $FN(v, l): the $T values of a workgroup's WG lanes (l = local index, WG a power of two) combined by a
// shared-memory tree, every lane getting the result. COMBINE is an expression of a and b. The last
// barrier lets the function be called again on the same memory.
var<workgroup> $FN_red: array<$T, WG>;

fn $FN(v: $T, l: u32) -> $T {
  $FN_red[l] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (l < s) { let a = $FN_red[l]; let b = $FN_red[l + s]; $FN_red[l] = $COMBINE; }
    workgroupBarrier();
  }
  let r = $FN_red[0];
  workgroupBarrier();
  return r;
}
