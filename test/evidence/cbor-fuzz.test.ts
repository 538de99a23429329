/**
 * Fuzzing the strict CBOR decoder: mutated valid encodings and random bytes
 * must get a MalformedCborError or NonCanonicalEncodingError, or decode to a
 * value whose canonical encoding is exactly the input. Never another
 * exception: not a TypeError, not a RangeError, not a stack overflow.
 */
import { expect } from "chai";
import fc from "fast-check";
import { toHex } from "../../src/bytes.ts";
import { decodeCanonical, decodeCanonicalMap } from "../../src/evidence/cbor/decode.ts";
import { encodeCanonical, encodeCanonicalMap } from "../../src/evidence/cbor/encode.ts";
import { MalformedCborError, NonCanonicalEncodingError } from "../../src/evidence/cbor/errors.ts";
import { type CborMap, type CborValue, Tagged } from "../../src/evidence/cbor/types.ts";
import { cborHeadMutated, decodeOrTypedError, describeError, fuzzInput, repeat } from "../helpers/mutations.ts";

const SEED = 0xf022cb0;
const params = (numRuns: number) => ({ seed: SEED, numRuns });

/** The packet's tags, the CAR header's tag 42, and one no format uses. */
const allowedTags: ReadonlySet<number> = new Set([0, 1, 37, 42]);

const isCodecError = (error: unknown): boolean =>
  error instanceof MalformedCborError || error instanceof NonCanonicalEncodingError;

const integer = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.maxSafeInteger(),
  fc.constantFrom(23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, -24, -25, -257),
  fc.constantFrom(2n ** 53n, 2n ** 64n - 1n, -(2n ** 64n), -(2n ** 53n) - 1n),
);

/** Non-whole floats of all three widths, and the specials. */
const float = fc.oneof(
  fc.double().filter((x) => !Number.isInteger(x)),
  fc.float().filter((x) => !Number.isInteger(x)),
  fc.constantFrom(0.5, 7.5, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.1, 2 ** -24),
);

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 10 }),
  fc.constantFrom("", "__proto__", "constructor", "toString", "\u{1f600}", "\ufeffbom"),
);

const leaf: fc.Arbitrary<CborValue> = fc.oneof(
  integer,
  float,
  text,
  fc.uint8Array({ maxLength: 40 }),
  fc.constantFrom(true, false, null),
);

const { value: cborValue } = fc.letrec<{ value: CborValue; array: CborValue[]; map: CborMap; tagged: Tagged }>(
  (tie) => ({
    value: fc.oneof({ depthSize: "small", maxDepth: 4 }, leaf, tie("array"), tie("map"), tie("tagged")),
    array: fc.array(tie("value"), { maxLength: 6 }),
    map: fc.dictionary(text, tie("value"), { maxKeys: 6 }) as fc.Arbitrary<CborMap>,
    tagged: fc.tuple(fc.constantFrom(...allowedTags), tie("value")).map(([tag, inner]) => new Tagged(tag, inner)),
  }),
);

/** Heads worth planting: huge lengths for every major type with one, indefinite starts, reserved and odd simple values. */
const TOKENS: readonly Uint8Array[] = [
  ...[2, 3, 4, 5, 6].flatMap((major) => [
    Uint8Array.of((major << 5) | 27, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
    Uint8Array.of((major << 5) | 27, 0, 0x20, 0, 0, 0, 0, 0, 0),
    Uint8Array.of((major << 5) | 26, 0xff, 0xff, 0xff, 0xff),
    Uint8Array.of((major << 5) | 25, 0xff, 0xff),
    Uint8Array.of((major << 5) | 31),
  ]),
  Uint8Array.of(0xff),
  Uint8Array.of(0x1c),
  Uint8Array.of(0xf7),
  Uint8Array.of(0xf8, 0x00),
  Uint8Array.of(0xf9, 0x7e, 0x01),
  Uint8Array.of(0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1),
  Uint8Array.of(0xd8, 0x25, 0x50),
  Uint8Array.of(0xc1, 0xfb),
  repeat([0x81], 70),
  Uint8Array.of(0x62, 0xed, 0xa0), // the UTF-8 shape of a lone surrogate, which is not UTF-8
];

/**
 * Inputs grown from `count` valid encodings drawn once with the pinned seed: generating nested
 * values costs more than decoding them, so the runs are spent on mutations instead.
 */
function inputsFrom(valid: fc.Arbitrary<Uint8Array>, count: number): fc.Arbitrary<Uint8Array> {
  const pool = fc.constantFrom(...fc.sample(valid, { seed: SEED, numRuns: count }));
  return fc.oneof({ arbitrary: fuzzInput(pool, TOKENS), weight: 3 }, { arbitrary: cborHeadMutated(pool), weight: 1 });
}

/** The decoded value's canonical encoding, which must be the input itself. */
function expectExactReencoding(decoded: CborValue, bytes: Uint8Array): void {
  expect(toHex(encodeCanonical(decoded))).to.equal(toHex(bytes));
}

describe("CBOR decoder fuzzing", () => {
  describe("decodeCanonical", () => {
    it("answers mutated and random bytes with a codec error or a value that re-encodes to exactly those bytes", () => {
      const input = inputsFrom(
        cborValue.map((value) => encodeCanonical(value)),
        400,
      );
      fc.assert(
        fc.property(input, fc.boolean(), (bytes, withTags) => {
          const decoded = decodeOrTypedError(
            (b) => (withTags ? decodeCanonical(b, { allowedTags }) : decodeCanonical(b)),
            bytes,
            isCodecError,
          );
          if (decoded !== undefined) expectExactReencoding(decoded, bytes);
        }),
        params(3000),
      );
    });

    it("rejects 100,000 levels of nested arrays, maps or tags with NonCanonicalEncodingError, not a stack overflow", () => {
      const deep: [string, Uint8Array][] = [
        ["arrays of one (0x81)", repeat([0x81], 100_000)],
        ["arrays of one, closed by a 0", Uint8Array.from([...repeat([0x81], 100_000), 0x00])],
        ["indefinite arrays (0x9f)", repeat([0x9f], 100_000)],
        ['maps {"a": …}', repeat([0xa1, 0x61, 0x61], 100_000)],
        ["tag 1 over tag 1 …", repeat([0xc1], 100_000)],
        ["tag 37 over tag 37 …", repeat([0xd8, 0x25], 100_000)],
        ["arrays of 255 items", repeat([0x98, 0xff], 100_000)],
      ];
      for (const [name, bytes] of deep) {
        let error: unknown;
        try {
          decodeCanonical(bytes, { allowedTags });
        } catch (caught) {
          error = caught;
        }
        expect(isCodecError(error), `${name}: ${describeError(error)}`).to.equal(true);
      }
      expect(() => decodeCanonical(repeat([0x81], 100_000), { allowedTags })).to.throw(
        NonCanonicalEncodingError,
        /nesting is deeper than 64 levels/,
      );
    });

    it("rejects lengths far past the end of the input as malformed, without allocating them", () => {
      for (const hex of [
        "5bffffffffffffffff", // byte string of 2^64 − 1 bytes
        "7b0020000000000000", // text string of 2^53 bytes
        "9bffffffffffffffff00", // array of 2^64 − 1 items
        "bb7fffffffffffffff", // map of 2^63 − 1 entries
        "9affffffff00", // array of 2^32 − 1 items, one given
        "5affffffff", // byte string of 2^32 − 1 bytes
        "79ffff61", // text string of 65,535 bytes, one given
      ]) {
        expect(() => decodeCanonical(Buffer.from(hex, "hex")), hex).to.throw(MalformedCborError, /runs past the end/);
      }
    });
  });

  describe("decodeCanonicalMap", () => {
    it("answers mutated maps with a codec error, or a map and entry spans that are exactly the encoder's", () => {
      const maps = inputsFrom(
        fc.dictionary(text, cborValue, { minKeys: 1, maxKeys: 8 }).map((map) => encodeCanonical(map as CborMap)),
        200,
      );
      fc.assert(
        fc.property(maps, (bytes) => {
          const decoded = decodeOrTypedError((b) => decodeCanonicalMap(b, { allowedTags }), bytes, isCodecError);
          if (decoded === undefined) return;
          const encoded = encodeCanonicalMap(decoded.map);
          expect(toHex(encoded.bytes)).to.equal(toHex(bytes));
          expect(decoded.spans).to.deep.equal(encoded.spans);
        }),
        params(2000),
      );
    });
  });
});
