// $FN(i): the offset of element i of a $RANK-axis view (1 <= $RANK <= 8, a template parameter) with
// extents p.$SHAPE and strides p.$STRIDES, unrolled so every uniform index is a constant (a loop over a
// dynamically indexed uniform array cost ~10x more per element on lavapipe). The outermost axis needs
// no modulo.
fn $FN(i: u32) -> u32 {
  var rem = i;
  var off = 0u;
  //#for e in 0..$RANK
  {
    //#if e == $RANK - 1
    off += rem * p.$STRIDES[{{($RANK - 1 - e) / 4}}][{{($RANK - 1 - e) % 4}}];
    //#else
    let len = p.$SHAPE[{{($RANK - 1 - e) / 4}}][{{($RANK - 1 - e) % 4}}];
    off += (rem % len) * p.$STRIDES[{{($RANK - 1 - e) / 4}}][{{($RANK - 1 - e) % 4}}];
    rem = rem / len;
    //#end
  }
  //#end
  return off;
}
