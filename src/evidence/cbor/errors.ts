import { BaseError } from "../../errors.ts";

/** The bytes are not well-formed CBOR (truncated, reserved values, invalid UTF-8, trailing bytes). */
export class MalformedCborError extends BaseError {
  override name = "MalformedCborError";
  readonly offset: number;

  constructor(reason: string, offset: number) {
    super(`Malformed CBOR at byte ${offset}: ${reason}.`);
    this.offset = offset;
  }
}

/**
 * The bytes are well-formed CBOR but not the RFC 8949 §4.2.1 deterministic
 * encoding of what they decode to, or use something the format forbids.
 */
export class NonCanonicalEncodingError extends BaseError {
  override name = "NonCanonicalEncodingError";
  readonly offset: number;

  constructor(reason: string, offset: number) {
    super(`Non-canonical CBOR at byte ${offset}: ${reason}.`);
    this.offset = offset;
  }
}

/** A value cannot be represented in the project's CBOR data model. */
export class UnencodableValueError extends BaseError {
  override name = "UnencodableValueError";
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string) {
    super(`Cannot encode ${path === "" ? "value" : `"${path}"`} as CBOR: ${reason}.`);
    this.path = path;
    this.reason = reason;
  }
}
