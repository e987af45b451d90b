// NumPy's legacy RandomState, bit for bit where it matters here: MT19937 seeded with init_genrand (what
// np.random.seed(int) does), random_sample from two 32-bit draws, and randn by the polar Box-Muller method
// that returns the second value of each pair first and caches the other. Seed 42 therefore gives the original
// scripts' very weights.

const N = 624;
/** Words in a generator's state. */
export const MT_WORDS = N;
const M = 397;

/** A generator's state, as getState() gives it and setState() takes it. */
export interface MTState {
  words: Uint32Array;
  index: number;
  gauss: number;
  hasGauss: boolean;
}

export class MT19937 {
  private readonly mt = new Uint32Array(N);
  private index = N + 1;
  private gauss = 0;
  private hasGauss = false;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`seed must be an integer in 0..4294967295, got ${seed}`);
    }
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      // 1812433253 * prev mod 2^32, split so the product stays exact in a double
      mt[i] = ((((prev & 0xffff0000) >>> 16) * 1812433253) << 16) + (prev & 0x0000ffff) * 1812433253 + i;
    }
    this.index = N;
  }

  /** The next 32-bit output, as an unsigned integer. */
  nextUint32(): number {
    const mt = this.mt;
    if (this.index >= N) {
      for (let k = 0; k < N; k++) {
        const y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
        mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A double in [0, 1) with 53 random bits, as NumPy's random_sample. */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** A standard normal draw, as NumPy's legacy randn. */
  randn(): number {
    if (this.hasGauss) {
      this.hasGauss = false;
      return this.gauss;
    }
    let x1: number, x2: number, r2: number;
    do {
      x1 = 2 * this.random() - 1;
      x2 = 2 * this.random() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.gauss = f * x1;
    this.hasGauss = true;
    return f * x2;
  }

  /** Its whole state (a checkpoint keeps it): the 624 words, the position in them and the cached normal draw. */
  getState(): MTState {
    return { words: this.mt.slice(), index: this.index, gauss: this.gauss, hasGauss: this.hasGauss };
  }

  /** Continues from a state getState() returned (checked by its reader: 624 words, index 0..624). */
  setState(s: MTState): void {
    if (s.words.length !== N || !(Number.isInteger(s.index) && s.index >= 0 && s.index <= N)) throw new RangeError("not an MT19937 state");
    this.mt.set(s.words);
    this.index = s.index;
    this.gauss = s.gauss;
    this.hasGauss = s.hasGauss;
  }

  /** Shuffles a in place (Fisher-Yates, from the end, as NumPy's legacy shuffle). */
  shuffle(a: { length: number; [i: number]: number }): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.below(i + 1), t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** An integer in [0, n), without modulo bias (rejection on a masked draw, as NumPy's legacy interval). */
  below(n: number): number {
    if (n <= 1) return 0;
    const max = n - 1;
    let mask = max;
    mask |= mask >>> 1; mask |= mask >>> 2; mask |= mask >>> 4; mask |= mask >>> 8; mask |= mask >>> 16;
    let v: number;
    do v = (this.nextUint32() & mask) >>> 0; while (v > max);
    return v;
  }
}
