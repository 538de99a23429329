/**
 * Fuzzing the strict packet decoder with real signed packets broken at the
 * byte level, and with canonical CBOR maps that look like packets but have
 * wrong types, missing or extra fields, or odd tags. The contract: a
 * MalformedCborError, NonCanonicalEncodingError or InvalidPacketError, or a
 * packet whose encoding is exactly the input (and whose signing message is
 * exactly what the signer signs). Never another exception.
 */
import { expect } from "chai";
import fc from "fast-check";
import { concatBytes, equalBytes, toHex } from "../../src/bytes.ts";
import { decodeCanonical, decodeCanonicalMap } from "../../src/evidence/cbor/decode.ts";
import { encodeCanonical } from "../../src/evidence/cbor/encode.ts";
import { MalformedCborError, NonCanonicalEncodingError } from "../../src/evidence/cbor/errors.ts";
import { type CborMap, type CborValue, Tagged } from "../../src/evidence/cbor/types.ts";
import { type DecodedPacket, decodePacket, encodePacket, preparePacketSigning } from "../../src/evidence/codec.ts";
import { InvalidPacketError } from "../../src/evidence/errors.ts";
import { MAX_TIMESTAMP_MS } from "../../src/evidence/packet.ts";
import { createPacket, verifyPacket } from "../../src/evidence/sign.ts";
import { isUuidV4Bytes, uuidFromBytes } from "../../src/evidence/uuid.ts";
import { packetFields } from "../helpers/arbitraries.ts";
import { fixedSigner, RFC8032_PUBLIC_1, sampleFields } from "../helpers/fixtures.ts";
import { cborHeadMutated, decodeOrTypedError, fuzzInput, repeat, shortHex } from "../helpers/mutations.ts";

const SEED = 0xf022ac7;
const params = (numRuns: number) => ({ seed: SEED, numRuns });
const PACKET_TAGS: ReadonlySet<number> = new Set([1, 37]);
const publicKey = Buffer.from(RFC8032_PUBLIC_1, "hex");

const isPacketError = (error: unknown): boolean =>
  error instanceof MalformedCborError ||
  error instanceof NonCanonicalEncodingError ||
  error instanceof InvalidPacketError;

/**
 * A decoded packet must be exactly what the encoder writes for it, and its
 * signing message exactly what the signer signs: otherwise two byte strings
 * would stand for one packet, or a signature would cover other bytes.
 */
function expectExactPacket(decoded: DecodedPacket, bytes: Uint8Array): void {
  expect(toHex(encodePacket(decoded.packet))).to.equal(toHex(bytes));
  expect(toHex(decoded.signingMessage)).to.equal(toHex(preparePacketSigning(decoded.packet).message));
}

/** decodePacket's whole contract for one input. */
function checkDecode(bytes: Uint8Array): DecodedPacket | undefined {
  const decoded = decodeOrTypedError(decodePacket, bytes, isPacketError);
  if (decoded !== undefined) expectExactPacket(decoded, bytes);
  return decoded;
}

/** Heads that break a packet in telling ways: huge lengths, a wrong tag, Tag 1 over a double, a break code. */
const TOKENS: readonly Uint8Array[] = [
  Uint8Array.of(0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
  Uint8Array.of(0x7a, 0xff, 0xff, 0xff, 0xff),
  Uint8Array.of(0x9b, 0, 0x20, 0, 0, 0, 0, 0, 0),
  Uint8Array.of(0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
  Uint8Array.of(0xb9, 0xff, 0xff),
  Uint8Array.of(0x58, 0x40),
  Uint8Array.of(0x58, 0x20),
  Uint8Array.of(0x50),
  Uint8Array.of(0xd8, 0x25),
  Uint8Array.of(0xd8, 0x2a),
  Uint8Array.of(0xc1, 0xfb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0),
  Uint8Array.of(0xc1, 0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
  Uint8Array.of(0xff),
  Uint8Array.of(0xf7),
  repeat([0x81], 80),
];

/** Values of every CBOR type, including the ones that trip up JavaScript (maps that shadow Object.prototype). */
const oddValue: fc.Arbitrary<CborValue> = fc.oneof(
  fc.constantFrom<CborValue>(
    0,
    -1,
    1.5,
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2n ** 64n - 1n,
    -(2n ** 64n),
    2 ** 53 - 1,
    "",
    "1.0",
    "image/png",
    "\u{1f600}",
    true,
    false,
    null,
    [],
    {},
    { toString: 0 },
    { valueOf: "x", toString: [] },
    { constructor: 1 },
    [new Uint8Array(32)],
    new Tagged(1, 0),
    new Tagged(37, new Uint8Array(16)),
  ),
  fc.integer({ min: -100, max: 2 ** 32 }),
  fc.string({ maxLength: 12 }),
  fc.uint8Array({ maxLength: 70 }),
  fc.constantFrom(16, 31, 32, 33, 63, 64, 65).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
  fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 3 }),
);

/** Every field of a packet, so an edit can hit any of them, or a new key beside them. */
const FIELD_PATHS = [
  "version",
  "packetId",
  "tenantId",
  "processId",
  "timestamp",
  "inputs",
  "execution",
  "outputs",
  "signingKeyId",
  "signature",
  "inputs.promptHash",
  "inputs.modelId",
  "inputs.seed",
  "inputs.parameters",
  "inputs.assetHashes",
  "inputs.parameters.cfg",
  "execution.durationMs",
  "execution.deviceClass",
  "execution.pipelineHash",
  "execution.gpuUtilization",
  "outputs.assetHash",
  "outputs.assetSize",
  "outputs.mimeType",
  "outputs.resolutionW",
  "outputs.resolutionH",
  "extra",
  "inputs.extra",
  "execution.extra",
  "outputs.extra",
  "inputs.parameters.extra",
  "toString",
  "__proto__",
] as const;

type Edit = { readonly path: string; readonly value: CborValue | undefined };

const edit: fc.Arbitrary<Edit> = fc.record({
  path: fc.constantFrom(...FIELD_PATHS),
  // undefined deletes the field
  value: fc.option(oddValue, { nil: undefined, freq: 4 }),
});

const isMap = (value: unknown): value is CborMap =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  !(value instanceof Uint8Array) &&
  !(value instanceof Tagged);

/** A copy of `map` with the value at dotted `path` set (or deleted); unchanged where the path no longer leads to a map. */
function withEdit(map: CborMap, path: readonly string[], value: CborValue | undefined): CborMap {
  const [key, ...rest] = path;
  if (key === undefined) return map;
  const copy: Record<string, CborValue> = {};
  for (const k of Object.keys(map)) {
    // defineProperty: a "__proto__" key must stay an entry, not become the prototype.
    Object.defineProperty(copy, k, { value: map[k], enumerable: true, writable: true, configurable: true });
  }
  if (rest.length === 0) {
    if (value === undefined) delete copy[key];
    else Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
    return copy;
  }
  const child = Object.hasOwn(map, key) ? map[key] : undefined;
  if (!isMap(child)) return map;
  copy[key] = withEdit(child, rest, value);
  return copy;
}

/** Whole numbers from 2^53 up to 2^64 are bigints in the CBOR data model (the encoder refuses them as numbers). */
function asCborNumber(value: CborValue): CborValue {
  if (typeof value !== "number" || !Number.isInteger(value) || Number.isSafeInteger(value)) return value;
  return Math.abs(value) < 2 ** 64 ? BigInt(value) : value;
}

describe("packet decoder fuzzing", () => {
  /** Real packets, built and signed by the project's own functions, and their raw CBOR maps. */
  const originals: { bytes: Uint8Array; map: CborMap }[] = [];

  before(async () => {
    const signer = fixedSigner();
    const fields = [sampleFields(), ...fc.sample(packetFields, { seed: SEED, numRuns: 15 })];
    for (const f of fields) {
      const { bytes } = await createPacket(f, signer);
      originals.push({ bytes, map: decodeCanonicalMap(bytes, { allowedTags: PACKET_TAGS }).map });
    }
  });

  const original = () => fc.nat({ max: 15 }).map((i) => originals[i] as { bytes: Uint8Array; map: CborMap });

  it("answers mutated signed packets with a typed error or exactly their own encoding, never another exception", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          {
            arbitrary: fuzzInput(
              original().map((o) => o.bytes),
              TOKENS,
            ),
            weight: 3,
          },
          { arbitrary: cborHeadMutated(original().map((o) => o.bytes)), weight: 1 },
        ),
        (bytes) => {
          checkDecode(bytes);
          // A signature covers exactly one packet: only the untouched bytes can verify.
          const untouched = originals.some((o) => equalBytes(o.bytes, bytes));
          expect(verifyPacket(bytes, publicKey).valid, shortHex(bytes)).to.equal(untouched);
        },
      ),
      params(1500),
    );
  });

  it("answers canonical maps with wrong field types, missing or extra fields with a typed error, or re-encodes them exactly", () => {
    fc.assert(
      fc.property(original(), fc.array(edit, { minLength: 1, maxLength: 3 }), ({ map }, edits) => {
        const changed = edits.reduce((m, e) => withEdit(m, e.path.split("."), e.value), map);
        checkDecode(encodeCanonical(changed));
      }),
      params(1500),
    );
  });

  it("accepts tag 37 only over 16 bytes of UUIDv4, and reads those bytes as the packetId", () => {
    const uuidBytes = fc
      .uuid({ version: 4 })
      .map((uuid) => Uint8Array.from(Buffer.from(uuid.replaceAll("-", ""), "hex")));
    const overBytes = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      // Random version and variant bits, so that both sides of the UUIDv4 check are hit often.
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      uuidBytes,
      // A real UUIDv4 with bytes after it, or cut short: a reader must not take the first 16 bytes.
      fc.tuple(uuidBytes, fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([a, b]) => concatBytes(a, b)),
      fc.tuple(uuidBytes, fc.nat({ max: 15 })).map(([bytes, length]) => bytes.slice(0, length)),
    );
    const inner = fc.oneof({ arbitrary: overBytes, weight: 3 }, { arbitrary: oddValue, weight: 1 });
    fc.assert(
      fc.property(original(), inner, ({ map }, value) => {
        const bytes = encodeCanonical(withEdit(map, ["packetId"], new Tagged(37, value)));
        const decoded = checkDecode(bytes);
        const valid = value instanceof Uint8Array && isUuidV4Bytes(value);
        expect(decoded !== undefined, `tag 37 over ${shortHex(encodeCanonical(value))}`).to.equal(valid);
        if (decoded !== undefined && value instanceof Uint8Array) {
          expect(decoded.packet.packetId).to.equal(uuidFromBytes(value));
        } else {
          expect(() => decodePacket(bytes)).to.throw(InvalidPacketError, /"packetId"/);
        }
      }),
      params(600),
    );
  });

  it("accepts Tag 1 only over a number that is a whole millisecond from 1970 to 9999, and rejects everything else with a typed error", () => {
    const seconds = fc.oneof(
      fc.integer({ min: 0, max: MAX_TIMESTAMP_MS }).map((ms) => ms / 1000),
      fc.double(),
      fc.constantFrom(-0, -0.001, 0.0005, 1.0005, MAX_TIMESTAMP_MS / 1000 + 0.001, 1e300, -1e300, 2 ** 53),
    );
    const inner = fc.oneof(seconds, oddValue, fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }));
    fc.assert(
      fc.property(original(), inner, ({ map }, value) => {
        const tagged = new Tagged(1, asCborNumber(value));
        const bytes = encodeCanonical(withEdit(map, ["timestamp"], tagged));
        const decoded = checkDecode(bytes);
        // What the decoder sees: a bigint within 2^53 comes back as a number.
        const seen = decodeCanonical(encodeCanonical(tagged.value), { allowedTags: PACKET_TAGS });
        if (typeof seen !== "number") {
          expect(() => decodePacket(bytes)).to.throw(InvalidPacketError, /"timestamp"/);
          return;
        }
        const ms = Math.round(seen * 1000);
        // −0 is a second encoding of 0: invalid outside parameters (docs/spec.md).
        const exact =
          Number.isSafeInteger(ms) && ms / 1000 === seen && ms >= 0 && ms <= MAX_TIMESTAMP_MS && !Object.is(seen, -0);
        expect(decoded !== undefined, `Tag 1 over ${seen}`).to.equal(exact);
        if (decoded !== undefined) expect(decoded.packet.timestamp).to.equal(ms);
      }),
      params(800),
    );
  });

  it("rejects 100,000 levels of nesting inside inputs.parameters with a typed error, not a stack overflow", async () => {
    const { bytes } = await createPacket(
      sampleFields({ inputs: { ...sampleFields().inputs, parameters: { deep: 0 } } }),
      fixedSigner(),
    );
    // `64 "deep" 00`: the parameter's key and its value 0, which becomes 100,000 arrays around it.
    const at = Buffer.from(bytes).indexOf(Buffer.from("646465657000", "hex")) + 5;
    expect(at).to.be.greaterThan(5);
    const deep = Uint8Array.from([...bytes.subarray(0, at), ...repeat([0x81], 100_000), ...bytes.subarray(at)]);
    expect(() => decodePacket(deep)).to.throw(NonCanonicalEncodingError, /nesting is deeper than 64 levels/);
  });

  describe("regressions", () => {
    it("rejects a version that is a map with a toString key with InvalidPacketError, not a TypeError from String()", () => {
      // {version: {toString: 0}, packetId: 37(h'0f8fad5b…'), timestamp: 1(0), every other field 0}
      const bytes = Buffer.from(
        "aa66696e7075747300676f757470757473006776657273696f6ea168746f537472696e6700687061636b65744964d825500f8fad5b" +
          "d9cb469fa16570867728950e6874656e616e7449640069657865637574696f6e006970726f63657373496400697369676e61747572" +
          "65006974696d657374616d70c1006c7369676e696e674b6579496400",
        "hex",
      );
      expect(() => decodePacket(bytes)).to.throw(InvalidPacketError, /"version": must be "1.0", got a map/);
    });
  });
});
