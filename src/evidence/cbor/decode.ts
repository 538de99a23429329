import type { EntrySpan } from "./encode.ts";
import { MalformedCborError, NonCanonicalEncodingError } from "./errors.ts";
import { fromHalfBits, isIntegerValued, toHalfBits } from "./float.ts";
import { type CborMap, type CborValue, Tagged } from "./types.ts";

const MAX_DEPTH = 64;
// ignoreBOM keeps a leading U+FEFF as content instead of silently dropping it (which would be lossy).
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const NO_TAGS: ReadonlySet<number> = new Set();

export interface DecodeCanonicalOptions {
  /** Tags that may appear; any other tag is rejected. Default: none. */
  readonly allowedTags?: ReadonlySet<number>;
}

interface State {
  bytes: Uint8Array;
  view: DataView;
  pos: number;
  tags: ReadonlySet<number>;
}

function nonCanonical(state: State, reason: string, at = state.pos): never {
  throw new NonCanonicalEncodingError(reason, at);
}

function malformed(state: State, reason: string, at = state.pos): never {
  throw new MalformedCborError(reason, at);
}

function need(state: State, count: number): void {
  if (state.pos + count > state.bytes.length) {
    malformed(state, `needs ${count} more byte(s) but the input ends at byte ${state.bytes.length}`);
  }
}

/**
 * Reads the argument of a header whose initial byte was at `start`, refusing
 * any encoding longer than the shortest one (§4.2.1: preferred serialization).
 * Returns a number when it fits 2^53 − 1, else a bigint.
 */
function readArgument(state: State, info: number, start: number): number | bigint {
  if (info < 24) return info;
  let value: number | bigint;
  let minimum: number;
  switch (info) {
    case 24:
      need(state, 1);
      value = state.bytes[state.pos] as number;
      state.pos += 1;
      minimum = 24;
      break;
    case 25:
      need(state, 2);
      value = state.view.getUint16(state.pos);
      state.pos += 2;
      minimum = 0x100;
      break;
    case 26:
      need(state, 4);
      value = state.view.getUint32(state.pos);
      state.pos += 4;
      minimum = 0x10000;
      break;
    case 27: {
      need(state, 8);
      const big = state.view.getBigUint64(state.pos);
      state.pos += 8;
      value = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
      minimum = 0x100000000;
      break;
    }
    case 31:
      return nonCanonical(state, "indefinite-length items are not allowed", start);
    default:
      return malformed(state, `additional information ${info} is reserved`, start);
  }
  if (value < minimum) nonCanonical(state, `the argument ${value} is not in its shortest form`, start);
  return value;
}

function readLength(state: State, info: number, start: number): number {
  const length = readArgument(state, info, start);
  // Every item takes at least one byte, so a length past the input is a lie, not a reason to allocate.
  if (typeof length === "bigint" || length > state.bytes.length - state.pos) {
    malformed(state, `the length ${length} runs past the end of the input`, start);
  }
  return length;
}

/**
 * Short ASCII strings recur in every packet (all map keys, most ids), so they
 * are interned by an FNV-1a hash of their bytes and checked byte for byte.
 */
const internedText = new Map<number, { bytes: Uint8Array; text: string }>();
const INTERN_LIMIT = 4096;

function readShortAscii(bytes: Uint8Array, start: number, end: number): string {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ (bytes[i] as number), 16777619);
  const cached = internedText.get(hash);
  if (cached !== undefined && compareRanges(cached.bytes, 0, cached.bytes.length, start, end, bytes) === 0) {
    return cached.text;
  }
  const text = String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  if (internedText.size >= INTERN_LIMIT) internedText.clear();
  internedText.set(hash, { bytes: bytes.slice(start, end), text });
  return text;
}

function readText(state: State, length: number, start: number): string {
  const { bytes } = state;
  const end = state.pos + length;
  let ascii = true;
  for (let i = state.pos; i < end; i++) {
    if ((bytes[i] as number) > 0x7f) {
      ascii = false;
      break;
    }
  }
  let text: string;
  if (ascii && length <= 32) {
    text = readShortAscii(bytes, state.pos, end);
  } else {
    try {
      text = utf8.decode(bytes.subarray(state.pos, end));
    } catch {
      return malformed(state, "the text string is not valid UTF-8", start);
    }
  }
  state.pos = end;
  return text;
}

/** Bytewise order of `a[a0, a1)` and `b[b0, b1)` (`b` defaults to `a`). */
function compareRanges(a: Uint8Array, a0: number, a1: number, b0: number, b1: number, b = a): number {
  const la = a1 - a0;
  const lb = b1 - b0;
  const n = Math.min(la, lb);
  for (let i = 0; i < n; i++) {
    const d = (a[a0 + i] as number) - (b[b0 + i] as number);
    if (d !== 0) return d;
  }
  return la - lb;
}

function setEntry(map: Record<string, CborValue>, key: string, value: CborValue): void {
  // Plain assignment of "__proto__" would replace the prototype instead of adding an entry.
  if (key === "__proto__") {
    Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    map[key] = value;
  }
}

function readMap(state: State, count: number, depth: number, spans: EntrySpan[] | undefined): CborMap {
  const map: Record<string, CborValue> = {};
  let previousStart = -1;
  let previousEnd = -1;
  for (let i = 0; i < count; i++) {
    const keyStart = state.pos;
    need(state, 1);
    const initial = state.bytes[state.pos] as number;
    if (initial >> 5 !== 3) nonCanonical(state, "map keys must be text strings");
    state.pos += 1;
    const key = readText(state, readLength(state, initial & 0x1f, keyStart), keyStart);
    const keyEnd = state.pos;
    if (previousStart >= 0) {
      const order = compareRanges(state.bytes, previousStart, previousEnd, keyStart, keyEnd);
      if (order === 0) nonCanonical(state, `the map key "${key}" appears twice`, keyStart);
      if (order > 0) nonCanonical(state, `the map key "${key}" is out of order`, keyStart);
    }
    previousStart = keyStart;
    previousEnd = keyEnd;
    setEntry(map, key, readItem(state, depth + 1));
    spans?.push({ key, start: keyStart, end: state.pos });
  }
  return map;
}

function readFloat(state: State, info: number, start: number): number {
  let value: number;
  if (info === 25) {
    need(state, 2);
    const bits = state.view.getUint16(state.pos);
    state.pos += 2;
    value = fromHalfBits(bits);
    if (Number.isNaN(value) && bits !== 0x7e00) nonCanonical(state, "NaN must be encoded as f9 7e 00", start);
  } else if (info === 26) {
    need(state, 4);
    value = state.view.getFloat32(state.pos);
    state.pos += 4;
    if (toHalfBits(value) >= 0) nonCanonical(state, `the float ${value} fits in half precision`, start);
  } else {
    need(state, 8);
    value = state.view.getFloat64(state.pos);
    state.pos += 8;
    if (Number.isNaN(value) || Math.fround(value) === value) {
      nonCanonical(state, `the float ${value} fits in a shorter precision`, start);
    }
  }
  if (isIntegerValued(value)) nonCanonical(state, `the whole number ${value} must be encoded as an integer`, start);
  return value;
}

function readSimple(state: State, info: number, start: number): CborValue {
  switch (info) {
    case 20:
      return false;
    case 21:
      return true;
    case 22:
      return null;
    case 23:
      return nonCanonical(state, "undefined is not allowed", start);
    case 25:
    case 26:
    case 27:
      return readFloat(state, info, start);
    case 31:
      return malformed(state, "a break code outside an indefinite-length item", start);
    default: {
      if (info >= 28) return malformed(state, `additional information ${info} is reserved`, start);
      if (info < 24) return nonCanonical(state, `simple value ${info} is not allowed`, start);
      // f8 carries the simple value in the next byte, which a truncated input lacks.
      need(state, 1);
      const value = state.bytes[state.pos] as number;
      // RFC 8949 §3.3: f8 00–f8 1f are not well-formed (those values have a one-byte form).
      if (value < 32) return malformed(state, `simple value ${value} in the two-byte form`, start);
      return nonCanonical(state, `simple value ${value} is not allowed`, start);
    }
  }
}

function readItem(state: State, depth: number, spans?: EntrySpan[]): CborValue {
  if (depth > MAX_DEPTH) nonCanonical(state, `nesting is deeper than ${MAX_DEPTH} levels`);
  const start = state.pos;
  need(state, 1);
  const initial = state.bytes[state.pos] as number;
  state.pos += 1;
  const major = initial >> 5;
  const info = initial & 0x1f;
  // Only strings, arrays and maps have an indefinite-length form; elsewhere info 31 is not well-formed.
  if (info === 31 && (major <= 1 || major === 6))
    malformed(state, `major type ${major} has no indefinite-length form`, start);
  switch (major) {
    case 0:
      return readArgument(state, info, start);
    case 1: {
      const n = readArgument(state, info, start);
      return typeof n === "number" && n < Number.MAX_SAFE_INTEGER ? -1 - n : normalise(-1n - BigInt(n));
    }
    case 2: {
      const length = readLength(state, info, start);
      const value = state.bytes.slice(state.pos, state.pos + length);
      state.pos += length;
      return value;
    }
    case 3:
      return readText(state, readLength(state, info, start), start);
    case 4: {
      const count = readLength(state, info, start);
      const items = new Array<CborValue>(count);
      for (let i = 0; i < count; i++) items[i] = readItem(state, depth + 1);
      return items;
    }
    case 5:
      return readMap(state, readLength(state, info, start), depth, spans);
    case 6: {
      const tag = readArgument(state, info, start);
      if (typeof tag === "bigint" || !state.tags.has(tag)) nonCanonical(state, `tag ${tag} is not allowed here`, start);
      return new Tagged(tag, readItem(state, depth + 1));
    }
    default:
      return readSimple(state, info, start);
  }
}

function normalise(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
}

function run(bytes: Uint8Array, options: DecodeCanonicalOptions, spans?: EntrySpan[]): CborValue {
  const state: State = {
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    pos: 0,
    tags: options.allowedTags ?? NO_TAGS,
  };
  const value = readItem(state, 0, spans);
  if (state.pos !== bytes.length) malformed(state, `${bytes.length - state.pos} trailing byte(s) after the data item`);
  return value;
}

/**
 * Decodes one data item and rejects every input that is not exactly the
 * RFC 8949 §4.2.1 deterministic encoding of the value it holds: non-shortest
 * integers, lengths or floats, indefinite lengths, unsorted or duplicate map
 * keys, invalid UTF-8, undefined, tags not allowed, trailing bytes.
 *
 * @example
 * decodeCanonical(Uint8Array.of(0xf9, 0x47, 0x80)) // 7.5
 */
export function decodeCanonical(bytes: Uint8Array, options: DecodeCanonicalOptions = {}): CborValue {
  return run(bytes, options);
}

/**
 * Like {@link decodeCanonical} for an input that must be a map, and also
 * returns where each top-level entry lies, so a caller can cut one entry out
 * of the canonical bytes without encoding again.
 */
export function decodeCanonicalMap(
  bytes: Uint8Array,
  options: DecodeCanonicalOptions = {},
): { map: CborMap; spans: EntrySpan[] } {
  if (bytes.length === 0 || (bytes[0] as number) >> 5 !== 5) {
    throw new NonCanonicalEncodingError("the top-level item must be a map", 0);
  }
  const spans: EntrySpan[] = [];
  const map = run(bytes, options, spans) as CborMap;
  return { map, spans };
}
