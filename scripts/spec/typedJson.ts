/**
 * The JSON form of packets in spec/vectors (docs/spec.md, "Test vectors"):
 * JSON cannot tell a float from an integer or hold bytes and 64-bit integers,
 * so parameter values that JSON would blur carry a one-key `$` object.
 */
import { toHex } from "../../src/bytes.ts";
import { type CborMap, type CborValue, Tagged } from "../../src/evidence/cbor/types.ts";
import type { EvidencePacket } from "../../src/evidence/packet.ts";

export type TypedJson = null | boolean | number | string | TypedJson[] | { [key: string]: TypedJson };

function floatText(value: number): string {
  if (Object.is(value, -0)) return "-0";
  // Whole floats short enough to write out exactly; the rest as JS prints them ("NaN", "Infinity", "1e+300").
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return BigInt(value).toString();
  return String(value);
}

/** A parameter value in the vectors' typed JSON. */
export function typedValue(value: CborValue): TypedJson {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : { $int: String(value) };
  if (typeof value === "number") {
    // A plain JSON number is an integer when whole and a float otherwise; anything else is spelled out.
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) return value;
    if (Number.isFinite(value) && !Number.isInteger(value)) return value;
    return { $float: floatText(value) };
  }
  if (value instanceof Uint8Array) return { $bytes: toHex(value) };
  if (Array.isArray(value)) return value.map(typedValue);
  if (value instanceof Tagged) throw new Error("tags have no typed JSON form");
  const map = value as CborMap;
  return Object.fromEntries(Object.keys(map).map((key) => [key, typedValue(map[key] as CborValue)]));
}

/** A signed packet in the vectors' JSON form: hashes and signature in hex, the seed as a decimal string. */
export function packetJson(packet: EvidencePacket): TypedJson {
  const { inputs, execution, outputs } = packet;
  return {
    version: packet.version,
    packetId: packet.packetId,
    tenantId: packet.tenantId,
    processId: packet.processId,
    timestamp: packet.timestamp,
    inputs: {
      promptHash: toHex(inputs.promptHash),
      modelId: inputs.modelId,
      seed: inputs.seed.toString(),
      parameters: typedValue(inputs.parameters),
      ...(inputs.assetHashes === undefined ? {} : { assetHashes: inputs.assetHashes.map(toHex) }),
    },
    execution: {
      durationMs: execution.durationMs,
      deviceClass: execution.deviceClass,
      pipelineHash: toHex(execution.pipelineHash),
      ...(execution.gpuUtilization === undefined ? {} : { gpuUtilization: execution.gpuUtilization }),
    },
    outputs: {
      assetHash: toHex(outputs.assetHash),
      assetSize: outputs.assetSize,
      mimeType: outputs.mimeType,
      ...(outputs.resolutionW === undefined ? {} : { resolutionW: outputs.resolutionW }),
      ...(outputs.resolutionH === undefined ? {} : { resolutionH: outputs.resolutionH }),
    },
    signingKeyId: packet.signingKeyId,
    signature: toHex(packet.signature),
  };
}
