import { encode as cborgEncode, rfc8949EncodeOptions, Token, Type } from "cborg";
import { expect } from "chai";
import fc from "fast-check";
import { toHex } from "../../src/bytes.ts";
import { MalformedCborError, NonCanonicalEncodingError } from "../../src/evidence/cbor/errors.ts";
import { Tagged } from "../../src/evidence/cbor/types.ts";
import { decodePacket } from "../../src/evidence/codec.ts";
import { InvalidPacketError } from "../../src/evidence/errors.ts";
import { MAX_TIMESTAMP_MS } from "../../src/evidence/packet.ts";
import { createPacket, type SignedPacket, verifyPacket } from "../../src/evidence/sign.ts";
import { uuidToBytes } from "../../src/evidence/uuid.ts";
import { packetFields } from "../helpers/arbitraries.ts";
import { nonCanonicalVariants } from "../helpers/cborItems.ts";
import { fixedSigner, RFC8032_PUBLIC_1, sampleFields } from "../helpers/fixtures.ts";

const SETTINGS = { seed: 20261122, numRuns: 150 };
const signer = fixedSigner();
const publicKey = Buffer.from(RFC8032_PUBLIC_1, "hex");

/** cborg, configured for RFC 8949 preferred serialization, as an independent encoder. */
function cborgEncodePacket({ packet }: SignedPacket): Uint8Array {
  const map = {
    ...packet,
    packetId: new Tagged(37, uuidToBytes(packet.packetId)),
    timestamp: new Tagged(1, packet.timestamp / 1000),
  };
  const tagged = (value: unknown) => {
    if (!(value instanceof Tagged)) return null;
    const inner = value.value as Uint8Array | number;
    const token =
      inner instanceof Uint8Array
        ? new Token(Type.bytes, inner)
        : Number.isInteger(inner)
          ? new Token(Type.uint, inner)
          : new Token(Type.float, inner);
    return [new Token(Type.tag, value.tag), token];
  };
  return cborgEncode(map, { ...rfc8949EncodeOptions, float64: false, typeEncoders: { Object: tagged } });
}

describe("evidence packet properties", () => {
  it("encode agrees byte for byte with cborg's RFC 8949 deterministic encoder", async () => {
    await fc.assert(
      fc.asyncProperty(packetFields, async (fields) => {
        const signed = await createPacket(fields, signer);
        expect(toHex(signed.bytes)).to.equal(toHex(cborgEncodePacket(signed)));
      }),
      SETTINGS,
    );
  });

  it("decode(encode(packet)) returns the packet", async () => {
    await fc.assert(
      fc.asyncProperty(packetFields, async (fields) => {
        const signed = await createPacket(fields, signer);
        expect(decodePacket(signed.bytes).packet).to.deep.equal(signed.packet);
        expect(verifyPacket(signed.bytes, publicKey).valid).to.equal(true);
      }),
      SETTINGS,
    );
  });

  it("keeps millisecond timestamps exact through Tag 1 seconds", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: MAX_TIMESTAMP_MS }), async (timestamp) => {
        const signed = await createPacket(sampleFields({ timestamp }), signer);
        expect(decodePacket(signed.bytes).packet.timestamp).to.equal(timestamp);
      }),
      { ...SETTINGS, numRuns: 500 },
    );
  });

  it("keeps every millisecond of the last second of year 9999 exact", async () => {
    for (let timestamp = MAX_TIMESTAMP_MS - 999; timestamp <= MAX_TIMESTAMP_MS; timestamp++) {
      const signed = await createPacket(sampleFields({ timestamp }), signer);
      expect(decodePacket(signed.bytes).packet.timestamp).to.equal(timestamp);
    }
  });

  it("detects every single-byte change to a packet", async () => {
    const { bytes } = await createPacket(sampleFields(), signer);
    for (let i = 0; i < bytes.length; i++) {
      for (const change of [0x01, 0x80, 0xff]) {
        const tampered = Uint8Array.from(bytes);
        tampered[i] = (tampered[i] as number) ^ change;
        expect(verifyPacket(tampered, publicKey).valid, `byte ${i} ^ ${change}`).to.equal(false);
      }
    }
  });

  it("rejects every non-canonical variant of a valid packet", async () => {
    await fc.assert(
      fc.asyncProperty(packetFields, async (fields) => {
        const { bytes } = await createPacket(fields, signer);
        const variants = nonCanonicalVariants(bytes);
        expect(variants.length).to.be.greaterThan(50);
        for (const variant of variants) {
          let error: unknown;
          try {
            decodePacket(variant.bytes);
          } catch (caught) {
            error = caught;
          }
          expect(error, variant.description).to.be.instanceOf(NonCanonicalEncodingError);
        }
      }),
      { ...SETTINGS, numRuns: 20 },
    );
  });

  it("rejects random bytes only with the codec's own errors", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodePacket(bytes);
        } catch (error) {
          const known =
            error instanceof MalformedCborError ||
            error instanceof NonCanonicalEncodingError ||
            error instanceof InvalidPacketError;
          expect(known, String(error)).to.equal(true);
        }
      }),
      { ...SETTINGS, numRuns: 2000 },
    );
  });
});
