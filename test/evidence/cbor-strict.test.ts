/**
 * What the strict decoder refuses and what the encoder cannot write: one
 * hand-written input per rejection class, with the exact error class and a
 * message that says what is wrong.
 */
import { expect } from "chai";
import { fromHex, toHex } from "../../src/bytes.ts";
import { decodeCanonical, decodeCanonicalMap } from "../../src/evidence/cbor/decode.ts";
import { encodeCanonical } from "../../src/evidence/cbor/encode.ts";
import {
  MalformedCborError,
  NonCanonicalEncodingError,
  UnencodableValueError,
} from "../../src/evidence/cbor/errors.ts";
import { type CborValue, Tagged } from "../../src/evidence/cbor/types.ts";

function hex(text: string): Uint8Array {
  const bytes = fromHex(text.replaceAll(" ", ""));
  if (bytes === undefined) throw new Error(`bad hex in test: ${text}`);
  return bytes;
}

type DecodeErrorClass = typeof MalformedCborError | typeof NonCanonicalEncodingError;

/** The error `decodeCanonical` throws for `input`; fails the test when it throws nothing or something else. */
function decodeError(
  input: Uint8Array,
  errorClass: DecodeErrorClass,
  options: Parameters<typeof decodeCanonical>[1] = {},
): MalformedCborError | NonCanonicalEncodingError {
  let value: CborValue;
  try {
    value = decodeCanonical(input, options);
  } catch (error) {
    expect(error).to.be.instanceOf(errorClass);
    // The other decoder error class must not also match: they are distinct outcomes.
    const other = errorClass === MalformedCborError ? NonCanonicalEncodingError : MalformedCborError;
    expect(error).not.to.be.instanceOf(other);
    return error as MalformedCborError | NonCanonicalEncodingError;
  }
  return expect.fail(`${toHex(input)} decoded to ${String(value)} instead of throwing ${errorClass.name}`);
}

interface RejectCase {
  readonly input: string;
  readonly what: string;
  readonly message: RegExp;
  readonly offset?: number;
  readonly allowedTags?: readonly number[];
}

function rejects(errorClass: DecodeErrorClass, cases: readonly RejectCase[]): void {
  it(`rejects with ${errorClass.name}`, () => {
    for (const c of cases) {
      const options = c.allowedTags === undefined ? {} : { allowedTags: new Set(c.allowedTags) };
      const error = decodeError(hex(c.input), errorClass, options);
      expect(error.message, `${c.input} (${c.what})`).to.match(c.message);
      if (c.offset !== undefined) expect(error.offset, `${c.input} (${c.what}) offset`).to.equal(c.offset);
    }
  });
}

/** The error `encodeCanonical` throws for `value`. */
function encodeError(value: unknown): UnencodableValueError {
  try {
    encodeCanonical(value as CborValue);
  } catch (error) {
    expect(error).to.be.instanceOf(UnencodableValueError);
    return error as UnencodableValueError;
  }
  return expect.fail("the value encoded instead of throwing UnencodableValueError");
}

/** `value` wrapped in `levels` one-element arrays. */
function nested(levels: number, value: CborValue = 0): CborValue {
  let out = value;
  for (let i = 0; i < levels; i++) out = [out];
  return out;
}

describe("decodeCanonical", () => {
  describe("when map keys are out of order", () => {
    rejects(NonCanonicalEncodingError, [
      { input: "a2 6162 01 6161 02", what: '"b" before "a"', message: /map key "a" is out of order/, offset: 4 },
      { input: "a2 626161 01 6162 02", what: '"aa" before "b": shorter keys come first', message: /out of order/ },
      { input: "a1 6178 a2 6162 01 6161 02", what: "in a nested map", message: /"a" is out of order/, offset: 7 },
    ]);

    it('accepts "9" before "10" (the bytewise order), so the check is on bytes, not numbers', () => {
      expect(decodeCanonical(hex("a2 6139 01 623130 02"))).to.deep.equal({ "9": 1, "10": 2 });
    });
  });

  describe("when a map key appears twice", () => {
    rejects(NonCanonicalEncodingError, [
      { input: "a2 6161 01 6161 02", what: "adjacent duplicate", message: /map key "a" appears twice/, offset: 4 },
      { input: "a2 60 01 60 02", what: "empty key twice", message: /map key "" appears twice/ },
    ]);
  });

  describe("when an integer is not in its shortest form", () => {
    rejects(NonCanonicalEncodingError, [
      { input: "18 17", what: "23 in one extra byte", message: /argument 23 is not in its shortest form/, offset: 0 },
      { input: "18 00", what: "0 in one extra byte", message: /argument 0 is not in its shortest form/ },
      { input: "19 00ff", what: "255 in two bytes", message: /argument 255 is not in its shortest form/ },
      { input: "1a 0000ffff", what: "65535 in four bytes", message: /argument 65535 is not/ },
      { input: "1b 00000000ffffffff", what: "2^32 - 1 in eight bytes", message: /argument 4294967295 is not/ },
      { input: "38 00", what: "-1 in one extra byte", message: /argument 0 is not in its shortest form/ },
      { input: "3b 00000000ffffffff", what: "-2^32 in eight bytes", message: /argument 4294967295 is not/ },
      { input: "82 01 18 02", what: "inside an array", message: /shortest form/, offset: 2 },
    ]);
  });

  describe("when a length is not in its shortest form", () => {
    rejects(NonCanonicalEncodingError, [
      { input: "58 01 ff", what: "byte string", message: /argument 1 is not in its shortest form/ },
      { input: "78 01 61", what: "text string", message: /argument 1 is not in its shortest form/ },
      { input: `79 0017 ${"61".repeat(23)}`, what: "text of 23 bytes", message: /argument 23 is not/ },
      { input: "98 01 01", what: "array", message: /argument 1 is not in its shortest form/ },
      { input: "b8 01 6161 01", what: "map", message: /argument 1 is not in its shortest form/ },
      { input: "a1 78 01 61 01", what: "map key", message: /argument 1 is not in its shortest form/, offset: 1 },
    ]);

    it("rejects a tag number not in its shortest form with NonCanonicalEncodingError", () => {
      const error = decodeError(hex("d8 01 00"), NonCanonicalEncodingError, { allowedTags: new Set([1]) });
      expect(error.message).to.match(/argument 1 is not in its shortest form/);
    });
  });

  describe("when a float is wider than it needs to be", () => {
    rejects(NonCanonicalEncodingError, [
      { input: "fa 3fc00000", what: "1.5 as single", message: /float 1.5 fits in half precision/ },
      { input: "fb 3ff8000000000000", what: "1.5 as double", message: /float 1.5 fits in a shorter precision/ },
      { input: "fb 3fb99999a0000000", what: "fround(0.1) as double", message: /fits in a shorter precision/ },
      { input: "fa 80000000", what: "-0 as single", message: /fits in half precision/ },
      { input: "fb 8000000000000000", what: "-0 as double", message: /fits in a shorter precision/ },
      { input: "fa 33800000", what: "2^-24 (half subnormal) as single", message: /fits in half precision/ },
      { input: "fa 7f800000", what: "Infinity as single", message: /fits in half precision/ },
      { input: "fb fff0000000000000", what: "-Infinity as double", message: /shorter precision/ },
    ]);

    it("accepts the same values in their shortest width (positive control)", () => {
      expect(decodeCanonical(hex("f9 3e00"))).to.equal(1.5);
      expect(decodeCanonical(hex("fa 3dcccccd"))).to.equal(Math.fround(0.1));
      expect(decodeCanonical(hex("fa 33000000"))).to.equal(2 ** -25);
      expect(decodeCanonical(hex("fb 3fb999999999999a"))).to.equal(0.1);
    });
  });

  describe("when NaN is not f9 7e 00", () => {
    rejects(NonCanonicalEncodingError, [
      { input: "f9 7e01", what: "quiet NaN with payload", message: /NaN must be encoded as f9 7e 00/ },
      { input: "f9 7c01", what: "signalling NaN", message: /NaN must be encoded as f9 7e 00/ },
      { input: "f9 fe00", what: "negative NaN", message: /NaN must be encoded as f9 7e 00/ },
      { input: "fa 7fc00000", what: "NaN as single", message: /NaN fits in half precision/ },
      { input: "fa 7f800001", what: "NaN with payload as single", message: /NaN fits in half precision/ },
      { input: "fb 7ff8000000000000", what: "NaN as double", message: /NaN fits in a shorter precision/ },
      { input: "fb 7ff0000000000001", what: "NaN with payload as double", message: /NaN fits/ },
    ]);
  });

  describe("when a float holds a whole number", () => {
    rejects(NonCanonicalEncodingError, [
      { input: "f9 0000", what: "0.0", message: /whole number 0 must be encoded as an integer/ },
      { input: "f9 3c00", what: "1.0", message: /whole number 1 must be encoded as an integer/ },
      { input: "f9 c400", what: "-4.0", message: /whole number -4 must be encoded as an integer/ },
      { input: "f9 7bff", what: "65504.0", message: /whole number 65504 must be encoded as an integer/ },
      { input: "fa 47c35000", what: "100000.0", message: /whole number 100000 must be/ },
      { input: "fb 4330000000000001", what: "2^52 + 1", message: /whole number 4503599627370497 must be/ },
      { input: "fa df800000", what: "-2^64, which a negative integer holds", message: /must be encoded as an integer/ },
    ]);
  });

  describe("when an item has indefinite length", () => {
    rejects(NonCanonicalEncodingError, [
      { input: "5f 41 00 ff", what: "byte string", message: /indefinite-length items are not allowed/ },
      { input: "7f 61 61 ff", what: "text string", message: /indefinite-length items are not allowed/ },
      { input: "9f 01 ff", what: "array", message: /indefinite-length items are not allowed/ },
      { input: "bf 6161 01 ff", what: "map", message: /indefinite-length items are not allowed/ },
      { input: "82 01 9f ff", what: "nested array", message: /indefinite/, offset: 2 },
    ]);
  });

  describe("when a text string is not valid UTF-8", () => {
    rejects(MalformedCborError, [
      { input: "61 ff", what: "byte ff", message: /text string is not valid UTF-8/, offset: 0 },
      { input: "62 c328", what: "missing continuation byte", message: /not valid UTF-8/ },
      { input: "62 c0af", what: "overlong '/'", message: /not valid UTF-8/ },
      { input: "63 eda080", what: "encoded surrogate U+D800", message: /not valid UTF-8/ },
      { input: "64 f4908080", what: "beyond U+10FFFF", message: /not valid UTF-8/ },
      { input: "61 80", what: "lone continuation byte", message: /not valid UTF-8/ },
      { input: "a1 61ff 01", what: "in a map key", message: /not valid UTF-8/, offset: 1 },
      { input: `78 28 ${"61".repeat(39)}ff`, what: "after 39 ASCII bytes", message: /not valid UTF-8/ },
    ]);

    it("keeps a leading byte order mark as content", () => {
      expect(decodeCanonical(hex("63 efbbbf"))).to.equal("\ufeff");
    });
  });

  describe("when the input holds undefined (f7)", () => {
    rejects(NonCanonicalEncodingError, [
      { input: "f7", what: "top level", message: /undefined is not allowed/, offset: 0 },
      { input: "a1 6161 f7", what: "as a map value", message: /undefined is not allowed/, offset: 3 },
    ]);
  });

  describe("when the input holds a simple value other than false, true and null", () => {
    rejects(NonCanonicalEncodingError, [
      { input: "e0", what: "simple(0)", message: /simple value 0 is not allowed/ },
      { input: "f0", what: "simple(16)", message: /simple value 16 is not allowed/ },
      { input: "f3", what: "simple(19)", message: /simple value 19 is not allowed/ },
      { input: "f8 20", what: "simple(32)", message: /simple value 32 is not allowed/ },
      { input: "f8 ff", what: "simple(255)", message: /simple value 255 is not allowed/ },
    ]);
  });

  describe("when the input is not well-formed (RFC 8949 §3)", () => {
    rejects(MalformedCborError, [
      { input: "ff", what: "a break code outside an indefinite-length item", message: /break code/ },
      {
        input: "1f",
        what: "an indefinite-length unsigned integer",
        message: /major type 0 has no indefinite-length form/,
      },
      {
        input: "3f",
        what: "an indefinite-length negative integer",
        message: /major type 1 has no indefinite-length form/,
      },
      { input: "df 00", what: "an indefinite-length tag", message: /major type 6 has no indefinite-length form/ },
      { input: "f8 14", what: "false in the two-byte simple form", message: /simple value 20 in the two-byte form/ },
      { input: "f8 1f", what: "simple(31) in the two-byte form", message: /simple value 31 in the two-byte form/ },
    ]);
  });

  describe("when a map key is not a text string", () => {
    rejects(NonCanonicalEncodingError, [
      { input: "a1 01 02", what: "integer key", message: /map keys must be text strings/, offset: 1 },
      { input: "a1 41 61 01", what: "byte string key", message: /map keys must be text strings/ },
      { input: "a1 f6 01", what: "null key", message: /map keys must be text strings/ },
      { input: "a1 80 01", what: "array key", message: /map keys must be text strings/ },
    ]);
  });

  describe("when bytes follow the data item", () => {
    rejects(MalformedCborError, [
      { input: "00 00", what: "two integers", message: /1 trailing byte\(s\) after the data item/, offset: 1 },
      { input: "a0 ff ff", what: "two break codes", message: /2 trailing byte\(s\)/, offset: 1 },
      { input: "6161 6161", what: "two strings", message: /2 trailing byte\(s\)/ },
    ]);
  });

  describe("when a tag is not in allowedTags", () => {
    rejects(NonCanonicalEncodingError, [
      { input: "c1 1a514b67b0", what: "tag 1 with no tags allowed", message: /tag 1 is not allowed here/, offset: 0 },
      { input: "d9 d9f7 00", what: "self-described CBOR tag 55799", message: /tag 55799 is not allowed/ },
      { input: "82 00 c0 60", what: "nested tag 0", message: /tag 0 is not allowed/, offset: 2 },
    ]);

    it("rejects a tag the set does not list with NonCanonicalEncodingError", () => {
      const error = decodeError(hex("c1 1a514b67b0"), NonCanonicalEncodingError, { allowedTags: new Set([0, 2]) });
      expect(error.message).to.match(/tag 1 is not allowed here/);
    });

    it("rejects a tag number beyond 2^53 even when small tags are allowed", () => {
      const error = decodeError(hex("db ffffffffffffffff 00"), NonCanonicalEncodingError, {
        allowedTags: new Set([1]),
      });
      expect(error.message).to.match(/tag 18446744073709551615 is not allowed/);
    });

    it("accepts the tag once it is allowed (positive control)", () => {
      expect(decodeCanonical(hex("c1 1a514b67b0"), { allowedTags: new Set([1]) })).to.deep.equal(
        new Tagged(1, 1363896240),
      );
    });
  });

  describe("when the input is truncated", () => {
    rejects(MalformedCborError, [
      { input: "", what: "empty input", message: /needs 1 more byte\(s\) but the input ends at byte 0/ },
      { input: "18", what: "missing 1-byte argument", message: /needs 1 more byte\(s\)/, offset: 1 },
      { input: "19 01", what: "half of a 2-byte argument", message: /needs 2 more byte\(s\)/ },
      { input: "1a 000100", what: "3 of 4 argument bytes", message: /needs 4 more byte\(s\)/ },
      { input: "1b 00000001000000", what: "7 of 8 argument bytes", message: /needs 8 more byte\(s\)/ },
      { input: "f9 3e", what: "half float", message: /needs 2 more byte\(s\)/ },
      { input: "fa 3dcccc", what: "single float", message: /needs 4 more byte\(s\)/ },
      { input: "fb 3ff199999999", what: "double float", message: /needs 8 more byte\(s\)/ },
      { input: "62 61", what: "text shorter than its length", message: /length 2 runs past the end of the input/ },
      { input: "44 0102", what: "bytes shorter than their length", message: /length 4 runs past the end/ },
      { input: "82 01", what: "array with fewer bytes than items", message: /length 2 runs past the end/ },
      {
        input: "82 190100",
        what: "array missing an item",
        message: /needs 1 more byte\(s\) but the input ends at byte 4/,
      },
      { input: "a1 6161", what: "map missing a value", message: /needs 1 more byte\(s\)/, offset: 3 },
      { input: "a2 6161 01", what: "map missing an entry", message: /needs 1 more byte\(s\)/, offset: 4 },
      { input: "f8", what: "simple value without its byte", message: /needs 1 more byte\(s\)/, offset: 1 },
      { input: "82 f6 f8", what: "nested simple value without its byte", message: /needs 1 more byte\(s\)/ },
      { input: "c1", what: "tag without content", message: /needs 1 more byte\(s\)/, allowedTags: [1] },
      { input: "5b 0000000100000000", what: "2^32-byte length", message: /length 4294967296 runs past the end/ },
      { input: "9b ffffffffffffffff", what: "2^64 - 1 items", message: /runs past the end/ },
    ]);
  });

  describe("when additional information is 28, 29 or 30", () => {
    const inputs: { major: number; info: number; input: string }[] = [];
    for (let major = 0; major < 8; major++) {
      for (const info of [28, 29, 30]) inputs.push({ major, info, input: ((major << 5) | info).toString(16) });
    }

    it("rejects with MalformedCborError for every major type", () => {
      for (const { major, info, input } of inputs) {
        // A few bytes after the header, so the failure cannot be about truncation.
        const error = decodeError(hex(`${input} 00000000`), MalformedCborError);
        expect(error.message, `major ${major}, info ${info}`).to.match(
          new RegExp(`additional information ${info} is reserved`),
        );
        expect(error.offset).to.equal(0);
      }
    });

    rejects(MalformedCborError, [
      { input: "81 1c", what: "inside an array", message: /additional information 28 is reserved/, offset: 1 },
      { input: "a1 7d", what: "as a map key header", message: /additional information 29 is reserved/, offset: 1 },
    ]);
  });

  describe("when items nest deeper than 64 levels", () => {
    rejects(NonCanonicalEncodingError, [
      { input: `${"81".repeat(65)}00`, what: "65 arrays", message: /nesting is deeper than 64 levels/, offset: 65 },
      { input: `${"a16161".repeat(65)}00`, what: "65 maps", message: /nesting is deeper than 64 levels/ },
    ]);

    it("accepts exactly 64 levels", () => {
      expect(decodeCanonical(hex(`${"81".repeat(64)}00`))).to.deep.equal(nested(64));
    });
  });

  describe("when the input is a view into a larger buffer", () => {
    it("decodes only the viewed bytes", () => {
      const buffer = hex("ff 6161 ff");
      expect(decodeCanonical(buffer.subarray(1, 3))).to.equal("a");
    });
  });
});

describe("decodeCanonicalMap", () => {
  describe("when the top-level item is not a map", () => {
    it("rejects with NonCanonicalEncodingError", () => {
      for (const input of ["80", "00", "6161", ""]) {
        expect(() => decodeCanonicalMap(hex(input)), input).to.throw(
          NonCanonicalEncodingError,
          /the top-level item must be a map/,
        );
      }
    });
  });

  describe("when the map is not canonical", () => {
    it("rejects with the same errors as decodeCanonical", () => {
      expect(() => decodeCanonicalMap(hex("a2 6162 01 6161 02"))).to.throw(NonCanonicalEncodingError, /out of order/);
      expect(() => decodeCanonicalMap(hex("a1 6161 01 00"))).to.throw(MalformedCborError, /trailing/);
      expect(() => decodeCanonicalMap(hex("a1 6161 c1 00"))).to.throw(NonCanonicalEncodingError, /tag 1/);
    });
  });
});

describe("encodeCanonical", () => {
  describe("when given undefined", () => {
    it("throws UnencodableValueError with an empty path at the top level", () => {
      const error = encodeError(undefined);
      expect(error.path).to.equal("");
      expect(error.message).to.equal("Cannot encode value as CBOR: undefined is not part of the data model.");
    });

    it('names the path "a.b.0" when it sits in a map, a map and an array', () => {
      const error = encodeError({ a: { b: [undefined] } });
      expect(error.path).to.equal("a.b.0");
      expect(error.reason).to.equal("undefined is not part of the data model");
      expect(error.message).to.equal('Cannot encode "a.b.0" as CBOR: undefined is not part of the data model.');
    });

    it('names the path "b.d" when earlier entries and siblings encoded fine', () => {
      const error = encodeError({ a: [1, { x: 2 }], b: { c: 2, d: undefined } });
      expect(error.path).to.equal("b.d");
    });

    it('names the path "2" when earlier array items encoded fine', () => {
      expect(encodeError([1, { x: [2] }, undefined]).path).to.equal("2");
    });

    it('names the path "list.2" for a hole in a sparse array', () => {
      // biome-ignore lint/suspicious/noSparseArray: the hole is the point of the test
      const error = encodeError({ list: [1, 2, , 4] });
      expect(error.path).to.equal("list.2");
    });
  });

  describe("when given a function", () => {
    it("throws UnencodableValueError naming its path", () => {
      const error = encodeError({ ok: 1, f: () => 1 });
      expect(error.path).to.equal("f");
      expect(error.reason).to.equal("a function is not part of the data model");
    });
  });

  describe("when given a symbol", () => {
    it("throws UnencodableValueError naming its path", () => {
      const error = encodeError(["x", Symbol("s")]);
      expect(error.path).to.equal("1");
      expect(error.reason).to.equal("a symbol is not part of the data model");
    });
  });

  describe("when given a whole number beyond the safe integer range", () => {
    it("throws UnencodableValueError asking for a bigint", () => {
      for (const value of [2 ** 60, Number.MAX_SAFE_INTEGER + 1, -(2 ** 53), 2 ** 64 - 2 ** 11, -(2 ** 64)]) {
        const error = encodeError({ n: value });
        expect(error.path, String(value)).to.equal("n");
        expect(error.reason, String(value)).to.match(/beyond 2\^53 − 1; pass it as a bigint/);
      }
    });

    it("writes the same value as a bigint", () => {
      expect(toHex(encodeCanonical(2n ** 60n))).to.equal("1b1000000000000000");
    });
  });

  describe("when given a bigint outside [-2^64, 2^64 - 1]", () => {
    it("throws UnencodableValueError for 2^64", () => {
      const error = encodeError({ big: [2n ** 64n] });
      expect(error.path).to.equal("big.0");
      expect(error.reason).to.equal("the integer 18446744073709551616 is beyond 2^64 − 1");
    });

    it("throws UnencodableValueError for -2^64 - 1", () => {
      const error = encodeError({ small: -(2n ** 64n) - 1n });
      expect(error.path).to.equal("small");
      expect(error.reason).to.equal("the integer -18446744073709551617 is below −2^64");
    });
  });

  describe("when given a string with a lone surrogate", () => {
    it("throws UnencodableValueError for a lone high surrogate value", () => {
      const error = encodeError({ s: "ab\ud800" });
      expect(error.path).to.equal("s");
      expect(error.reason).to.equal("the text contains a lone UTF-16 surrogate");
    });

    it("throws UnencodableValueError for a lone low surrogate among other non-ASCII text", () => {
      const error = encodeError(["\u00fc\udc00\u00fc"]);
      expect(error.path).to.equal("0");
    });

    it("throws UnencodableValueError for a map key, naming the key", () => {
      const error = encodeError({ m: { "k\udc00": 1 } });
      expect(error.path).to.equal("m");
      expect(error.reason).to.match(/the map key "k\\udc00" contains a lone UTF-16 surrogate/);
    });

    it("writes a well-formed surrogate pair as one 4-byte code point", () => {
      expect(toHex(encodeCanonical("\ud83d\ude00"))).to.equal("64f09f9880");
    });
  });

  describe("when given a class instance", () => {
    class Point {
      readonly x = 1;
    }
    const cases: [string, unknown, RegExp][] = [
      ["Date", new Date(0), /a Date is not part of the data model/],
      ["Map", new Map([["a", 1]]), /a Map is not part of the data model/],
      ["Set", new Set([1]), /a Set is not part of the data model/],
      ["Uint16Array", new Uint16Array(2), /a Uint16Array is not part of the data model/],
      ["ArrayBuffer", new ArrayBuffer(2), /an? ArrayBuffer is not part of the data model/],
      ["user class", new Point(), /a Point is not part of the data model/],
      ["boxed number", Object(1), /a Number is not part of the data model/],
    ];
    for (const [name, value, reason] of cases) {
      it(`throws UnencodableValueError for a ${name}`, () => {
        const error = encodeError({ when: [value] });
        expect(error.path).to.equal("when.0");
        expect(error.reason).to.match(reason);
      });
    }

    it("accepts a null-prototype object as a map", () => {
      const map = Object.assign(Object.create(null) as Record<string, CborValue>, { b: 2, a: 1 });
      expect(toHex(encodeCanonical(map))).to.equal("a2616101616202");
    });
  });

  describe("when given a tag that is not an unsigned integer", () => {
    it("throws UnencodableValueError", () => {
      for (const tag of [-1, 1.5, Number.NaN, 2 ** 53]) {
        const error = encodeError({ t: new Tagged(tag, 0) });
        expect(error.path, String(tag)).to.equal("t");
        expect(error.reason, String(tag)).to.match(/is not an unsigned integer/);
      }
    });
  });

  describe("when values nest deeper than 64 levels", () => {
    it("throws UnencodableValueError at the 65th level", () => {
      const error = encodeError(nested(65));
      expect(error.path).to.equal(Array(65).fill("0").join("."));
      expect(error.reason).to.equal("nesting is deeper than 64 levels");
    });

    it("counts map and tag levels too", () => {
      let value: CborValue = 0;
      for (let i = 0; i < 65; i++) value = i % 2 === 0 ? { k: value } : new Tagged(1, value);
      expect(encodeError(value).reason).to.equal("nesting is deeper than 64 levels");
    });

    it("writes exactly 64 levels", () => {
      expect(toHex(encodeCanonical(nested(64)))).to.equal(`${"81".repeat(64)}00`);
    });
  });

  describe("after an error", () => {
    it("encodes the next value from a clean state", () => {
      encodeError({ a: [1, 2, { b: undefined }] });
      expect(toHex(encodeCanonical({ c: 1 }))).to.equal("a1616301");
      const error = encodeError([undefined]);
      expect(error.path).to.equal("0");
    });
  });
});
