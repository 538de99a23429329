/**
 * A seeded pseudo-random generator for the simulator: SplitMix64 (Steele,
 * Lea and Flood, "Fast splittable pseudorandom number generators", 2014) over
 * BigInt. BigInt arithmetic is exact, so a seed gives the same numbers on every
 * platform and engine; the simulator draws a few thousand numbers a job, where
 * BigInt's speed does not matter. Not for anything secret.
 */
import { sha256 } from "#crypto";
import { InvalidJobOptionError } from "./errors.ts";

const MASK = 0xffff_ffff_ffff_ffffn;
const encoder = new TextEncoder();

/**
 * A 64-bit seed from what a caller passes: a bigint, or a number up to 2^53 − 1.
 *
 * @throws {InvalidJobOptionError} naming `field`.
 */
export function seedOf(value: unknown, field = "seed"): bigint {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || Object.is(value, -0))
      throw new InvalidJobOptionError(field, "must be an unsigned integer (pass seeds above 2^53 − 1 as a bigint)");
    value = BigInt(value);
  }
  if (typeof value !== "bigint")
    throw new InvalidJobOptionError(field, `must be an unsigned integer, got ${typeof value}`);
  if (value < 0n || value > MASK)
    throw new InvalidJobOptionError(field, `must be between 0 and 2^64 − 1, got ${value}`);
  return value;
}

/**
 * An independent seed for one purpose of a job (its id, its duration, its output bytes):
 * the first 8 bytes, big-endian, of SHA-256(seed as 8 bytes big-endian ‖ utf8(label)).
 * Streams split this way do not shift when another purpose draws more or fewer numbers,
 * so choosing the task type explicitly leaves the job id and output bytes of a seed alone.
 */
export function deriveSeed(seed: bigint, label: string): bigint {
  const message = new Uint8Array(8 + encoder.encode(label).length);
  new DataView(message.buffer).setBigUint64(0, seed);
  message.set(encoder.encode(label), 8);
  const digest = sha256(message);
  return new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0);
}

/**
 * SplitMix64 as in its reference C code: state += 0x9e3779b97f4a7c15, then the
 * output mix. Seed 0 gives 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f.
 *
 * @example
 * const random = new SeededRandom(42n);
 * random.int(1, 6) // the same face for seed 42 everywhere
 */
export class SeededRandom {
  #state: bigint;

  constructor(seed: bigint) {
    this.#state = seed & MASK;
  }

  /** For one purpose of a job: see {@link deriveSeed}. */
  static for(seed: bigint, label: string): SeededRandom {
    return new SeededRandom(deriveSeed(seed, label));
  }

  /** The next 64-bit output. */
  u64(): bigint {
    this.#state = (this.#state + 0x9e3779b97f4a7c15n) & MASK;
    let z = this.#state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
    return z ^ (z >> 31n);
  }

  /** A float in [0, 1) from the top 53 bits (every value a multiple of 2^−53). */
  float(): number {
    return Number(this.u64() >> 11n) / 2 ** 53;
  }

  /** A float in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.float();
  }

  /** An integer in [min, max], both included (a bias below 2^−40 for the small ranges used here). */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.int(0, items.length - 1)] as T;
  }

  /** `length` bytes, eight from each output, least significant first. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 8) {
      let word = this.u64();
      for (let j = i; j < Math.min(i + 8, length); j++) {
        out[j] = Number(word & 0xffn);
        word >>= 8n;
      }
    }
    return out;
  }
}
