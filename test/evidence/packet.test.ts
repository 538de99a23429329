import { createHash } from "node:crypto";
import { expect } from "chai";
import { toHex } from "../../src/bytes.ts";
import { encodeCanonical } from "../../src/evidence/cbor/encode.ts";
import { Tagged } from "../../src/evidence/cbor/types.ts";
import { cidFromSha256, sha256FromRawCid } from "../../src/evidence/cid.ts";
import { decodePacket, encodePacket } from "../../src/evidence/codec.ts";
import { InvalidPacketError } from "../../src/evidence/errors.ts";
import { validateUnsignedPacket } from "../../src/evidence/packet.ts";
import { createPacket, verifyPacket } from "../../src/evidence/sign.ts";
import { fixedSigner, hashOf, RFC8032_PUBLIC_1, sampleFields } from "../helpers/fixtures.ts";

const unsigned = (overrides: Record<string, unknown> = {}) => ({
  version: "1.0",
  ...sampleFields(),
  signingKeyId: "studio-key-2026",
  ...overrides,
});

function expectFieldError(value: unknown, field: string, problem: RegExp): void {
  let error: unknown;
  try {
    validateUnsignedPacket(value);
  } catch (caught) {
    error = caught;
  }
  expect(error, `expected an InvalidPacketError for ${field}`).to.be.instanceOf(InvalidPacketError);
  expect((error as InvalidPacketError).field).to.equal(field);
  expect((error as InvalidPacketError).problem).to.match(problem);
  expect((error as Error).message).to.include(`"${field}"`);
}

describe("evidence packets", () => {
  describe("validateUnsignedPacket", () => {
    it("accepts a complete packet and returns the seed as a bigint", () => {
      const packet = validateUnsignedPacket(unsigned({ inputs: { ...sampleFields().inputs, seed: 42 } }));
      expect(packet.inputs.seed).to.equal(42n);
    });

    const inputs = sampleFields().inputs;
    const execution = sampleFields().execution;
    const outputs = sampleFields().outputs;
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ["a missing top-level field", { tenantId: undefined }, "tenantId", /is missing/],
      ["a missing nested field", { outputs: { ...outputs, mimeType: undefined } }, "outputs.mimeType", /is missing/],
      ["a wrong type", { processId: 7 }, "processId", /text string, got a number/],
      ["an empty string", { tenantId: "" }, "tenantId", /must not be empty/],
      [
        "a hash of 31 bytes",
        { inputs: { ...inputs, promptHash: new Uint8Array(31) } },
        "inputs.promptHash",
        /32 bytes, got 31/,
      ],
      [
        "a hash given as hex text",
        { execution: { ...execution, pipelineHash: "ab".repeat(32) } },
        "execution.pipelineHash",
        /32-byte hash, got a string/,
      ],
      [
        "an input asset hash of 33 bytes",
        { inputs: { ...inputs, assetHashes: [hashOf("x"), new Uint8Array(33)] } },
        "inputs.assetHashes.1",
        /32 bytes, got 33/,
      ],
      ["a UUIDv1 packetId", { packetId: "c232ab00-9414-11ec-b3c8-9f6bdeced846" }, "packetId", /UUIDv4/],
      ["an uppercase packetId", { packetId: "0F8FAD5B-D9CB-469F-A165-70867728950E" }, "packetId", /lowercase UUIDv4/],
      ["a negative size", { outputs: { ...outputs, assetSize: -1 } }, "outputs.assetSize", /must not be negative/],
      [
        "a fractional duration",
        { execution: { ...execution, durationMs: 1.5 } },
        "execution.durationMs",
        /unsigned integer/,
      ],
      [
        "a GPU utilisation over 100",
        { execution: { ...execution, gpuUtilization: 101 } },
        "execution.gpuUtilization",
        /at most 100/,
      ],
      ["a negative seed", { inputs: { ...inputs, seed: -1n } }, "inputs.seed", /must not be negative/],
      ["a seed above 2^64 − 1", { inputs: { ...inputs, seed: 2n ** 64n } }, "inputs.seed", /at most 2\^64/],
      ["an unsafe number seed", { inputs: { ...inputs, seed: 2 ** 60 } }, "inputs.seed", /bigint/],
      ["a negative timestamp", { timestamp: -5 }, "timestamp", /must not be negative/],
      // −0 is CBOR f9 8000: accepting it would give these packets a second encoding (docs/decisions/017).
      ["a −0 timestamp", { timestamp: -0 }, "timestamp", /unsigned integer, got −0/],
      ["a −0 duration", { execution: { ...execution, durationMs: -0 } }, "execution.durationMs", /got −0/],
      ["a −0 seed", { inputs: { ...inputs, seed: -0 } }, "inputs.seed", /unsigned integer, got −0/],
      ["a timestamp after year 9999", { timestamp: 253_402_300_800_000 }, "timestamp", /at most 253402300799999/],
      ["an unknown field", { colour: "red" }, "colour", /not a field of a version 1.0 packet/],
      ["an unknown nested field", { outputs: { ...outputs, format: "png" } }, "outputs.format", /not a field/],
      ["another version", { version: "2.0" }, "version", /must be "1.0"/],
      ["a media type without subtype", { outputs: { ...outputs, mimeType: "png" } }, "outputs.mimeType", /media type/],
      [
        "a tagged parameter",
        { inputs: { ...inputs, parameters: { when: new Tagged(1, 5) } } },
        "inputs.parameters.when",
        /tagged/,
      ],
      [
        "an undefined parameter in a list",
        { inputs: { ...inputs, parameters: { steps: [1, undefined] } } },
        "inputs.parameters.steps.1",
        /CBOR value, got a undefined/,
      ],
      [
        "an unsafe integer parameter",
        { inputs: { ...inputs, parameters: { n: 2 ** 55 } } },
        "inputs.parameters.n",
        /bigint/,
      ],
      [
        "parameters that are not a map",
        { inputs: { ...inputs, parameters: [1] } },
        "inputs.parameters",
        /must be a map, got an array/,
      ],
    ];
    for (const [name, overrides, field, problem] of cases) {
      it(`rejects ${name}, naming ${field}`, () => expectFieldError(unsigned(overrides), field, problem));
    }
  });

  describe("createPacket", () => {
    it("signs with the signer's key id and produces bytes whose hash and CID identify them", async () => {
      const { packet, bytes, packetHash } = await createPacket(sampleFields(), fixedSigner());
      expect(packet.signingKeyId).to.equal("studio-key-2026");
      expect(toHex(packetHash)).to.equal(createHash("sha256").update(bytes).digest("hex"));
      const cid = cidFromSha256(packetHash);
      expect(cid).to.match(/^bafkrei[a-z2-7]{52}$/);
      expect(toHex(sha256FromRawCid(cid) as Uint8Array)).to.equal(toHex(packetHash));
    });

    it("fills in a UUIDv4 packetId and the current time when they are absent", async () => {
      const { packetId: _id, timestamp: _time, ...fields } = sampleFields();
      const before = Date.now();
      const { packet } = await createPacket(fields, fixedSigner());
      expect(packet.packetId).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(packet.timestamp).to.be.within(before, Date.now());
    });

    it("writes the same bytes as encoding the signed packet from scratch", async () => {
      const { packet, bytes } = await createPacket(sampleFields(), fixedSigner());
      expect(toHex(encodePacket(packet))).to.equal(toHex(bytes));
    });

    it("produces the pinned known-answer bytes for a fixed packet and the RFC 8032 test key", async () => {
      const { bytes, packet } = await createPacket(sampleFields(), fixedSigner());
      const hex = toHex(bytes);
      // The format's landmarks: a 10-entry map, tag 37 over 16 bytes, tag 1 over a double, cfg 7.5 as a half float.
      expect(hex.slice(0, 2)).to.equal("aa");
      expect(hex).to.include(`d82550${"0f8fad5bd9cb469fa16570867728950e"}`);
      expect(hex).to.include(
        `c1fb${Buffer.from(new Float64Array([1_767_225_600.123]).buffer)
          .reverse()
          .toString("hex")}`,
      );
      expect(hex).to.include(`63636667f94780`);
      expect(hex).to.include(`64736565641b0000011f71fb04cb`); // "seed": 1234567890123 as a uint64
      expect(toHex(packet.signature)).to.have.length(128);
      expect(createHash("sha256").update(bytes).digest("hex")).to.equal(KNOWN_PACKET_HASH);
    });
  });

  describe("decodePacket", () => {
    it("returns the packet that was encoded", async () => {
      const { packet, bytes } = await createPacket(sampleFields(), fixedSigner());
      expect(decodePacket(bytes).packet).to.deep.equal(packet);
    });

    it("rebuilds the exact signed message without re-encoding", async () => {
      const { bytes, packet } = await createPacket(sampleFields(), fixedSigner());
      const { signature: _signature, ...rest } = packet;
      const expected = Buffer.concat([Buffer.from("POP-PACKET-V1\0"), encodeCanonical(decodeAsCbor(rest))]);
      expect(toHex(decodePacket(bytes).signingMessage)).to.equal(expected.toString("hex"));
    });

    it("rejects a timestamp with sub-millisecond precision", () => {
      const map = encodeCanonical({
        ...decodeAsCbor({ ...unsigned(), signature: new Uint8Array(64) }),
        timestamp: new Tagged(1, 1_767_225_600.1234),
      });
      expect(() => decodePacket(map)).to.throw(/whole number of milliseconds/);
    });

    it("rejects a packetId that is not tag 37", () => {
      const map = encodeCanonical({
        ...decodeAsCbor({ ...unsigned(), signature: new Uint8Array(64) }),
        packetId: Buffer.from("0f8fad5bd9cb469fa16570867728950e", "hex"),
      });
      expect(() => decodePacket(map)).to.throw(InvalidPacketError, /tag 37/);
    });
  });

  describe("verifyPacket", () => {
    it("accepts a packet under its signer's public key", async () => {
      const { bytes } = await createPacket(sampleFields(), fixedSigner());
      const result = verifyPacket(bytes, Buffer.from(RFC8032_PUBLIC_1, "hex"));
      expect(result.valid).to.equal(true);
    });

    it("rejects a packet under another key", async () => {
      const { bytes } = await createPacket(sampleFields(), fixedSigner());
      const result = verifyPacket(bytes, new Uint8Array(32).fill(7));
      expect(result).to.include({
        valid: false,
        reason: "the packet signature does not verify under the given public key",
      });
    });
  });
});

/** The CBOR map of a packet, as the codec builds it, for hand-made variants. */
function decodeAsCbor(packet: Record<string, unknown>): Record<string, never> {
  const { packetId, timestamp, ...rest } = packet as { packetId: string; timestamp: number };
  return {
    ...rest,
    packetId: new Tagged(37, Buffer.from(packetId.replaceAll("-", ""), "hex")),
    timestamp: new Tagged(1, timestamp / 1000),
  } as unknown as Record<string, never>;
}

/** SHA-256 of the fixed packet signed by the RFC 8032 key: changes only if the format changes. */
const KNOWN_PACKET_HASH = "8dd80321e0515f8f3627e64324f12214d190ebf7639d13d275e94e3f9136d46f";
