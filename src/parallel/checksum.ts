/**
 * A cheap, exact fingerprint of the parameters, compared over ranks to catch divergence: two
 * independent 32-bit FNV-1a-style hashes over the float32 bit patterns, sent as four 16-bit halves
 * in float32 (exact), so a float all-gather carries them.
 */

/** Fingerprint of the arrays' bits (order matters) as 4 exactly representable floats. */
export function checksumWords(arrays: Float32Array[]): Float32Array {
  let h1 = 0x811c9dc5, h2 = 0x01000193 ^ 0x5bd1e995;
  for (const a of arrays) {
    const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
    for (let i = 0; i < u.length; i++) {
      h1 = Math.imul(h1 ^ u[i], 0x01000193);
      h2 = Math.imul(h2 ^ (u[i] + i), 0x5bd1e995) ^ (h2 >>> 15);
    }
    h1 = Math.imul(h1 ^ a.length, 0x01000193);
  }
  return Float32Array.of(h1 & 0xffff, h1 >>> 16, h2 & 0xffff, h2 >>> 16);
}

/** Ranks whose fingerprint (4 words each, rank order) differs from rank 0's. */
export function divergentRanks(all: Float32Array, world: number): number[] {
  const w = all.length / world;
  const bad: number[] = [];
  for (let r = 1; r < world; r++) {
    for (let k = 0; k < w; k++) if (all[r * w + k] !== all[k]) { bad.push(r); break; }
  }
  return bad;
}
