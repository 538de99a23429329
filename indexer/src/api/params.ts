/**
 * The REST routes' parameters (path, and the list routes' `limit`): what each
 * accepts, its normal form, and the 400 answer for anything else. Pure (no
 * database, no network).
 */
import type { Hex } from "viem";
import { toOnchainId } from "../../../src/anchor/ids.ts";

/** An answer other than 200: the status and a sentence naming the parameter and the problem. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly status: 400 | 404 | 502 | 503;
  constructor(status: 400 | 404 | 502 | 503, message: string) {
    super(message);
    this.status = status;
  }
}

/** The value as a client sent it, shortened for an error message. */
export function quote(value: string): string {
  const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  return JSON.stringify(shown);
}

const BYTES32 = /^0x[0-9a-f]{64}$/i;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const SHA256 = /^(0x)?[0-9a-f]{64}$/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Longest tenant name or job id accepted: longer ones are refused before any query. */
export const MAX_TEXT_ID = 256;

/** A tenant or chain as the routes name it: its on-chain id, and the string id when the client gave it. */
export interface IdParam {
  readonly id: Hex;
  readonly name?: string;
}

function text(value: string, parameter: string, what: string): string {
  if (value.length === 0) throw new ApiError(400, `${parameter} must be ${what}, got an empty string.`);
  if (value.length > MAX_TEXT_ID)
    throw new ApiError(400, `${parameter} must be at most ${MAX_TEXT_ID} characters, got ${value.length}.`);
  if (CONTROL.test(value)) throw new ApiError(400, `${parameter} must not contain control characters.`);
  return value;
}

/**
 * A tenant: its string id (hashed with keccak256 as the registry does), or
 * its bytes32 on-chain id as `0x` and 64 hex digits (as the registry's events
 * show it). A tenant whose string id itself looks like a bytes32 is named by
 * its on-chain id.
 */
export function parseTenant(value: string): IdParam {
  if (BYTES32.test(value)) return { id: value.toLowerCase() as Hex };
  const name = text(value, "tenant", "the tenant's id or its bytes32 on-chain id");
  return { id: toOnchainId(name), name };
}

/**
 * A chain: the chainscript's UUIDv4 (any letter case; chainscripts hold it in
 * lowercase, which is what is hashed) or its bytes32 on-chain id.
 */
export function parseChain(value: string): IdParam {
  if (BYTES32.test(value)) return { id: value.toLowerCase() as Hex };
  if (UUID_V4.test(value)) {
    const uuid = value.toLowerCase();
    return { id: toOnchainId(uuid), name: uuid };
  }
  throw new ApiError(
    400,
    `chainId must be the chain's UUIDv4 (as in its chainscript) or its bytes32 on-chain id (0x and 64 hex digits), got ${quote(value)}.`,
  );
}

/**
 * A SHA-256 digest: 64 hex digits, with or without 0x, any case; returned as
 * lowercase 0x hex. `parameter` names it in the error (the REST path's
 * `sha256`, or a GraphQL filter's argument).
 */
export function parseSha256(value: string, parameter = "sha256"): Hex {
  if (!SHA256.test(value))
    throw new ApiError(400, `${parameter} must be 64 hex digits (with or without 0x), got ${quote(value)}.`);
  return `0x${value.replace(/^0x/i, "").toLowerCase()}`;
}

const HEX_PART = /^(0x)?[0-9a-f]{1,64}$/i;

/**
 * Part of a hex digest, as a filter's `_starts_with`, `_contains` or
 * `_ends_with` takes it: 1 to 64 hex digits, with or without 0x, any case;
 * returned lowercase, 0x kept when given.
 */
export function parseHexPart(value: string, parameter: string): string {
  if (!HEX_PART.test(value))
    throw new ApiError(400, `${parameter} must be 1 to 64 hex digits (with or without 0x), got ${quote(value)}.`);
  return value.toLowerCase();
}

/** A GPU job id: any text of 1 to 256 characters without control characters, matched exactly. */
export function parseJobId(value: string): string {
  return text(value, "jobId", "a job id");
}

/**
 * The list routes' `limit`: items answered when none is asked for, and the most that may be. A list longer
 * than the limit is cut, and the answer says so (`truncated`).
 */
export const LIST_LIMIT = { default: 100, max: 1000 } as const;

/** The `limit` query parameter as Hono gives it (every value of it in the query string, or undefined). */
export function parseLimit(values: readonly string[] | undefined): number {
  const [value, ...more] = values ?? [];
  if (value === undefined) return LIST_LIMIT.default;
  if (more.length > 0) throw new ApiError(400, `limit must be given once, got ${more.length + 1} values.`);
  const limit = /^[0-9]{1,7}$/.test(value) ? Number(value) : Number.NaN;
  if (!(limit >= 1 && limit <= LIST_LIMIT.max))
    throw new ApiError(400, `limit must be a whole number from 1 to ${LIST_LIMIT.max}, got ${quote(value)}.`);
  return limit;
}

const MAX_UINT256 = 2n ** 256n - 1n;

/**
 * An ERC-1155 token id from `/metadata/{id}.json`: exactly 64 hex digits (the
 * `{id}` substitution ERC-1155 clients make: lowercase, zero-padded, no 0x;
 * any case accepted), `0x` and 1 to 64 hex digits, or a decimal number. A
 * 64-character string of decimal digits is read as hex, as ERC-1155 asks.
 */
export function parseTokenId(value: string): bigint {
  const id = /^[0-9a-f]{64}$/i.test(value)
    ? BigInt(`0x${value}`)
    : /^0x[0-9a-f]{1,64}$/i.test(value)
      ? BigInt(value)
      : /^[0-9]{1,78}$/.test(value)
        ? BigInt(value)
        : undefined;
  if (id === undefined || id > MAX_UINT256)
    throw new ApiError(
      400,
      `id must be a token id as 64 hex digits (the ERC-1155 {id} form), 0x hex, or a decimal uint256, got ${quote(value)}.`,
    );
  return id;
}

/** The ERC-1155 `{id}` form of a token id: lowercase hex, zero-padded to 64 digits, no 0x. */
export function tokenIdHex(id: bigint): string {
  return id.toString(16).padStart(64, "0");
}
