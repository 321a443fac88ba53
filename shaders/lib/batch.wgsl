// Batched matmuls: the offsets of output batch `b` in A and B, from the batch shape and each operand's
// batch strides (0 where it is broadcast). Needs p.batchRank, p.batchShape, p.aBatch and p.bBatch.
//#include lib/index.wgsl

fn batch_offsets(b: u32) -> vec2u {
  var rem = b;
  var off = vec2u(0u, 0u);
  for (var d = i32(p.batchRank) - 1; d >= 0; d--) {
    let du = u32(d);
    let len = dim(p.batchShape, du);
    let i = rem % len;
    rem = rem / len;
    off += i * vec2u(dim(p.aBatch, du), dim(p.bBatch, du));
  }
  return off;
}
