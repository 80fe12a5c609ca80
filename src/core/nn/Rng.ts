/**
 * The project's one seeded random generator: initialisation, exploration noise, the embedded models' weights and
 * tests all replay exactly from a seed, on every machine and Node version (which `Math.random` cannot give).
 *
 * The uniform stream is pure-rand's xoroshiro128+; Gaussian draws use the Box-Muller transform and keep the second
 * variate of each pair for the next call.
 */
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus, xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";

type Generator = ReturnType<typeof xoroshiro128plus>;

/** Everything an Rng needs to continue exactly where it was (JSON-serialisable). */
export interface RngState {
  generator: number[];
  spare: number | null;
}

export class Rng {
  private generator: Generator;
  private spare: number | null = null;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    this.generator = xoroshiro128plus(Math.trunc(seed) | 0);
  }

  /** The generator's state, so that a resumed run draws exactly what the uninterrupted run would have. */
  getState(): RngState {
    return { generator: [...this.generator.getState()], spare: this.spare };
  }

  /** A generator continuing from a saved state. */
  static fromState(state: RngState): Rng {
    if (!state || !Array.isArray(state.generator) || state.generator.length !== 4 || !state.generator.every(Number.isInteger)) {
      throw new Error("Rng.fromState: expected {generator: four integers, spare: number | null}");
    }
    const rng = new Rng(0);
    rng.generator = xoroshiro128plusFromState(state.generator);
    rng.spare = state.spare ?? null;
    return rng;
  }

  /**
   * A stream for one named purpose (e.g. one tensor of a generated model), so that adding or overriding one
   * tensor does not shift the values drawn for the others.
   */
  static forKey(seed: number, key: string): Rng {
    // FNV-1a over the key, mixed with the seed.
    let h = 0x811c9dc5 ^ (seed >>> 0);
    for (let i = 0; i < key.length; i++) {
      h ^= key.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return new Rng(h | 0);
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    return this.generator.next() >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits, so products and logs never see float32-coarse values. */
  uniform(): number {
    return uniformFloat64(this.generator);
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Rng.int: n must be a positive integer, got ${n}`);
    return uniformInt(this.generator, 0, n - 1);
  }

  /** A standard normal draw (Box-Muller). */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    // 1 - u lies in (0, 1], so the log is finite.
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Fills `out` with N(mean, std^2) draws and returns it. */
  fillNormal<T extends Float32Array | Float64Array>(out: T, std = 1, mean = 0): T {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** An independent generator derived from this one's stream (for giving each module its own stream). */
  fork(): Rng {
    return new Rng(this.generator.next());
  }
}
