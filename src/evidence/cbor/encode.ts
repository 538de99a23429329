import { UnencodableValueError } from "./errors.ts";
import { isIntegerValued, toHalfBits } from "./float.ts";
import { type CborMap, type CborValue, Tagged } from "./types.ts";

const MAX_UINT64 = 0xffffffffffffffffn;
const MAX_DEPTH = 64;
const utf8 = new TextEncoder();

/**
 * One growable output buffer reused across calls: encoding is synchronous, so
 * a module-level buffer is safe and saves an allocation per packet.
 */
let buf = new Uint8Array(2048);
let view = new DataView(buf.buffer);
let pos = 0;
/** Map keys and array indices from the root to the value being written, for error messages. */
const path: string[] = [];
/** Where {@link encodeCanonicalMap} collects the top-level entries' byte ranges. */
let topSpans: EntrySpan[] | undefined;
let prefixLength = 0;

/** Byte range `[start, end)` of one top-level map entry (key and value) in the CBOR, not counting a prefix. */
export interface EntrySpan {
  readonly key: string;
  readonly start: number;
  readonly end: number;
}

function unencodable(reason: string): never {
  throw new UnencodableValueError(path.join("."), reason);
}

function ensure(extra: number): void {
  if (pos + extra <= buf.length) return;
  let size = buf.length * 2;
  while (size < pos + extra) size *= 2;
  const next = new Uint8Array(size);
  next.set(buf.subarray(0, pos));
  buf = next;
  view = new DataView(buf.buffer);
}

/** Major type and argument in the shortest form (§4.2.1: preferred serialization). */
function writeHeader(major: number, argument: number): void {
  ensure(9);
  const type = major << 5;
  if (argument < 24) {
    buf[pos++] = type | argument;
  } else if (argument < 0x100) {
    buf[pos++] = type | 24;
    buf[pos++] = argument;
  } else if (argument < 0x10000) {
    buf[pos++] = type | 25;
    view.setUint16(pos, argument);
    pos += 2;
  } else if (argument < 0x100000000) {
    buf[pos++] = type | 26;
    view.setUint32(pos, argument);
    pos += 4;
  } else {
    buf[pos++] = type | 27;
    view.setUint32(pos, Math.floor(argument / 0x100000000));
    view.setUint32(pos + 4, argument >>> 0);
    pos += 8;
  }
}

function writeBigHeader(major: number, argument: bigint): void {
  if (argument < 0x100000000n) {
    writeHeader(major, Number(argument));
    return;
  }
  ensure(9);
  buf[pos++] = (major << 5) | 27;
  view.setBigUint64(pos, argument);
  pos += 8;
}

function writeBytes(bytes: Uint8Array): void {
  ensure(bytes.length);
  buf.set(bytes, pos);
  pos += bytes.length;
}

function writeFloat(value: number): void {
  ensure(9);
  const half = toHalfBits(value);
  if (half >= 0) {
    buf[pos++] = 0xf9;
    view.setUint16(pos, half);
    pos += 2;
  } else if (Math.fround(value) === value) {
    buf[pos++] = 0xfa;
    view.setFloat32(pos, value);
    pos += 4;
  } else {
    buf[pos++] = 0xfb;
    view.setFloat64(pos, value);
    pos += 8;
  }
}

function writeNumber(value: number): void {
  if (!isIntegerValued(value)) {
    writeFloat(value);
  } else if (!Number.isSafeInteger(value)) {
    // Whole numbers past 2^53 have usually lost precision already; make the caller say what it means.
    unencodable(`the integer ${value} is beyond 2^53 − 1; pass it as a bigint`);
  } else if (value >= 0) {
    writeHeader(0, value);
  } else {
    writeHeader(1, -1 - value);
  }
}

function writeBigInt(value: bigint): void {
  if (value >= 0n) {
    if (value > MAX_UINT64) unencodable(`the integer ${value} is beyond 2^64 − 1`);
    writeBigHeader(0, value);
  } else {
    if (value < -MAX_UINT64 - 1n) unencodable(`the integer ${value} is below −2^64`);
    writeBigHeader(1, -1n - value);
  }
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

function writeText(text: string): void {
  if (isAscii(text)) {
    writeHeader(3, text.length);
    ensure(text.length);
    for (let i = 0; i < text.length; i++) buf[pos++] = text.charCodeAt(i);
    return;
  }
  // A lone surrogate would be silently replaced by U+FFFD: the bytes would not decode back to the input.
  if (!text.isWellFormed()) unencodable("the text contains a lone UTF-16 surrogate");
  const bytes = utf8.encode(text);
  writeHeader(3, bytes.length);
  writeBytes(bytes);
}

/** Encoded map keys, reused: the same few dozen keys recur in every packet. */
const encodedKeys = new Map<string, Uint8Array>();
const KEY_CACHE_LIMIT = 4096;

/** The complete encoding of `key` as a text string (header and UTF-8). */
function encodeKey(key: string): Uint8Array {
  let encoded = encodedKeys.get(key);
  if (encoded !== undefined) return encoded;
  if (!key.isWellFormed()) unencodable(`the map key ${JSON.stringify(key)} contains a lone UTF-16 surrogate`);
  const bytes = utf8.encode(key);
  const header = bytes.length < 24 ? 1 : bytes.length < 0x100 ? 2 : bytes.length < 0x10000 ? 3 : 5;
  encoded = new Uint8Array(header + bytes.length);
  const out = new DataView(encoded.buffer);
  if (header === 1) {
    encoded[0] = 0x60 | bytes.length;
  } else if (header === 2) {
    encoded.set([0x78, bytes.length]);
  } else if (header === 3) {
    encoded[0] = 0x79;
    out.setUint16(1, bytes.length);
  } else {
    encoded[0] = 0x7a;
    out.setUint32(1, bytes.length);
  }
  encoded.set(bytes, header);
  if (key.length <= 64) {
    if (encodedKeys.size >= KEY_CACHE_LIMIT) encodedKeys.clear();
    encodedKeys.set(key, encoded);
  }
  return encoded;
}

/** Bytewise order of two encodings, which for text keys is shorter-first, then lexicographic (§4.2.1). */
function compareEncoded(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function writeMap(map: CborMap, depth: number): void {
  const keys = Object.keys(map);
  const encoded = keys.map(encodeKey);
  let order: number[] | undefined;
  for (let i = 1; i < encoded.length; i++) {
    // Maps this project builds are already in canonical order; sort only when they are not.
    if (compareEncoded(encoded[i - 1] as Uint8Array, encoded[i] as Uint8Array) > 0) {
      order = keys.map((_, j) => j).sort((x, y) => compareEncoded(encoded[x] as Uint8Array, encoded[y] as Uint8Array));
      break;
    }
  }
  writeHeader(5, keys.length);
  for (let i = 0; i < keys.length; i++) {
    const j = order === undefined ? i : (order[i] as number);
    const key = keys[j] as string;
    const start = pos;
    writeBytes(encoded[j] as Uint8Array);
    path.push(key);
    writeValue(map[key], depth + 1);
    path.pop();
    if (depth === 0) topSpans?.push({ key, start: start - prefixLength, end: pos - prefixLength });
  }
}

function writeObject(value: object, depth: number): void {
  if (value instanceof Uint8Array) {
    writeHeader(2, value.length);
    writeBytes(value);
  } else if (Array.isArray(value)) {
    const items = value as readonly CborValue[];
    writeHeader(4, items.length);
    for (let i = 0; i < items.length; i++) {
      path.push(String(i));
      writeValue(items[i], depth + 1);
      path.pop();
    }
  } else if (value instanceof Tagged) {
    if (!Number.isSafeInteger(value.tag) || value.tag < 0) unencodable(`tag ${value.tag} is not an unsigned integer`);
    writeHeader(6, value.tag);
    writeValue(value.value, depth + 1);
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      unencodable(`a ${value.constructor?.name ?? "object"} is not part of the data model`);
    }
    writeMap(value as CborMap, depth);
  }
}

function writeValue(value: CborValue | undefined, depth: number): void {
  if (depth > MAX_DEPTH) unencodable(`nesting is deeper than ${MAX_DEPTH} levels`);
  switch (typeof value) {
    case "number":
      writeNumber(value);
      break;
    case "string":
      writeText(value);
      break;
    case "bigint":
      writeBigInt(value);
      break;
    case "boolean":
      ensure(1);
      buf[pos++] = value ? 0xf5 : 0xf4;
      break;
    case "object":
      if (value === null) {
        ensure(1);
        buf[pos++] = 0xf6;
      } else {
        writeObject(value, depth);
      }
      break;
    case "undefined":
      unencodable("undefined is not part of the data model");
      break;
    default:
      unencodable(`a ${typeof value} is not part of the data model`);
  }
}

function run(value: CborValue, prefix: Uint8Array | undefined, spans: EntrySpan[] | undefined): Uint8Array {
  pos = 0;
  path.length = 0;
  topSpans = spans;
  prefixLength = prefix?.length ?? 0;
  try {
    if (prefix !== undefined) writeBytes(prefix);
    writeValue(value, 0);
    return buf.slice(0, pos);
  } finally {
    topSpans = undefined;
    // Do not keep a buffer that one large value made big.
    if (buf.length > 1 << 20) {
      buf = new Uint8Array(2048);
      view = new DataView(buf.buffer);
    }
  }
}

/**
 * Encodes a value with RFC 8949 §4.2.1 core deterministic encoding.
 *
 * `prefix` bytes are written before the CBOR (a signing context), which saves
 * a copy when the encoding is about to be signed.
 *
 * @throws {UnencodableValueError} naming the path of a value outside the data model.
 * @example
 * encodeCanonical({ cfg: 7.5 }) // a1 63 63 66 67 f9 47 80
 */
export function encodeCanonical(value: CborValue, prefix?: Uint8Array): Uint8Array {
  return run(value, prefix, undefined);
}

/**
 * Like {@link encodeCanonical} for a map, and also returns where each
 * top-level entry lies, so a caller can splice an entry in without encoding again.
 */
export function encodeCanonicalMap(map: CborMap, prefix?: Uint8Array): { bytes: Uint8Array; spans: EntrySpan[] } {
  const spans: EntrySpan[] = [];
  return { bytes: run(map, prefix, spans), spans };
}
