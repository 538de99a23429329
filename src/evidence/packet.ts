import { type CborMap, Tagged } from "./cbor/types.ts";
import { InvalidPacketError } from "./errors.ts";
import { isUuidV4 } from "./uuid.ts";

/** The only packet format version this code reads and writes. */
export const PACKET_VERSION = "1.0";
const MAX_UINT64 = 0xffffffffffffffffn;
/**
 * 9999-12-31T23:59:59.999Z. Tag 1 holds seconds, so ms must survive ms/1000 as
 * a double and back: exact for every ms up to here (a property test covers the
 * range), not for the far end of what a Date holds.
 */
export const MAX_TIMESTAMP_MS = 253_402_300_799_999;
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(?:\s*;.*)?$/i;

export interface PacketInputs {
  /** SHA-256 of the normalised (NFC, trimmed) prompt. */
  readonly promptHash: Uint8Array;
  readonly modelId: string;
  readonly seed: bigint;
  /** Every non-default parameter. */
  readonly parameters: CborMap;
  /** SHA-256 of each input asset: lineage to an earlier stage's output or an external input. */
  readonly assetHashes?: readonly Uint8Array[];
}

export interface PacketExecution {
  readonly durationMs: number;
  readonly deviceClass: string;
  readonly pipelineHash: Uint8Array;
  /** Percent, 0–100. */
  readonly gpuUtilization?: number;
}

export interface PacketOutputs {
  /** SHA-256 of the raw output bytes. */
  readonly assetHash: Uint8Array;
  readonly assetSize: number;
  readonly mimeType: string;
  readonly resolutionW?: number;
  readonly resolutionH?: number;
}

/** An evidence packet before signing: what the signature covers. */
export interface UnsignedPacket {
  readonly version: typeof PACKET_VERSION;
  /** UUIDv4, lowercase. */
  readonly packetId: string;
  readonly tenantId: string;
  readonly processId: string;
  /** Creation time in milliseconds since the Unix epoch. */
  readonly timestamp: number;
  readonly inputs: PacketInputs;
  readonly execution: PacketExecution;
  readonly outputs: PacketOutputs;
  readonly signingKeyId: string;
}

/** A signed evidence packet (DESIGN.md, Formats). */
export interface EvidencePacket extends UnsignedPacket {
  /** Ed25519 over `POP-PACKET-V1\0` ‖ deterministic CBOR of the packet without this field. */
  readonly signature: Uint8Array;
}

type Fields = Record<string, unknown>;

function fail(field: string, problem: string): never {
  throw new InvalidPacketError(field, problem);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return "an array";
  if (value instanceof Tagged) return `tag ${value.tag}`;
  if (typeof value === "object") return "a map";
  return `a ${typeof value}`;
}

function record(value: unknown, field: string): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    fail(field, `must be a map, got ${describe(value)}`);
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) fail(field, `must be a map, got ${describe(value)}`);
  return value as Fields;
}

function path(parent: string, key: string): string {
  return parent === "" ? key : `${parent}.${key}`;
}

/** Rejects unknown fields and missing required ones, naming the first. */
function expectKeys(fields: Fields, parent: string, required: readonly string[], optional: readonly string[]): void {
  for (const key of required) {
    if (fields[key] === undefined) fail(path(parent, key), "is missing");
  }
  for (const key of Object.keys(fields)) {
    if (!required.includes(key) && !optional.includes(key))
      fail(path(parent, key), "is not a field of a version 1.0 packet");
  }
}

function text(fields: Fields, key: string, parent: string): string {
  const value = fields[key];
  if (typeof value !== "string") fail(path(parent, key), `must be a text string, got ${describe(value)}`);
  if (value.length === 0) fail(path(parent, key), "must not be empty");
  if (!value.isWellFormed()) fail(path(parent, key), "contains a lone UTF-16 surrogate");
  return value;
}

function hash(value: unknown, field: string): Uint8Array {
  if (!(value instanceof Uint8Array)) fail(field, `must be a 32-byte hash, got ${describe(value)}`);
  if (value.length !== 32) fail(field, `must be 32 bytes, got ${value.length}`);
  return value;
}

function uint(fields: Fields, key: string, parent: string, max = Number.MAX_SAFE_INTEGER): number {
  const value = fields[key];
  const field = path(parent, key);
  if (typeof value === "bigint" && value >= 0n && value <= BigInt(max)) return Number(value);
  // −0 is whole but CBOR writes it as the float f9 80 00, never as an integer: it would be a second encoding of 0.
  if (typeof value !== "number" || !Number.isInteger(value) || Object.is(value, -0))
    fail(field, `must be an unsigned integer, got ${Object.is(value, -0) ? "−0" : describe(value)}`);
  if (value < 0) fail(field, `must not be negative, got ${value}`);
  if (value > max) fail(field, `must be at most ${max}, got ${value}`);
  return value;
}

function seed(value: unknown, field: string): bigint {
  if (typeof value === "number") {
    // −0 would become seed 0 here while its CBOR is a float: a second encoding of the same packet.
    if (Object.is(value, -0)) fail(field, "must be an unsigned integer, got −0");
    if (!Number.isSafeInteger(value))
      fail(field, "must be an unsigned integer (pass seeds above 2^53 − 1 as a bigint)");
    value = BigInt(value);
  }
  if (typeof value !== "bigint") fail(field, `must be an unsigned integer, got ${describe(value)}`);
  if (value < 0n) fail(field, `must not be negative, got ${value}`);
  if (value > MAX_UINT64) fail(field, "must be at most 2^64 − 1");
  return value;
}

/** Parameter values: the CBOR data model without tags (a tag there would have no agreed meaning). */
function checkParameter(value: unknown, field: string, depth: number): void {
  if (depth > 32) fail(field, "nests deeper than 32 levels");
  switch (typeof value) {
    case "string":
      if (!value.isWellFormed()) fail(field, "contains a lone UTF-16 surrogate");
      return;
    case "boolean":
    case "bigint":
      if (typeof value === "bigint" && (value > MAX_UINT64 || value < -MAX_UINT64 - 1n)) {
        fail(field, "is outside the 64-bit integer range");
      }
      return;
    case "number":
      if (Number.isInteger(value) && !Number.isSafeInteger(value) && Math.abs(value) < 2 ** 64) {
        fail(field, "is an integer beyond 2^53 − 1; pass it as a bigint");
      }
      return;
    case "object":
      break;
    default:
      fail(field, `must be a CBOR value, got ${describe(value)}`);
  }
  if (value === null || value instanceof Uint8Array) return;
  if (value instanceof Tagged) fail(field, "must not be a tagged value");
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) checkParameter(item, `${field}.${i}`, depth + 1);
    return;
  }
  const map = record(value, field);
  for (const key of Object.keys(map)) checkParameter(map[key], path(field, key), depth + 1);
}

function inputs(value: unknown): PacketInputs {
  const fields = record(value, "inputs");
  expectKeys(fields, "inputs", ["promptHash", "modelId", "seed", "parameters"], ["assetHashes"]);
  const parameters = record(fields.parameters, "inputs.parameters");
  checkParameter(parameters, "inputs.parameters", 0);
  const result = {
    promptHash: hash(fields.promptHash, "inputs.promptHash"),
    modelId: text(fields, "modelId", "inputs"),
    seed: seed(fields.seed, "inputs.seed"),
    parameters: parameters as CborMap,
  };
  if (fields.assetHashes === undefined) return result;
  if (!Array.isArray(fields.assetHashes)) {
    fail("inputs.assetHashes", `must be an array of 32-byte hashes, got ${describe(fields.assetHashes)}`);
  }
  const assetHashes = fields.assetHashes.map((item: unknown, i: number) => hash(item, `inputs.assetHashes.${i}`));
  return { ...result, assetHashes };
}

function execution(value: unknown): PacketExecution {
  const fields = record(value, "execution");
  expectKeys(fields, "execution", ["durationMs", "deviceClass", "pipelineHash"], ["gpuUtilization"]);
  const result = {
    durationMs: uint(fields, "durationMs", "execution"),
    deviceClass: text(fields, "deviceClass", "execution"),
    pipelineHash: hash(fields.pipelineHash, "execution.pipelineHash"),
  };
  if (fields.gpuUtilization === undefined) return result;
  return { ...result, gpuUtilization: uint(fields, "gpuUtilization", "execution", 100) };
}

function outputs(value: unknown): PacketOutputs {
  const fields = record(value, "outputs");
  expectKeys(fields, "outputs", ["assetHash", "assetSize", "mimeType"], ["resolutionW", "resolutionH"]);
  const mimeType = text(fields, "mimeType", "outputs");
  if (!MIME_TYPE.test(mimeType))
    fail("outputs.mimeType", `must be a media type such as "image/png", got "${mimeType}"`);
  const result: {
    assetHash: Uint8Array;
    assetSize: number;
    mimeType: string;
    resolutionW?: number;
    resolutionH?: number;
  } = {
    assetHash: hash(fields.assetHash, "outputs.assetHash"),
    assetSize: uint(fields, "assetSize", "outputs"),
    mimeType,
  };
  if (fields.resolutionW !== undefined) result.resolutionW = uint(fields, "resolutionW", "outputs", 0xffffffff);
  if (fields.resolutionH !== undefined) result.resolutionH = uint(fields, "resolutionH", "outputs", 0xffffffff);
  return result;
}

const TOP_REQUIRED = [
  "version",
  "packetId",
  "tenantId",
  "processId",
  "timestamp",
  "inputs",
  "execution",
  "outputs",
  "signingKeyId",
] as const;

function validate(value: unknown, signed: boolean): EvidencePacket | UnsignedPacket {
  const fields = record(value, "packet");
  expectKeys(fields, "", signed ? [...TOP_REQUIRED, "signature"] : TOP_REQUIRED, []);
  if (fields.version !== PACKET_VERSION) {
    // Not String(version): a decoded map with a "toString" key makes String() throw a TypeError.
    const got = typeof fields.version === "string" ? JSON.stringify(fields.version) : describe(fields.version);
    fail("version", `must be "${PACKET_VERSION}", got ${got}`);
  }
  const packetId = fields.packetId;
  if (typeof packetId !== "string" || !isUuidV4(packetId)) {
    fail(
      "packetId",
      `must be a lowercase UUIDv4, got ${typeof packetId === "string" ? `"${packetId}"` : describe(packetId)}`,
    );
  }
  const unsigned: UnsignedPacket = {
    version: PACKET_VERSION,
    packetId,
    tenantId: text(fields, "tenantId", ""),
    processId: text(fields, "processId", ""),
    timestamp: uint(fields, "timestamp", "", MAX_TIMESTAMP_MS),
    inputs: inputs(fields.inputs),
    execution: execution(fields.execution),
    outputs: outputs(fields.outputs),
    signingKeyId: text(fields, "signingKeyId", ""),
  };
  if (!signed) return unsigned;
  const signature = fields.signature;
  if (!(signature instanceof Uint8Array) || signature.length !== 64) {
    fail("signature", `must be a 64-byte Ed25519 signature, got ${describe(signature)}`);
  }
  return { ...unsigned, signature };
}

/**
 * Checks every field of an unsigned packet and returns a normalised copy
 * (seed as bigint, optional fields only when present).
 *
 * @throws {InvalidPacketError} naming the first bad field.
 */
export function validateUnsignedPacket(value: unknown): UnsignedPacket {
  return validate(value, false);
}

/** Like {@link validateUnsignedPacket}, and requires a 64-byte signature. */
export function validatePacket(value: unknown): EvidencePacket {
  return validate(value, true) as EvidencePacket;
}
