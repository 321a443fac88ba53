/**
 * The one seeded generator every random choice flows from (init, crops, masks, data order).
 * xoshiro128** over four u32 words: fast, exact in JS integer arithmetic, and its whole state is
 * four numbers, so it can be saved in a checkpoint and restored bit-exactly.
 */
export interface RngState { s: [number, number, number, number] }

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private s: Uint32Array;

  constructor(seed = 0) {
    const next = splitmix32(seed);
    this.s = new Uint32Array([next(), next(), next(), next()]);
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5, lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box-Muller; one draw per call so the state stays four words). */
  normal(): number {
    let u = this.uniform();
    while (u <= 0) u = this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n > 0)) throw new Error(`Rng.int: n must be positive, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i]; a[i] = a[j]; a[j] = tmp;
    }
    return a;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** An independent generator derived from this one (advances this one by four draws). */
  fork(): Rng {
    const r = new Rng(0);
    r.s = new Uint32Array([this.nextU32(), this.nextU32(), this.nextU32(), this.nextU32()]);
    if ((r.s[0] | r.s[1] | r.s[2] | r.s[3]) === 0) r.s[0] = 1;
    return r;
  }

  getState(): RngState { return { s: [this.s[0], this.s[1], this.s[2], this.s[3]] }; }
  setState(st: RngState): void { this.s = new Uint32Array(st.s); }
  /** State as a string for safetensors metadata. */
  serialize(): string { return this.getState().s.join(','); }
  static deserialize(str: string): Rng {
    const parts = str.split(',').map(Number);
    if (parts.length !== 4 || parts.some((x) => !Number.isInteger(x) || x < 0 || x > 0xffffffff)) {
      throw new Error(`Rng.deserialize: bad state "${str}"`);
    }
    const r = new Rng(0);
    r.setState({ s: parts as [number, number, number, number] });
    return r;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
