/**
 * Known-answer tests: RFC 8949 Appendix A examples that the project's CBOR data
 * model can hold, in both directions (value → bytes and bytes → value), plus
 * the §4.2.1 map key ordering and the packet format's own `{cfg: 7.5}` case.
 */
import { expect } from "chai";
import { fromHex, toHex } from "../../src/bytes.ts";
import { decodeCanonical, decodeCanonicalMap } from "../../src/evidence/cbor/decode.ts";
import { encodeCanonical, encodeCanonicalMap } from "../../src/evidence/cbor/encode.ts";
import { NonCanonicalEncodingError, UnencodableValueError } from "../../src/evidence/cbor/errors.ts";
import { type CborValue, Tagged } from "../../src/evidence/cbor/types.ts";

/** Bytes from hex written with optional spaces, as the RFC prints them. */
function hex(text: string): Uint8Array {
  const bytes = fromHex(text.replaceAll(" ", ""));
  if (bytes === undefined) throw new Error(`bad hex in test: ${text}`);
  return bytes;
}

interface Vector {
  /** How the RFC writes the value (diagnostic notation). */
  readonly diagnostic: string;
  readonly value: CborValue;
  readonly hex: string;
  readonly allowedTags?: readonly number[];
}

function describeVectors(title: string, vectors: readonly Vector[]): void {
  describe(title, () => {
    for (const vector of vectors) {
      const options = vector.allowedTags === undefined ? {} : { allowedTags: new Set(vector.allowedTags) };
      it(`encodes ${vector.diagnostic} as ${vector.hex}`, () => {
        expect(toHex(encodeCanonical(vector.value))).to.equal(vector.hex.replaceAll(" ", ""));
      });
      it(`decodes ${vector.hex} to ${vector.diagnostic}`, () => {
        // chai's deep equality tells 0 from -0, number from bigint, and NaN equals NaN.
        expect(decodeCanonical(hex(vector.hex), options)).to.deep.equal(vector.value);
      });
    }
  });
}

/** An RFC example whose bytes this codec refuses, and what it writes for the same JS value instead. */
interface Replaced {
  readonly diagnostic: string;
  readonly rfcHex: string;
  readonly value: CborValue;
  readonly hex: string;
  readonly why: string;
}

function describeReplaced(title: string, cases: readonly Replaced[]): void {
  describe(title, () => {
    for (const c of cases) {
      it(`rejects the RFC's ${c.rfcHex} for ${c.diagnostic} and writes ${c.hex} instead (${c.why})`, () => {
        expect(() => decodeCanonical(hex(c.rfcHex))).to.throw(NonCanonicalEncodingError);
        expect(toHex(encodeCanonical(c.value))).to.equal(c.hex);
        expect(decodeCanonical(hex(c.hex))).to.deep.equal(c.value);
      });
    }
  });
}

describe("RFC 8949 Appendix A vectors", () => {
  describeVectors("unsigned integers", [
    { diagnostic: "0", value: 0, hex: "00" },
    { diagnostic: "1", value: 1, hex: "01" },
    { diagnostic: "10", value: 10, hex: "0a" },
    { diagnostic: "23", value: 23, hex: "17" },
    { diagnostic: "24", value: 24, hex: "18 18" },
    { diagnostic: "25", value: 25, hex: "18 19" },
    { diagnostic: "100", value: 100, hex: "18 64" },
    { diagnostic: "1000", value: 1000, hex: "19 03e8" },
    { diagnostic: "1000000", value: 1000000, hex: "1a 000f4240" },
    { diagnostic: "1000000000000", value: 1000000000000, hex: "1b 000000e8d4a51000" },
    { diagnostic: "18446744073709551615 (bigint)", value: 18446744073709551615n, hex: "1b ffffffffffffffff" },
  ]);

  describeVectors("negative integers", [
    { diagnostic: "-1", value: -1, hex: "20" },
    { diagnostic: "-10", value: -10, hex: "29" },
    { diagnostic: "-100", value: -100, hex: "38 63" },
    { diagnostic: "-1000", value: -1000, hex: "39 03e7" },
    { diagnostic: "-18446744073709551616 (bigint)", value: -18446744073709551616n, hex: "3b ffffffffffffffff" },
  ]);

  describe("bignums one past the integer range", () => {
    // The RFC writes 2^64 and -2^64 - 1 as tag 2/3 bignums. The data model has no
    // bignums: the encoder refuses such bigints and the decoder refuses tags 2 and 3
    // unless a caller allows them, in which case they stay opaque Tagged byte strings.
    it("refuses to encode 18446744073709551616n (2^64)", () => {
      expect(() => encodeCanonical(18446744073709551616n)).to.throw(UnencodableValueError);
    });
    it("refuses to encode -18446744073709551617n (-2^64 - 1)", () => {
      expect(() => encodeCanonical(-18446744073709551617n)).to.throw(UnencodableValueError);
    });
    it("rejects c249010000000000000000 while tag 2 is not allowed", () => {
      expect(() => decodeCanonical(hex("c2 49 010000000000000000"))).to.throw(NonCanonicalEncodingError, /tag 2/);
    });
    it("decodes c349010000000000000000 to a Tagged byte string when tag 3 is allowed", () => {
      expect(decodeCanonical(hex("c3 49 010000000000000000"), { allowedTags: new Set([3]) })).to.deep.equal(
        new Tagged(3, hex("010000000000000000")),
      );
    });
  });

  describeVectors("floats under preferred serialization", [
    { diagnostic: "-0.0", value: -0, hex: "f9 8000" },
    { diagnostic: "1.1", value: 1.1, hex: "fb 3ff199999999999a" },
    { diagnostic: "1.5", value: 1.5, hex: "f9 3e00" },
    // 3.4028234663852886e+38 and 1.0e+300 are whole, but far beyond 2^64, so no CBOR
    // integer holds them: they stay floats, in the shortest width that is exact.
    { diagnostic: "3.4028234663852886e+38", value: 3.4028234663852886e38, hex: "fa 7f7fffff" },
    { diagnostic: "1.0e+300", value: 1.0e300, hex: "fb 7e37e43c8800759c" },
    // 5.960464477539063e-8 is 2^-24, the smallest half-precision subnormal.
    { diagnostic: "5.960464477539063e-8", value: 2 ** -24, hex: "f9 0001" },
    { diagnostic: "0.00006103515625", value: 0.00006103515625, hex: "f9 0400" },
    { diagnostic: "-4.1", value: -4.1, hex: "fb c010666666666666" },
    { diagnostic: "Infinity", value: Number.POSITIVE_INFINITY, hex: "f9 7c00" },
    { diagnostic: "NaN", value: Number.NaN, hex: "f9 7e00" },
    { diagnostic: "-Infinity", value: Number.NEGATIVE_INFINITY, hex: "f9 fc00" },
  ]);

  // In JS, 0.0 === 0, 1.0 === 1 and so on: the codec cannot tell such a float from an
  // integer, so it writes every whole number within the integer range as a CBOR
  // integer, and its strict decoder refuses a float that holds a whole number.
  describeReplaced("whole-number floats, which this codec writes as integers", [
    { diagnostic: "0.0", rfcHex: "f90000", value: 0, hex: "00", why: "JS 0.0 is the integer 0" },
    { diagnostic: "1.0", rfcHex: "f93c00", value: 1, hex: "01", why: "JS 1.0 is the integer 1" },
    { diagnostic: "65504.0", rfcHex: "f97bff", value: 65504, hex: "19ffe0", why: "whole number" },
    { diagnostic: "100000.0", rfcHex: "fa47c35000", value: 100000, hex: "1a000186a0", why: "whole number" },
    { diagnostic: "-4.0", rfcHex: "f9c400", value: -4, hex: "23", why: "whole number" },
  ]);

  // The RFC also lists the non-finite values in single and double precision; preferred
  // serialization allows only the half-precision forms, so the strict decoder refuses these.
  describeReplaced("non-finite floats wider than half precision", [
    { diagnostic: "Infinity", rfcHex: "fa7f800000", value: Infinity, hex: "f97c00", why: "half suffices" },
    { diagnostic: "NaN", rfcHex: "fa7fc00000", value: Number.NaN, hex: "f97e00", why: "half suffices" },
    { diagnostic: "-Infinity", rfcHex: "faff800000", value: -Infinity, hex: "f9fc00", why: "half suffices" },
    { diagnostic: "Infinity", rfcHex: "fb7ff0000000000000", value: Infinity, hex: "f97c00", why: "half suffices" },
    { diagnostic: "NaN", rfcHex: "fb7ff8000000000000", value: Number.NaN, hex: "f97e00", why: "half suffices" },
    { diagnostic: "-Infinity", rfcHex: "fbfff0000000000000", value: -Infinity, hex: "f9fc00", why: "half suffices" },
  ]);

  describeVectors("simple values", [
    { diagnostic: "false", value: false, hex: "f4" },
    { diagnostic: "true", value: true, hex: "f5" },
    { diagnostic: "null", value: null, hex: "f6" },
  ]);

  describe("simple values outside the data model", () => {
    // undefined, simple(16) and simple(255) have no JS counterpart in the data model.
    for (const rfcHex of ["f7", "f0", "f8ff"]) {
      it(`rejects ${rfcHex} with NonCanonicalEncodingError`, () => {
        expect(() => decodeCanonical(hex(rfcHex))).to.throw(NonCanonicalEncodingError);
      });
    }
  });

  describeVectors("tags, when the caller allows them", [
    {
      diagnostic: '0("2013-03-21T20:04:00Z")',
      value: new Tagged(0, "2013-03-21T20:04:00Z"),
      hex: "c0 74 323031332d30332d32315432303a30343a30305a",
      allowedTags: [0],
    },
    { diagnostic: "1(1363896240)", value: new Tagged(1, 1363896240), hex: "c1 1a 514b67b0", allowedTags: [1] },
    {
      diagnostic: "1(1363896240.5)",
      value: new Tagged(1, 1363896240.5),
      hex: "c1 fb 41d452d9ec200000",
      allowedTags: [1],
    },
    { diagnostic: "23(h'01020304')", value: new Tagged(23, hex("01020304")), hex: "d7 44 01020304", allowedTags: [23] },
    {
      diagnostic: "24(h'6449455446')",
      value: new Tagged(24, hex("6449455446")),
      hex: "d8 18 45 6449455446",
      allowedTags: [24],
    },
    {
      diagnostic: '32("http://www.example.com")',
      value: new Tagged(32, "http://www.example.com"),
      hex: "d8 20 76 687474703a2f2f7777772e6578616d706c652e636f6d",
      allowedTags: [32],
    },
  ]);

  describeVectors("byte strings", [
    { diagnostic: "h''", value: new Uint8Array(0), hex: "40" },
    { diagnostic: "h'01020304'", value: Uint8Array.of(1, 2, 3, 4), hex: "44 01020304" },
  ]);

  describeVectors("text strings", [
    { diagnostic: '""', value: "", hex: "60" },
    { diagnostic: '"a"', value: "a", hex: "61 61" },
    { diagnostic: '"IETF"', value: "IETF", hex: "64 49455446" },
    { diagnostic: '"\\"\\\\"', value: '"\\', hex: "62 225c" },
    { diagnostic: '"\\u00fc"', value: "\u00fc", hex: "62 c3bc" },
    { diagnostic: '"\\u6c34"', value: "\u6c34", hex: "63 e6b0b4" },
    { diagnostic: '"\\ud800\\udd51"', value: "\ud800\udd51", hex: "64 f0908591" },
  ]);

  describeVectors("arrays", [
    { diagnostic: "[]", value: [], hex: "80" },
    { diagnostic: "[1, 2, 3]", value: [1, 2, 3], hex: "83 010203" },
    { diagnostic: "[1, [2, 3], [4, 5]]", value: [1, [2, 3], [4, 5]], hex: "83 01 82 0203 82 0405" },
    {
      diagnostic: "[1, 2, ..., 25]",
      value: Array.from({ length: 25 }, (_, i) => i + 1),
      hex: "98 19 0102030405060708090a0b0c0d0e0f101112131415161718181819",
    },
  ]);

  describeVectors("maps with text keys", [
    { diagnostic: "{}", value: {}, hex: "a0" },
    { diagnostic: '{"a": 1, "b": [2, 3]}', value: { a: 1, b: [2, 3] }, hex: "a2 6161 01 6162 820203" },
    { diagnostic: '["a", {"b": "c"}]', value: ["a", { b: "c" }], hex: "82 6161 a1 6162 6163" },
    {
      diagnostic: '{"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"}',
      value: { a: "A", b: "B", c: "C", d: "D", e: "E" },
      hex: "a5 6161 6141 6162 6142 6163 6143 6164 6144 6165 6145",
    },
  ]);

  describe("maps with integer keys", () => {
    // {1: 2, 3: 4} is well-formed CBOR, but the data model's maps only have text keys.
    it("rejects a201020304 with NonCanonicalEncodingError", () => {
      expect(() => decodeCanonical(hex("a2 01 02 03 04"))).to.throw(NonCanonicalEncodingError, /text/);
    });
  });

  // Each indefinite-length example of the RFC is refused; the same value encodes definite-length.
  describeReplaced("indefinite-length items, which this codec writes with definite lengths", [
    {
      diagnostic: "(_ h'0102', h'030405')",
      rfcHex: "5f42010243030405ff",
      value: hex("0102030405"),
      hex: "450102030405",
      why: "one definite byte string",
    },
    {
      diagnostic: '(_ "strea", "ming")',
      rfcHex: "7f657374726561646d696e67ff",
      value: "streaming",
      hex: "6973747265616d696e67",
      why: "one definite text string",
    },
    { diagnostic: "[_ ]", rfcHex: "9fff", value: [], hex: "80", why: "definite array" },
    {
      diagnostic: "[_ 1, [2, 3], [_ 4, 5]]",
      rfcHex: "9f018202039f0405ffff",
      value: [1, [2, 3], [4, 5]],
      hex: "8301820203820405",
      why: "definite arrays",
    },
    {
      diagnostic: "[_ 1, [2, 3], [4, 5]]",
      rfcHex: "9f01820203820405ff",
      value: [1, [2, 3], [4, 5]],
      hex: "8301820203820405",
      why: "definite arrays",
    },
    {
      diagnostic: "[1, [2, 3], [_ 4, 5]]",
      rfcHex: "83018202039f0405ff",
      value: [1, [2, 3], [4, 5]],
      hex: "8301820203820405",
      why: "definite arrays",
    },
    {
      diagnostic: "[1, [_ 2, 3], [4, 5]]",
      rfcHex: "83019f0203ff820405",
      value: [1, [2, 3], [4, 5]],
      hex: "8301820203820405",
      why: "definite arrays",
    },
    {
      diagnostic: '{_ "a": 1, "b": [_ 2, 3]}',
      rfcHex: "bf61610161629f0203ffff",
      value: { a: 1, b: [2, 3] },
      hex: "a26161016162820203",
      why: "definite map",
    },
    {
      diagnostic: '["a", {_ "b": "c"}]',
      rfcHex: "826161bf61626163ff",
      value: ["a", { b: "c" }],
      hex: "826161a161626163",
      why: "definite map",
    },
    {
      diagnostic: '{_ "Fun": true, "Amt": -2}',
      rfcHex: "bf6346756ef563416d7421ff",
      value: { Fun: true, Amt: -2 },
      hex: "a263416d74216346756ef5",
      why: 'definite map, "Amt" sorted before "Fun"',
    },
  ]);
});

describe("RFC 8949 §4.2.1 map key ordering", () => {
  describe("when keys have different encoded lengths", () => {
    it('puts the shorter key first: "b" before "aa"', () => {
      expect(toHex(encodeCanonical({ aa: 1, b: 2 }))).to.equal("a2 6162 02 626161 01".replaceAll(" ", ""));
    });

    it('decodes a2616202626161 01 to {b: 2, aa: 1} and rejects "aa" before "b"', () => {
      expect(decodeCanonical(hex("a2 6162 02 626161 01"))).to.deep.equal({ aa: 1, b: 2 });
      expect(() => decodeCanonical(hex("a2 626161 01 6162 02"))).to.throw(NonCanonicalEncodingError);
    });

    it("puts every 23-byte key before any 24-byte key, whose header is two bytes long", () => {
      const long = "a".repeat(24);
      const short = "z".repeat(23);
      expect(toHex(encodeCanonical({ [long]: 1, [short]: 2 }))).to.equal(
        `a2 77${"7a".repeat(23)} 02 7818${"61".repeat(24)} 01`.replaceAll(" ", ""),
      );
    });
  });

  describe("when keys have the same encoded length", () => {
    it("orders them by their bytes", () => {
      expect(toHex(encodeCanonical({ c: 3, a: 1, b: 2 }))).to.equal("a3 6161 01 6162 02 6163 03".replaceAll(" ", ""));
    });

    it('orders by UTF-8 bytes, not UTF-16 code units: "\\ufffda" before "\\u{1f600}"', () => {
      // Both are four UTF-8 bytes; U+FFFD starts with ef, U+1F600 with f0, but in
      // UTF-16 the surrogate d83d sorts before fffd.
      expect(toHex(encodeCanonical({ "\u{1f600}": 1, "\ufffda": 2 }))).to.equal(
        "a2 64efbfbd61 02 64f09f9880 01".replaceAll(" ", ""),
      );
    });
  });

  describe("when keys look like array indices", () => {
    it("sorts them as text, whatever order JS enumerates them in", () => {
      // Object.keys gives ["9", "10", "a"]; the encodings order "9" < "a" < "10".
      expect(toHex(encodeCanonical({ a: 0, "10": 1, "9": 2 }))).to.equal(
        "a3 6139 02 6161 00 623130 01".replaceAll(" ", ""),
      );
    });
  });
});

describe("encodeCanonical", () => {
  describe("for the packet parameter {cfg: 7.5}", () => {
    it("writes 7.5 as the half float f9 47 80", () => {
      expect(toHex(encodeCanonical({ cfg: 7.5 }))).to.equal("a1 63 636667 f9 4780".replaceAll(" ", ""));
    });

    it("decodes a163636667f94780 back to {cfg: 7.5}", () => {
      expect(decodeCanonical(hex("a1 63 636667 f9 4780"))).to.deep.equal({ cfg: 7.5 });
    });
  });

  describe("when given a prefix", () => {
    it("writes the prefix bytes before the CBOR", () => {
      expect(toHex(encodeCanonical({ a: 1 }, hex("cafe")))).to.equal("cafea1616101");
    });
  });

  describe("at the edges of the safe integer range", () => {
    it("writes Number.MAX_SAFE_INTEGER as 1b001fffffffffffff and reads back a number", () => {
      expect(toHex(encodeCanonical(Number.MAX_SAFE_INTEGER))).to.equal("1b001fffffffffffff");
      expect(decodeCanonical(hex("1b001fffffffffffff"))).to.equal(Number.MAX_SAFE_INTEGER);
    });

    it("reads 2^53 (1b0020000000000000) back as a bigint", () => {
      expect(decodeCanonical(hex("1b0020000000000000"))).to.equal(2n ** 53n);
    });

    it("writes Number.MIN_SAFE_INTEGER as 3b001ffffffffffffe and reads back a number", () => {
      expect(toHex(encodeCanonical(Number.MIN_SAFE_INTEGER))).to.equal("3b001ffffffffffffe");
      expect(decodeCanonical(hex("3b001ffffffffffffe"))).to.equal(Number.MIN_SAFE_INTEGER);
    });

    it("reads -2^53 (3b001fffffffffffff) back as a bigint", () => {
      expect(toHex(encodeCanonical(-(2n ** 53n)))).to.equal("3b001fffffffffffff");
      expect(decodeCanonical(hex("3b001fffffffffffff"))).to.equal(-(2n ** 53n));
    });

    it("writes a bigint within the safe range like the number, and reads back the number", () => {
      expect(toHex(encodeCanonical(1000n))).to.equal("1903e8");
      expect(toHex(encodeCanonical(-(2n ** 32n)))).to.equal("3a ffffffff".replaceAll(" ", ""));
      expect(decodeCanonical(encodeCanonical(1000n))).to.equal(1000);
    });

    it("writes 2^32 as 1b0000000100000000, the first 8-byte argument", () => {
      expect(toHex(encodeCanonical(2 ** 32))).to.equal("1b0000000100000000");
      expect(toHex(encodeCanonical(2 ** 32 - 1))).to.equal("1affffffff");
    });
  });

  describe("for whole numbers at or beyond 2^64", () => {
    it("writes 2^64 as the single float fa5f800000, since no integer holds it", () => {
      expect(toHex(encodeCanonical(2 ** 64))).to.equal("fa5f800000");
      expect(decodeCanonical(hex("fa5f800000"))).to.equal(2 ** 64);
    });
  });
});

describe("encodeCanonicalMap and decodeCanonicalMap", () => {
  describe("for {b: [2, 3], a: 1}", () => {
    const spans = [
      { key: "a", start: 1, end: 4 },
      { key: "b", start: 4, end: 9 },
    ];

    it("return the byte range of each top-level entry", () => {
      const { bytes, spans: written } = encodeCanonicalMap({ b: [2, 3], a: 1 });
      expect(toHex(bytes)).to.equal("a26161016162820203");
      expect(written).to.deep.equal(spans);
      expect(decodeCanonicalMap(bytes).spans).to.deep.equal(spans);
    });

    it("count the ranges from the start of the CBOR, not of the prefix", () => {
      const { bytes, spans: written } = encodeCanonicalMap({ b: [2, 3], a: 1 }, hex("00ff00"));
      expect(toHex(bytes)).to.equal("00ff00a26161016162820203");
      expect(written).to.deep.equal(spans);
    });
  });
});
