import { expect } from "chai";
import fc from "fast-check";
import { InvalidJobOptionError } from "../../src/jobs/errors.ts";
import { deriveSeed, SeededRandom, seedOf } from "../../src/jobs/random.ts";

const SETTINGS = { seed: 20260112, numRuns: 100 };

describe("jobs: seeded random", () => {
  it("is SplitMix64: seed 0 gives the reference implementation's first outputs", () => {
    const random = new SeededRandom(0n);
    expect([random.u64(), random.u64(), random.u64()].map((n) => n.toString(16).padStart(16, "0"))).to.deep.equal([
      "e220a8397b1dcdaf",
      "6e789e6aa1b965f4",
      "06c45d188009454f",
    ]);
  });

  it("repeats itself for a seed and keeps int(), float() and bytes() in range", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: -50, max: 50 }), (seed, min) => {
        const [a, b] = [new SeededRandom(seed), new SeededRandom(seed)];
        expect(a.bytes(13)).to.deep.equal(b.bytes(13));
        const n = a.int(min, min + 5);
        expect(n).to.be.within(min, min + 5);
        expect(Number.isInteger(n)).to.equal(true);
        const f = a.float();
        expect(f >= 0 && f < 1).to.equal(true);
      }),
      SETTINGS,
    );
  });

  it("derives different seeds for different purposes of one seed", () => {
    expect(deriveSeed(42n, "job-id")).to.not.equal(deriveSeed(42n, "output"));
    expect(deriveSeed(42n, "job-id")).to.not.equal(deriveSeed(43n, "job-id"));
    expect(deriveSeed(42n, "job-id")).to.equal(deriveSeed(42n, "job-id"));
  });

  describe("seedOf", () => {
    it("takes numbers up to 2^53 − 1 and bigints up to 2^64 − 1", () => {
      expect(seedOf(7)).to.equal(7n);
      expect(seedOf(2n ** 64n - 1n)).to.equal(2n ** 64n - 1n);
    });

    for (const [value, problem] of [
      [-1, /between 0 and 2\^64 − 1/],
      [1.5, /unsigned integer/],
      [2 ** 53, /as a bigint/],
      [-1n, /between 0 and 2\^64 − 1/],
      [2n ** 64n, /between 0 and 2\^64 − 1/],
      ["42", /got string/],
    ] as const) {
      it(`refuses ${typeof value === "bigint" ? `${value}n` : JSON.stringify(value)} naming the seed`, () => {
        expect(() => seedOf(value))
          .to.throw(InvalidJobOptionError, problem)
          .with.property("field", "seed");
      });
    }
  });
});
