/** Packet and timestamp vectors (spec/vectors/packets.json, timestamps.json), made with the project's own code. */
import { sha256 } from "#crypto";
import { toHex } from "../../src/bytes.ts";
import { encodeCanonical } from "../../src/evidence/cbor/encode.ts";
import { type CborValue, Tagged } from "../../src/evidence/cbor/types.ts";
import { cidFromSha256 } from "../../src/evidence/cid.ts";
import { decodePacket } from "../../src/evidence/codec.ts";
import { MAX_TIMESTAMP_MS } from "../../src/evidence/packet.ts";
import { createPacket, type PacketFields, type SignedPacket } from "../../src/evidence/sign.ts";
import { type KeyName, signer } from "./keys.ts";
import { packetJson, type TypedJson } from "./typedJson.ts";

const utf8 = new TextEncoder();
/** SHA-256 of a label: a stand-in for a real asset's hash, reproducible from its name. */
export const hashOf = (label: string): Uint8Array => sha256(utf8.encode(label));

export interface ValidPacketVector {
  readonly name: string;
  readonly description: string;
  readonly key: KeyName;
  readonly packet: TypedJson;
  readonly signingMessage: string;
  readonly cbor: string;
  readonly packetHash: string;
  readonly packetCid: string;
}

export function lighthouseFields(overrides: Partial<PacketFields> = {}): PacketFields {
  return {
    packetId: "0f8fad5b-d9cb-469f-a165-70867728950e",
    timestamp: 1_767_225_600_000,
    tenantId: "studio-aurora",
    processId: "sdxl-batch-v3",
    inputs: {
      promptHash: hashOf("a lighthouse at dusk, oil on canvas"),
      modelId: "stabilityai/sdxl-base-1.0@462165984030",
      seed: 0n,
      parameters: {},
    },
    execution: { durationMs: 4_210, deviceClass: "H100", pipelineHash: hashOf("pipeline.yaml v3") },
    outputs: { assetHash: hashOf("lighthouse.png"), assetSize: 1_874_223, mimeType: "image/png" },
    ...overrides,
  };
}

const FULL: PacketFields = lighthouseFields({
  packetId: "3b241101-e2bb-4255-8caf-4136c566a962",
  timestamp: 1_767_225_605_000,
  inputs: {
    promptHash: hashOf("a lighthouse at dusk, oil on canvas"),
    modelId: "stabilityai/sdxl-base-1.0@462165984030",
    seed: 1_234_567_890_123n,
    parameters: { cfg: 7.5, steps: 30, sampler: "dpmpp_2m", width: 1024, height: 1024 },
    assetHashes: [hashOf("lighthouse.png"), hashOf("style-reference.jpg")],
  },
  execution: { durationMs: 4_210, deviceClass: "H100", pipelineHash: hashOf("pipeline.yaml v3"), gpuUtilization: 93 },
  outputs: {
    assetHash: hashOf("lighthouse@4x.png"),
    assetSize: 7_340_112,
    mimeType: "image/png",
    resolutionW: 4096,
    resolutionH: 4096,
  },
});

const VALID: readonly { name: string; description: string; key: KeyName; fields: PacketFields }[] = [
  {
    name: "minimal",
    description:
      "Only the required fields; empty parameters; seed 0; a whole-second timestamp (Tag 1 over an integer).",
    key: "key-1",
    fields: lighthouseFields(),
  },
  {
    name: "all-optional-fields",
    description: "inputs.assetHashes, execution.gpuUtilization, outputs.resolutionW/H present; typical parameters.",
    key: "key-1",
    fields: FULL,
  },
  {
    name: "fractional-timestamp",
    description: "A timestamp with milliseconds: Tag 1 over 1767225600.123, which only a float64 holds exactly.",
    key: "key-1",
    fields: lighthouseFields({ packetId: "9c5b94b1-35ad-49bb-b118-8e8fc24abf80", timestamp: 1_767_225_600_123 }),
  },
  {
    name: "seed-uint64-max",
    description: "seed 2^64 − 1 (1b ffffffffffffffff); a media type with a parameter; another key.",
    key: "key-2",
    fields: lighthouseFields({
      packetId: "6ba7b810-9dad-41d1-80b4-00c04fd430c8",
      tenantId: "legal-team",
      processId: "contract-summary-v2",
      timestamp: 1_767_229_200_000,
      inputs: {
        promptHash: hashOf("Summarise the contract in plain English."),
        modelId: "llama-3.1-70b-instruct@7c4f21",
        seed: 18_446_744_073_709_551_615n,
        parameters: { temperature: 0.2, maxTokens: 1024 },
      },
      execution: { durationMs: 5_120, deviceClass: "H100", pipelineHash: hashOf("summarise.yaml"), gpuUtilization: 88 },
      outputs: { assetHash: hashOf("summary.md"), assetSize: 2_311, mimeType: "text/markdown; charset=utf-8" },
    }),
  },
  {
    name: "float-widths",
    description:
      "Parameters needing float16, float32 and float64; −0 (f9 8000); NaN, ±Infinity (float16); 2^64 and 1e300, whole numbers outside the integer range, as floats.",
    key: "key-1",
    fields: lighthouseFields({
      packetId: "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
      inputs: {
        ...lighthouseFields().inputs,
        parameters: {
          half: 7.5,
          halfNegative: -0.25,
          halfSubnormal: 2 ** -24,
          single: 100000.5,
          singlePi: Math.fround(Math.PI),
          double: 0.1,
          doublePi: Math.PI,
          negativeZero: -0,
          nan: Number.NaN,
          infinity: Number.POSITIVE_INFINITY,
          minusInfinity: Number.NEGATIVE_INFINITY,
          twoTo64: 2 ** 64,
          huge: 1e300,
        },
      },
    }),
  },
  {
    name: "nested-parameters",
    description:
      "Nested maps and arrays (limit: 1 inside 31 arrays, 32 levels below parameters), key order (shorter key first, then bytewise; the empty key first), integers at every header width, the 64-bit bounds, bytes, UTF-8 text, and a non-ASCII tenant id.",
    key: "key-3",
    fields: lighthouseFields({
      packetId: "a8098c1a-f86e-41d1-8a3b-8f7f7b2a3e6c",
      tenantId: "atelier-ünïcode",
      inputs: {
        ...lighthouseFields().inputs,
        seed: 42n,
        parameters: {
          z: { bytes: Uint8Array.of(0x00, 0xff), deep: [[{ k: [] }]], maxUint64: 18_446_744_073_709_551_615n },
          ab: [0, 23, 24, 255, 256, 65535, 65536, 4294967295, 4294967296, 9_007_199_254_740_993n],
          aa: null,
          b: true,
          "": "the empty key sorts first",
          é: "café ☕ 🚀",
          negatives: [-1, -24, -25, -256, -257, -9_007_199_254_740_993n, -18_446_744_073_709_551_616n],
          off: false,
          limit: nest(31),
        },
      },
    }),
  },
];

/** `1` inside `levels` nested arrays: it lies `levels` + 1 levels below parameters. */
export function nest(levels: number): CborValue {
  let value: CborValue = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

function vectorOf(name: string, description: string, key: KeyName, signed: SignedPacket): ValidPacketVector {
  return {
    name,
    description,
    key,
    packet: packetJson(signed.packet),
    signingMessage: toHex(decodePacket(signed.bytes).signingMessage),
    cbor: toHex(signed.bytes),
    packetHash: toHex(signed.packetHash),
    packetCid: cidFromSha256(signed.packetHash),
  };
}

export async function validPackets(): Promise<{ vectors: ValidPacketVector[]; signed: Map<string, SignedPacket> }> {
  const vectors: ValidPacketVector[] = [];
  const signed = new Map<string, SignedPacket>();
  for (const { name, description, key, fields } of VALID) {
    const packet = await createPacket(fields, signer(key));
    signed.set(name, packet);
    vectors.push(vectorOf(name, description, key, packet));
  }
  return { vectors, signed };
}

export interface TimestampVector {
  readonly ms: number;
  readonly iso: string;
  readonly seconds: string;
  readonly cbor: string;
}

/** ms → Tag 1 encodings across every width the rule can produce. */
export function timestampVectors(): TimestampVector[] {
  const values = [
    0,
    1,
    500,
    1000,
    1500,
    100_250,
    4_194_304_500,
    1_767_225_600_000,
    1_767_225_600_123,
    1_767_225_600_500,
    MAX_TIMESTAMP_MS - 999,
    MAX_TIMESTAMP_MS,
  ];
  return values.map((ms) => ({
    ms,
    iso: new Date(ms).toISOString(),
    seconds: String(ms / 1000),
    cbor: toHex(encodeCanonical(new Tagged(1, ms / 1000))),
  }));
}
