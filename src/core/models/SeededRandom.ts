/**
 * A small seeded PRNG (mulberry32) with normal draws. Model generation needs the same bytes from the same seed on
 * every machine and Node version, which `Math.random` cannot give; the generator is a few lines, so no dependency.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new Error(`SeededRandom: seed must be an integer, got ${seed}`);
    this.state = seed >>> 0;
  }

  /**
   * A stream for one named purpose (e.g. one tensor), so overriding or adding a tensor does not shift the values
   * drawn for the others.
   */
  static forKey(seed: number, key: string): SeededRandom {
    // FNV-1a over the key, mixed with the seed.
    let h = 0x811c9dc5 ^ (seed >>> 0);
    for (let i = 0; i < key.length; i++) {
      h ^= key.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return new SeededRandom(h >>> 0);
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box-Muller; one draw per call keeps the stream simple to reason about). */
  normal(): number {
    const u = 1 - this.next(); // in (0, 1], so the log is finite
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** `count` normal values times `std`. */
  normals(count: number, std: number): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.normal() * std;
    return out;
  }
}
