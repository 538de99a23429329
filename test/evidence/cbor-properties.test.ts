/**
 * Property-based tests of the CBOR codec: round trips, determinism, shortest
 * forms, and that the strict decoder accepts exactly one encoding per value.
 * Every property pins its own seed so a failure reproduces.
 */
import { expect } from "chai";
import fc from "fast-check";
import { concatBytes, toHex } from "../../src/bytes.ts";
import { decodeCanonical, decodeCanonicalMap } from "../../src/evidence/cbor/decode.ts";
import { encodeCanonical, encodeCanonicalMap } from "../../src/evidence/cbor/encode.ts";
import { MalformedCborError, NonCanonicalEncodingError } from "../../src/evidence/cbor/errors.ts";
import { type CborMap, type CborValue, Tagged } from "../../src/evidence/cbor/types.ts";

const SEED = 0x5eed;
const params = (numRuns: number, seed = SEED) => ({ seed, numRuns });

const TAGS = [0, 1, 24, 55799] as const;
const allowedTags: ReadonlySet<number> = new Set(TAGS);
const decode = (bytes: Uint8Array): CborValue => decodeCanonical(bytes, { allowedTags });

const isCodecError = (error: unknown): boolean =>
  error instanceof MalformedCborError || error instanceof NonCanonicalEncodingError;

/** Value of half-precision `bits`, written independently of src/evidence/cbor/float.ts. */
function halfValue(bits: number): number {
  const sign = bits >> 15 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 31) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

/** Every number binary16 holds (a Set treats 0 and -0, and all NaNs, as one). */
const HALF_VALUES: ReadonlySet<number> = new Set(Array.from({ length: 0x10000 }, (_, bits) => halfValue(bits)));

/** Whole numbers a CBOR integer can hold are integers in this data model, not floats. */
const isWholeInIntegerRange = (x: number): boolean =>
  Number.isInteger(x) && !Object.is(x, -0) && x >= -(2 ** 64) && x < 2 ** 64;

// ---------------------------------------------------------------------------
// Arbitraries for the data model
// ---------------------------------------------------------------------------

const safeInteger = fc.oneof(fc.integer({ min: -300, max: 300 }), fc.maxSafeInteger(), fc.nat(2 ** 32 + 10));

/** Bigints outside the safe range: the decoder gives numbers for the rest, so they would not round-trip. */
const unsafeBigInt = fc.oneof(
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }),
  fc.bigInt({ min: -(2n ** 64n), max: -(2n ** 53n) }),
  fc.constantFrom(2n ** 53n, 2n ** 64n - 1n, -(2n ** 53n), -(2n ** 53n) - 1n, -(2n ** 64n)),
);

/**
 * Singles near the half-precision grid: a random exponent around half's range, and a
 * mantissa that is a half mantissa, or one with a bit just past half's precision.
 */
const nearHalf = fc
  .record({
    negative: fc.boolean(),
    exponent: fc.integer({ min: -26, max: 16 }),
    mantissa: fc.oneof(
      fc.integer({ min: 0, max: 0x7fffff }),
      fc.integer({ min: 0, max: 0x3ff }).map((m) => m << 13),
      fc
        .tuple(fc.integer({ min: 0, max: 0x3ff }), fc.integer({ min: 0, max: 12 }))
        .map(([m, bit]) => (m << 13) | (1 << bit)),
    ),
  })
  .map(({ negative, exponent, mantissa }) => {
    const view = new DataView(new ArrayBuffer(4));
    view.setUint32(0, ((negative ? 1 : 0) << 31) | ((exponent + 127) << 23) | mantissa);
    return view.getFloat32(0);
  });

/** Doubles of every width, including -0, NaN and ±Infinity; whole ones past 2^53 become the bigint they stand for. */
const float = fc
  .oneof(
    fc.double(),
    fc.float(),
    fc.integer({ min: 0, max: 0xffff }).map(halfValue),
    nearHalf,
    fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 7.5, 2 ** 64, 1e300),
  )
  .map((x): number | bigint => (isWholeInIntegerRange(x) && !Number.isSafeInteger(x) ? BigInt(x) : x));

const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
);

const key = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.string({ unit: "binary", maxLength: 4 }),
  fc.constantFrom("", "a", "b", "aa", "9", "10", "__proto__", "constructor", "x".repeat(24), "\u{1f600}", "\ufffda"),
);

const leaf: fc.Arbitrary<CborValue> = fc.oneof(
  safeInteger,
  unsafeBigInt,
  float,
  text,
  fc.uint8Array({ maxLength: 30 }),
  fc.constantFrom(true, false, null),
);

const { value: cborValue } = fc.letrec<{
  value: CborValue;
  array: CborValue[];
  map: Record<string, CborValue>;
  tagged: Tagged;
}>((tie) => ({
  value: fc.oneof({ depthSize: "small", maxDepth: 6 }, leaf, tie("array"), tie("map"), tie("tagged")),
  array: fc.array(tie("value"), { maxLength: 5 }),
  map: fc.dictionary(key, tie("value"), { maxKeys: 6 }),
  tagged: fc.tuple(fc.constantFrom(...TAGS), tie("value")).map(([tag, inner]) => new Tagged(tag, inner)),
}));

const cborMap: fc.Arbitrary<CborMap> = fc.dictionary(key, cborValue, { maxKeys: 6 });

/** A copy of `value` whose maps were built inserting their keys in another order, chosen by `seed`. */
function reordered(value: CborValue, seed: number): CborValue {
  if (Array.isArray(value)) return value.map((item) => reordered(item, seed));
  if (value instanceof Tagged) return new Tagged(value.tag, reordered(value.value, seed));
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return value;
  const keys = Object.keys(value);
  // Fisher–Yates with a small LCG, so the order depends only on the seed.
  let state = seed >>> 0;
  for (let i = keys.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
  }
  const out: Record<string, CborValue> = seed % 2 === 0 ? {} : Object.create(null);
  for (const k of keys) {
    const item = reordered((value as CborMap)[k] as CborValue, seed);
    Object.defineProperty(out, k, { value: item, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Length of the head (initial byte and argument) CBOR needs for `argument`. */
function headLength(argument: bigint): number {
  if (argument < 24n) return 1;
  if (argument < 0x100n) return 2;
  if (argument < 0x10000n) return 3;
  if (argument < 0x100000000n) return 5;
  return 9;
}

// ---------------------------------------------------------------------------

describe("CBOR codec properties", () => {
  describe("decodeCanonical(encodeCanonical(x))", () => {
    it("deep-equals x for every value of the data model", () => {
      fc.assert(
        fc.property(cborValue, (value) => {
          expect(decode(encodeCanonical(value))).to.deep.equal(value);
        }),
        params(600),
      );
    });

    it("gives back a number for every bigint within the safe range, encoded exactly as that number", () => {
      fc.assert(
        fc.property(fc.maxSafeInteger(), (n) => {
          const bytes = encodeCanonical(BigInt(n));
          expect(toHex(bytes)).to.equal(toHex(encodeCanonical(n)));
          expect(decode(bytes)).to.equal(n);
        }),
        params(300),
      );
    });
  });

  describe("encodeCanonical", () => {
    it("gives the same bytes whatever order the maps' keys were inserted in", () => {
      fc.assert(
        fc.property(cborValue, fc.nat(), (value, seed) => {
          expect(toHex(encodeCanonical(reordered(value, seed)))).to.equal(toHex(encodeCanonical(value)));
        }),
        params(400),
      );
    });

    it("returns bytes that later calls do not overwrite", () => {
      fc.assert(
        fc.property(cborValue, cborValue, (first, second) => {
          const bytes = encodeCanonical(first);
          const snapshot = toHex(bytes);
          encodeCanonical(second);
          expect(toHex(bytes)).to.equal(snapshot);
          expect(toHex(encodeCanonical(first))).to.equal(snapshot);
        }),
        params(200),
      );
    });

    it("produces only encodings the strict decoder accepts and re-encodes to the same bytes", () => {
      fc.assert(
        fc.property(cborValue, (value) => {
          const bytes = encodeCanonical(value);
          expect(toHex(encodeCanonical(decode(bytes)))).to.equal(toHex(bytes));
        }),
        params(500),
      );
    });

    it("writes the prefix, then exactly the bytes it writes without one", () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 40 }), cborValue, (prefix, value) => {
          expect(toHex(encodeCanonical(value, prefix))).to.equal(toHex(concatBytes(prefix, encodeCanonical(value))));
        }),
        params(200),
      );
    });

    it("writes every integer with the shortest head for its major type", () => {
      const integer = fc.oneof(
        fc.maxSafeInteger().map(BigInt),
        fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }),
        fc.integer({ min: -70000, max: 70000 }).map(BigInt),
      );
      fc.assert(
        fc.property(integer, (n) => {
          const value = n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
          const bytes = encodeCanonical(value);
          const argument = n >= 0n ? n : -1n - n;
          expect(bytes.length).to.equal(headLength(argument));
          expect((bytes[0] as number) >> 5).to.equal(n >= 0n ? 0 : 1);
          expect(decode(bytes)).to.equal(value);
        }),
        params(500),
      );
    });

    it("writes each non-whole float in the shortest of half, single and double precision that is exact", () => {
      const double = fc
        .oneof(fc.double(), fc.float(), fc.integer({ min: 0, max: 0xffff }).map(halfValue), nearHalf)
        .filter((x) => !isWholeInIntegerRange(x));
      fc.assert(
        fc.property(double, (x) => {
          const bytes = encodeCanonical(x);
          const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          if (Number.isNaN(x)) {
            expect(toHex(bytes)).to.equal("f97e00");
          } else if (HALF_VALUES.has(x)) {
            expect(bytes.length).to.equal(3);
            expect(bytes[0]).to.equal(0xf9);
            expect(Object.is(halfValue(view.getUint16(1)), x)).to.equal(true);
          } else if (Math.fround(x) === x) {
            expect(bytes.length).to.equal(5);
            expect(bytes[0]).to.equal(0xfa);
            expect(Object.is(view.getFloat32(1), x)).to.equal(true);
          } else {
            expect(bytes.length).to.equal(9);
            expect(bytes[0]).to.equal(0xfb);
            expect(Object.is(view.getFloat64(1), x)).to.equal(true);
          }
          expect(Object.is(decode(bytes), x)).to.equal(true);
        }),
        params(1000),
      );
    });
  });

  describe("decodeCanonical", () => {
    it("never accepts a variant of a valid encoding with one byte changed, unless it is canonical itself", () => {
      const mutation = cborValue
        .map((value) => encodeCanonical(value))
        .chain((bytes) =>
          fc.record({
            bytes: fc.constant(bytes),
            index: fc.nat(bytes.length - 1),
            byte: fc.integer({ min: 0, max: 255 }),
          }),
        )
        .filter(({ bytes, index, byte }) => bytes[index] !== byte);
      fc.assert(
        fc.property(mutation, ({ bytes, index, byte }) => {
          const mutated = bytes.slice();
          mutated[index] = byte;
          let decoded: CborValue;
          try {
            decoded = decode(mutated);
          } catch (error) {
            expect(isCodecError(error), String(error)).to.equal(true);
            return;
          }
          expect(toHex(encodeCanonical(decoded))).to.equal(toHex(mutated));
        }),
        params(1500),
      );
    });

    it("throws MalformedCborError for every proper prefix of a valid encoding", () => {
      const cut = cborValue
        .map((value) => encodeCanonical(value))
        .chain((bytes) => fc.record({ bytes: fc.constant(bytes), length: fc.nat(bytes.length - 1) }));
      fc.assert(
        fc.property(cut, ({ bytes, length }) => {
          expect(() => decode(bytes.subarray(0, length))).to.throw(MalformedCborError);
        }),
        params(400),
      );
    });

    it("throws MalformedCborError when bytes follow a valid encoding", () => {
      fc.assert(
        fc.property(cborValue, fc.uint8Array({ minLength: 1, maxLength: 8 }), (value, extra) => {
          expect(() => decode(concatBytes(encodeCanonical(value), extra))).to.throw(MalformedCborError, /trailing/);
        }),
        params(300),
      );
    });

    it("throws nothing but MalformedCborError or NonCanonicalEncodingError on random bytes, and accepts only canonical ones", () => {
      // Mostly-random bytes rarely get past the first header, so also splice together plausible heads.
      const head = fc.oneof(
        fc.integer({ min: 0, max: 255 }).map((b) => Uint8Array.of(b)),
        fc.constantFrom(
          ...[0x18, 0x19, 0x1a, 0x1b, 0x5f, 0x7f, 0x9f, 0xbf, 0xf9, 0xfa, 0xfb].map((b) => Uint8Array.of(b)),
        ),
        fc.integer({ min: 0, max: 7 }).map((major) => Uint8Array.of((major << 5) | 1)),
        fc.uint8Array({ minLength: 1, maxLength: 9 }),
      );
      const input = fc.oneof(
        fc.uint8Array({ maxLength: 48 }),
        fc.array(head, { maxLength: 12 }).map((parts) => concatBytes(...parts)),
      );
      fc.assert(
        fc.property(input, fc.boolean(), (bytes, withTags) => {
          let decoded: CborValue;
          try {
            decoded = withTags ? decode(bytes) : decodeCanonical(bytes);
          } catch (error) {
            expect(isCodecError(error), String(error)).to.equal(true);
            return;
          }
          expect(toHex(encodeCanonical(decoded))).to.equal(toHex(bytes));
        }),
        params(3000),
      );
    });

    it("reads two ASCII keys whose FNV-1a hashes collide as different keys", () => {
      // "k4uzx" and "kf2ad" share the 32-bit FNV-1a hash the decoder interns short ASCII text by.
      const bytes = encodeCanonical({ k4uzx: 1, kf2ad: 2 });
      expect(decode(bytes)).to.deep.equal({ k4uzx: 1, kf2ad: 2 });
      expect(decode(encodeCanonical(["kf2ad", "k4uzx", "kf2ad"]))).to.deep.equal(["kf2ad", "k4uzx", "kf2ad"]);
    });
  });

  describe("encodeCanonicalMap and decodeCanonicalMap", () => {
    it("agree on the byte range of each top-level entry, and the ranges tile the map", () => {
      fc.assert(
        fc.property(cborMap, fc.uint8Array({ maxLength: 8 }), (map, prefix) => {
          const { bytes, spans } = encodeCanonicalMap(map, prefix);
          const cbor = bytes.subarray(prefix.length);
          expect(toHex(cbor)).to.equal(toHex(encodeCanonical(map)));
          const decoded = decodeCanonicalMap(cbor, { allowedTags });
          expect(decoded.spans).to.deep.equal(spans);
          expect(decoded.map).to.deep.equal(map);
          const head = headLength(BigInt(spans.length));
          let at = head;
          for (const span of spans) {
            expect(span.start).to.equal(at);
            // Each entry starts with its key's encoding.
            const keyBytes = encodeCanonical(span.key);
            expect(toHex(cbor.subarray(span.start, span.start + keyBytes.length))).to.equal(toHex(keyBytes));
            at = span.end;
          }
          expect(at).to.equal(cbor.length);
        }),
        params(300),
      );
    });
  });
});
