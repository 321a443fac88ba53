/** Random-access seeding: a generator for item `index` of stream `stream` under `seed`. */
import { Rng } from '../../util/rng';

/** murmur3's 32-bit finaliser: a bijection on u32 with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * An Rng that depends only on (seed, index, stream). Each state word is a bijection of one input,
 * so distinct inputs can never share a state (no birthday collisions over a long corpus), and the
 * generator is warmed up so that neighbouring indices give unrelated streams.
 * @param index any non-negative integer below 2^53
 */
export function rngFor(seed: number, index: number, stream = 0): Rng {
  if (!Number.isSafeInteger(index) || index < 0) throw new Error(`rngFor: index must be a non-negative safe integer, got ${index}`);
  const lo = index >>> 0;
  const hi = Math.floor(index / 4294967296) >>> 0;
  const s: [number, number, number, number] = [
    fmix32((seed ^ 0x9e3779b9) >>> 0),
    fmix32((lo ^ 0x7f4a7c15) >>> 0),
    fmix32((hi ^ 0x2545f491) >>> 0),
    fmix32((stream ^ 0x6a09e667) >>> 0),
  ];
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  const r = new Rng(0);
  r.setState({ s });
  for (let i = 0; i < 16; i++) r.nextU32();
  return r;
}

/** A 32-bit hash of a string (FNV-1a then fmix32), to derive streams from names. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h >>> 0);
}
