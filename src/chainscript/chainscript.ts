import { fromHex } from "../bytes.ts";
import { BaseError } from "../errors.ts";
import { MAX_TIMESTAMP_MS } from "../evidence/packet.ts";
import { isUuidV4 } from "../evidence/uuid.ts";
import { jcs } from "./jcs.ts";

export const CHAINSCRIPT_VERSION = "1.0";

/** One step of a run: a packet, where it sits in the chain, and the chain key's signature over that placement. */
export interface ChainEntry {
  readonly sequence: number;
  readonly packetCid: string;
  /** Hex SHA-256 of the packet bytes. */
  readonly packetHash: string;
  /** `packetHash` of the previous entry; null for entry 0. */
  readonly previousHash: string | null;
  /** The packet's timestamp, in ms. */
  readonly timestamp: number;
  readonly stageId: string;
  /** base64url Ed25519 over `POP-ENTRY-V1\0` ‖ JCS(entry without this field). */
  readonly eddsaSignature: string;
}

/** A run's packets, hash-chained and signed (DESIGN.md, Chainscript). Stored as RFC 8785 JSON. */
export interface Chainscript {
  readonly version: typeof CHAINSCRIPT_VERSION;
  /** UUIDv4 naming the run; anchored on-chain as keccak256(chainId). */
  readonly chainId: string;
  readonly tenantId: string;
  readonly processId: string;
  /** The key that signs entries and the chain. */
  readonly signingKeyId: string;
  readonly entries: readonly ChainEntry[];
  /**
   * Hex SHA-256 of input assets that come from outside the chain. Lineage:
   * every `inputs.assetHashes` item must be an earlier entry's output or listed here.
   */
  readonly externalInputs?: readonly string[];
  /** Hex SHA-256 of the entries' 32-byte packet hashes, concatenated in sequence order. */
  readonly chainHash: string;
  /** base64url Ed25519 over `POP-CHAIN-V1\0` ‖ the 32 chainHash bytes. */
  readonly chainSignature: string;
}

/** A chainscript's JSON does not have the version 1.0 shape. `field` is a dotted path. */
export class InvalidChainscriptError extends BaseError {
  override name = "InvalidChainscriptError";
  readonly field: string;

  constructor(field: string, problem: string) {
    super(`Invalid chainscript field "${field}": ${problem}.`);
    this.field = field;
  }
}

const HASH_HEX = /^[0-9a-f]{64}$/;
type Json = Record<string, unknown>;

function fail(field: string, problem: string): never {
  throw new InvalidChainscriptError(field, problem);
}

function expectKeys(value: Json, field: string, required: readonly string[], optional: readonly string[] = []): void {
  for (const key of required) if (!(key in value)) fail(field === "" ? key : `${field}.${key}`, "is missing");
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key))
      fail(field === "" ? key : `${field}.${key}`, "is not a field of a version 1.0 chainscript");
  }
}

function object(value: unknown, field: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(field, "must be an object");
  return value as Json;
}

function text(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0) fail(field, "must be a non-empty string");
  // JSON's \ud800 escapes parse to lone surrogates, which no UTF-8 (and so no JCS serialization) can hold.
  if (!value.isWellFormed()) fail(field, "contains a lone UTF-16 surrogate");
  return value;
}

function hashHex(value: unknown, field: string): string {
  if (typeof value !== "string" || !HASH_HEX.test(value)) fail(field, "must be 64 lowercase hex digits");
  return value;
}

/**
 * 64 bytes in unpadded base64url: 86 characters, the last holding 4 bits of
 * data and 2 zero bits (so each signature has one spelling). A pattern instead
 * of decoding: a 10,000-entry chainscript has 10,001 of them.
 */
const SIGNATURE_B64URL = /^[A-Za-z0-9_-]{85}[AQgw]$/;

function signature(value: unknown, field: string): string {
  if (typeof value !== "string" || !SIGNATURE_B64URL.test(value)) {
    fail(field, "must be a 64-byte signature in unpadded base64url");
  }
  return value;
}

function uint(value: unknown, field: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    fail(field, "must be an unsigned integer");
  if (value > max) fail(field, `must be at most ${max}`);
  return value;
}

const ENTRY_FIELDS = ["sequence", "packetCid", "packetHash", "previousHash", "timestamp", "stageId", "eddsaSignature"];

function entry(value: unknown, index: number): ChainEntry {
  const field = `entries.${index}`;
  const e = object(value, field);
  expectKeys(e, field, ENTRY_FIELDS);
  return {
    sequence: uint(e.sequence, `${field}.sequence`),
    packetCid: text(e.packetCid, `${field}.packetCid`),
    packetHash: hashHex(e.packetHash, `${field}.packetHash`),
    previousHash: e.previousHash === null ? null : hashHex(e.previousHash, `${field}.previousHash`),
    // A packet's own limit: no packet binds to a later entry, and a later time is not even a valid Date.
    timestamp: uint(e.timestamp, `${field}.timestamp`, MAX_TIMESTAMP_MS),
    stageId: text(e.stageId, `${field}.stageId`),
    eddsaSignature: signature(e.eddsaSignature, `${field}.eddsaSignature`),
  };
}

/**
 * Checks the shape of parsed chainscript JSON (not its hashes or signatures:
 * that is {@link verifyChainscript}'s job).
 *
 * @throws {InvalidChainscriptError} naming the first bad field.
 */
export function validateChainscript(value: unknown): Chainscript {
  const c = object(value, "chainscript");
  expectKeys(
    c,
    "",
    ["version", "chainId", "tenantId", "processId", "signingKeyId", "entries", "chainHash", "chainSignature"],
    ["externalInputs"],
  );
  if (c.version !== CHAINSCRIPT_VERSION) fail("version", `must be "${CHAINSCRIPT_VERSION}"`);
  if (typeof c.chainId !== "string" || !isUuidV4(c.chainId)) fail("chainId", "must be a lowercase UUIDv4");
  if (!Array.isArray(c.entries) || c.entries.length === 0) fail("entries", "must be a non-empty array");
  const result: Chainscript = {
    version: CHAINSCRIPT_VERSION,
    chainId: c.chainId,
    tenantId: text(c.tenantId, "tenantId"),
    processId: text(c.processId, "processId"),
    signingKeyId: text(c.signingKeyId, "signingKeyId"),
    entries: c.entries.map(entry),
    chainHash: hashHex(c.chainHash, "chainHash"),
    chainSignature: signature(c.chainSignature, "chainSignature"),
  };
  if (c.externalInputs === undefined) return result;
  if (!Array.isArray(c.externalInputs) || c.externalInputs.length === 0) {
    fail("externalInputs", "must be a non-empty array of hex hashes (omitted when there are none)");
  }
  const externalInputs = c.externalInputs.map((h, i) => hashHex(h, `externalInputs.${i}`));
  // One spelling per set: sorted and without duplicates, as the builder writes it (docs/decisions/017).
  externalInputs.forEach((h, i) => {
    if (i > 0 && h <= (externalInputs[i - 1] as string))
      fail(`externalInputs.${i}`, "must sort after the one before it");
  });
  return { ...result, externalInputs };
}

/** Parses chainscript bytes (UTF-8 JSON) and checks its shape. */
export function parseChainscript(bytes: Uint8Array): Chainscript {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new InvalidChainscriptError("chainscript", `is not UTF-8 JSON (${(error as Error).message})`);
  }
  return validateChainscript(json);
}

/** The RFC 8785 bytes a chainscript is stored and addressed as. */
export function serializeChainscript(chainscript: Chainscript): Uint8Array {
  return new TextEncoder().encode(jcs(chainscript));
}

/** Bytes of a hex hash already validated by {@link validateChainscript}. */
export const hashBytes = (hex: string): Uint8Array => fromHex(hex) as Uint8Array;
