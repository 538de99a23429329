import { fromHex, toHex } from "../bytes.ts";
import type { CborMap, CborValue } from "./cbor/types.ts";
import { InvalidPacketError } from "./errors.ts";
import type { EvidencePacket } from "./packet.ts";
import type { PacketFields } from "./sign.ts";

/**
 * Parses JSON keeping integers exact: an integer literal beyond 2^53 − 1
 * becomes a bigint instead of a silently rounded number (a 64-bit seed would
 * otherwise lose its last digits).
 */
export function parseJsonExact(text: string): unknown {
  return JSON.parse(text, (_key, value, context?: { source?: string }) => {
    if (typeof value === "number" && !Number.isSafeInteger(value) && context?.source !== undefined) {
      if (/^-?\d+$/.test(context.source)) return BigInt(context.source);
    }
    return value;
  });
}

type Json = Record<string, unknown>;

function hexHash(value: unknown, field: string): Uint8Array {
  const bytes = typeof value === "string" ? fromHex(value) : undefined;
  if (bytes === undefined) throw new InvalidPacketError(field, "must be a SHA-256 hash in hex");
  if (bytes.length !== 32) throw new InvalidPacketError(field, `must be 32 bytes, got ${bytes.length}`);
  return bytes;
}

function section(json: Json, name: string): Json {
  const value = json[name];
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new InvalidPacketError(name, "must be an object");
  return value as Json;
}

function seed(value: unknown): unknown {
  // Seeds may be written as decimal strings, the portable way to carry a 64-bit integer in JSON.
  return typeof value === "string" && /^\d+$/.test(value) ? BigInt(value) : value;
}

/**
 * Packet fields from their JSON form: hashes as hex, the seed as a number or a
 * decimal string. Everything else is checked when the packet is created.
 *
 * @throws {InvalidPacketError} for a hash that is not 32 bytes of hex.
 */
export function packetFieldsFromJson(json: unknown): PacketFields {
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new InvalidPacketError("packet", "must be a JSON object");
  const fields = json as Json;
  if ("signature" in fields || "signingKeyId" in fields) {
    throw new InvalidPacketError(
      "signature" in fields ? "signature" : "signingKeyId",
      "is set by the signing key, not by the input",
    );
  }
  const inputs = section(fields, "inputs");
  const execution = section(fields, "execution");
  const outputs = section(fields, "outputs");
  const assetHashes = inputs.assetHashes;
  return {
    ...fields,
    inputs: {
      ...inputs,
      promptHash: hexHash(inputs.promptHash, "inputs.promptHash"),
      seed: seed(inputs.seed),
      ...(Array.isArray(assetHashes)
        ? { assetHashes: assetHashes.map((h, i) => hexHash(h, `inputs.assetHashes.${i}`)) }
        : {}),
    },
    execution: { ...execution, pipelineHash: hexHash(execution.pipelineHash, "execution.pipelineHash") },
    outputs: { ...outputs, assetHash: hexHash(outputs.assetHash, "outputs.assetHash") },
  } as unknown as PacketFields; // every other field is validated by createPacket
}

/** A value as JSON shows it: bytes in hex (`h'…'` inside parameters, RFC 8949 diagnostic notation), bigints as decimal strings. */
function viewValue(value: CborValue): unknown {
  if (value instanceof Uint8Array) return `h'${toHex(value)}'`;
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(viewValue);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value as CborMap).map(([k, v]) => [k, viewValue(v)]));
  }
  return value;
}

/** The JSON view of a packet (`pop packet inspect`): hashes and signature in hex, the seed as a decimal string. */
export function packetToJson(packet: EvidencePacket): Json {
  const { inputs, execution, outputs } = packet;
  return {
    ...packet,
    timestampIso: new Date(packet.timestamp).toISOString(),
    inputs: {
      ...inputs,
      promptHash: toHex(inputs.promptHash),
      seed: inputs.seed.toString(),
      parameters: viewValue(inputs.parameters),
      ...(inputs.assetHashes ? { assetHashes: inputs.assetHashes.map(toHex) } : {}),
    },
    execution: { ...execution, pipelineHash: toHex(execution.pipelineHash) },
    outputs: { ...outputs, assetHash: toHex(outputs.assetHash) },
    signature: toHex(packet.signature),
  };
}
