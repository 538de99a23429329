/**
 * Fast paths over CID bytes for batch work (a CAR of 10,000 blocks): reading
 * a CID out of a buffer and printing a CIDv1 in its default base32 form cost
 * multiformats several microseconds each, which dominated batch uploads.
 * Results equal multiformats' (a test compares them).
 */
import { CID } from "multiformats/cid";

const BASE32 = Uint8Array.from("abcdefghijklmnopqrstuvwxyz234567", (c) => c.charCodeAt(0));
const codes = new Uint8Array(128);

/**
 * Multibase `b`: the prefix "b" and RFC 4648 base32, lowercase, unpadded. Built as char codes and
 * turned into one flat string: appending character by character makes a rope
 * that V8 must flatten again whenever the string is hashed as a map key.
 */
function multibase32(bytes: Uint8Array): string {
  const length = 1 + Math.ceil((bytes.length * 8) / 5);
  const out = length <= codes.length ? codes : new Uint8Array(length);
  let buffer = 0;
  let bits = 0;
  let o = 0;
  out[o++] = 0x62; // "b"
  for (let i = 0; i < bytes.length; i++) {
    buffer = ((buffer & 0xff) << 8) | (bytes[i] as number);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out[o++] = BASE32[(buffer >>> bits) & 31] as number;
    }
  }
  if (bits > 0) out[o++] = BASE32[(buffer << (5 - bits)) & 31] as number;
  return String.fromCharCode.apply(null, out.subarray(0, o) as unknown as number[]);
}

export interface CidView {
  /** The CID's bytes (a view into the buffer). */
  readonly bytes: Uint8Array;
  /** Its default string form: base32 for CIDv1, base58btc for CIDv0. */
  readonly text: string;
  readonly hashCode: number;
  readonly digest: Uint8Array;
  /** Offset just past the CID. */
  readonly end: number;
}

/** An unsigned LEB128 varint at `offset`: its value and the offset after it. */
export function readVarint(buffer: Uint8Array, offset: number): [value: number, end: number] {
  let value = 0;
  let shift = 0;
  let at = offset;
  for (;;) {
    const byte = buffer[at++];
    if (byte === undefined || shift > 49) throw new RangeError(`truncated varint at byte ${offset}`);
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
}

/**
 * Reads the binary CID that starts at `offset`.
 *
 * @throws {RangeError} when the bytes are not a CID.
 */
export function readCid(buffer: Uint8Array, offset: number): CidView {
  if (buffer[offset] === 0x12 && buffer[offset + 1] === 0x20) {
    // CIDv0: a bare sha2-256 multihash.
    const end = offset + 34;
    if (end > buffer.length) throw new RangeError(`truncated CIDv0 at byte ${offset}`);
    const bytes = buffer.subarray(offset, end);
    return { bytes, text: CID.decode(bytes).toString(), hashCode: 0x12, digest: bytes.subarray(2), end };
  }
  const [version, afterVersion] = readVarint(buffer, offset);
  if (version !== 1) throw new RangeError(`CID version ${version} at byte ${offset}`);
  const [, afterCodec] = readVarint(buffer, afterVersion);
  const [hashCode, afterHash] = readVarint(buffer, afterCodec);
  const [size, digestStart] = readVarint(buffer, afterHash);
  const end = digestStart + size;
  if (end > buffer.length) throw new RangeError(`truncated CID at byte ${offset}`);
  const bytes = buffer.subarray(offset, end);
  return { bytes, text: multibase32(bytes), hashCode, digest: buffer.subarray(digestStart, end), end };
}

/** `cid.toString()` for a CID given as bytes. */
export function cidText(bytes: Uint8Array): string {
  return readCid(bytes, 0).text;
}
