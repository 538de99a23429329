/**
 * Byte-level fuzzing for the project's decoders: inputs start from valid
 * encodings and are broken the way a corrupt disk, a cut-off download or a
 * hostile gateway breaks them, plus fully random bytes. Positions are taken
 * modulo the current length, so mutations stack on inputs of any size.
 */
import { expect } from "chai";
import fc from "fast-check";
import { concatAll, concatBytes, toHex } from "../../src/bytes.ts";
import { BaseError } from "../../src/errors.ts";
import { type Item, walk } from "./cborItems.ts";

type Mutation =
  | { readonly kind: "flip"; readonly at: number; readonly bit: number }
  | { readonly kind: "set"; readonly at: number; readonly byte: number }
  | { readonly kind: "truncate"; readonly at: number }
  | { readonly kind: "extend"; readonly bytes: Uint8Array }
  | { readonly kind: "insert"; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: "delete"; readonly at: number; readonly length: number }
  | { readonly kind: "duplicate"; readonly from: number; readonly length: number; readonly at: number }
  | { readonly kind: "splice"; readonly from: number; readonly length: number; readonly at: number }
  | { readonly kind: "token"; readonly at: number; readonly token: Uint8Array; readonly overwrite: boolean };

/** `mutation` applied to `bytes` (a new array; `bytes` is not changed). */
function applyMutation(bytes: Uint8Array, mutation: Mutation): Uint8Array {
  const n = bytes.length;
  // Positions index [0, n]: inserting at the end is as meaningful as at the start.
  const pos = (p: number) => p % (n + 1);
  switch (mutation.kind) {
    case "flip": {
      if (n === 0) return bytes;
      const out = bytes.slice();
      const at = mutation.at % n;
      out[at] = (out[at] as number) ^ (1 << mutation.bit);
      return out;
    }
    case "set": {
      if (n === 0) return bytes;
      const out = bytes.slice();
      out[mutation.at % n] = mutation.byte;
      return out;
    }
    case "truncate":
      return bytes.slice(0, mutation.at % Math.max(n, 1));
    case "extend":
      return concatBytes(bytes, mutation.bytes);
    case "insert": {
      const at = pos(mutation.at);
      return concatBytes(bytes.subarray(0, at), mutation.bytes, bytes.subarray(at));
    }
    case "delete": {
      const at = pos(mutation.at);
      return concatBytes(bytes.subarray(0, at), bytes.subarray(at + mutation.length));
    }
    case "duplicate": {
      const from = pos(mutation.from);
      const at = pos(mutation.at);
      return concatBytes(bytes.subarray(0, at), bytes.subarray(from, from + mutation.length), bytes.subarray(at));
    }
    case "splice": {
      // Overwrites a range with bytes taken from elsewhere in the same input: a misplaced or repeated field.
      const from = pos(mutation.from);
      const at = pos(mutation.at);
      const piece = bytes.slice(from, from + mutation.length);
      return concatBytes(bytes.subarray(0, at), piece, bytes.subarray(at + piece.length));
    }
    case "token": {
      const at = pos(mutation.at);
      const rest = mutation.overwrite ? at + mutation.token.length : at;
      return concatBytes(bytes.subarray(0, at), mutation.token, bytes.subarray(rest));
    }
  }
}

const position = fc.nat({ max: 1 << 24 });
const span = fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 256 }));

/**
 * One mutation; `tokens` are format-specific byte strings worth planting
 * (a CBOR head with a huge length, a varint near 2^49, a JSON `-0`).
 */
function mutation(tokens: readonly Uint8Array[]): fc.Arbitrary<Mutation> {
  const options: fc.Arbitrary<Mutation>[] = [
    fc.record({ kind: fc.constant("flip" as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant("set" as const), at: position, byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant("truncate" as const), at: position }),
    fc.record({ kind: fc.constant("extend" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({
      kind: fc.constant("insert" as const),
      at: position,
      bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }),
    }),
    fc.record({ kind: fc.constant("delete" as const), at: position, length: span }),
    fc.record({ kind: fc.constant("duplicate" as const), from: position, length: span, at: position }),
    fc.record({ kind: fc.constant("splice" as const), from: position, length: span, at: position }),
  ];
  if (tokens.length > 0) {
    options.push(
      fc.record({
        kind: fc.constant("token" as const),
        at: position,
        token: fc.constantFrom(...tokens),
        overwrite: fc.boolean(),
      }),
    );
  }
  return fc.oneof(...options);
}

/** A valid input broken by one to four stacked mutations. */
function mutated(valid: fc.Arbitrary<Uint8Array>, tokens: readonly Uint8Array[] = []): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(valid, fc.array(mutation(tokens), { minLength: 1, maxLength: 4 }))
    .map(([bytes, mutations]) => mutations.reduce(applyMutation, bytes));
}

/**
 * Inputs for a decoder: mostly mutated valid encodings (random bytes rarely get
 * past the first header), some random bytes, and some soups of tokens and random chunks.
 */
export function fuzzInput(
  valid: fc.Arbitrary<Uint8Array>,
  tokens: readonly Uint8Array[] = [],
  maxRandomLength = 96,
): fc.Arbitrary<Uint8Array> {
  const chunk =
    tokens.length > 0 ? fc.oneof(fc.constantFrom(...tokens), fc.uint8Array({ maxLength: 8 })) : fc.uint8Array();
  return fc.oneof(
    { arbitrary: mutated(valid, tokens), weight: 8 },
    { arbitrary: fc.uint8Array({ maxLength: maxRandomLength }), weight: 1 },
    { arbitrary: fc.array(chunk, { maxLength: 12 }).map((parts) => concatAll(parts)), weight: 1 },
  );
}

/** Where an error came from, for a failure message: a raw exception's first stack frames say which line threw it. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `a thrown ${typeof error}: ${String(error)}`;
  if (error instanceof BaseError) return `${error.name}: ${error.shortMessage}`;
  return (error.stack ?? `${error.name}: ${error.message}`).split("\n").slice(0, 4).join("\n");
}

/** Hex of `bytes`, shortened for a failure message (fast-check also prints the full counterexample). */
export function shortHex(bytes: Uint8Array): string {
  const hex = toHex(bytes);
  return hex.length <= 400 ? hex : `${hex.slice(0, 400)}… (${bytes.length} bytes)`;
}

/**
 * Runs `decode` on `bytes`: returns its result, or undefined when it threw an
 * error `isTyped` accepts; any other exception (TypeError, RangeError, a stack
 * overflow) fails the test with the input and where it was thrown.
 */
export function decodeOrTypedError<T>(
  decode: (bytes: Uint8Array) => T,
  bytes: Uint8Array,
  isTyped: (error: unknown) => boolean,
): T | undefined {
  try {
    return decode(bytes);
  } catch (error) {
    expect(isTyped(error), `input ${shortHex(bytes)} threw ${describeError(error)}`).to.equal(true);
    return undefined;
  }
}

/** `count` copies of `unit`, one after another (100,000 levels of nesting, say). */
export function repeat(unit: readonly number[], count: number): Uint8Array {
  const out = new Uint8Array(unit.length * count);
  for (let i = 0; i < count; i++) out.set(unit, i * unit.length);
  return out;
}

/** `argument` as the head of `major` in a form of `length` bytes (1, 2, 3, 5 or 9), or undefined if it does not fit. */
function head(major: number, argument: bigint, length: number): Uint8Array | undefined {
  const type = major << 5;
  if (length === 1) return argument < 24n ? Uint8Array.of(type | Number(argument)) : undefined;
  const bytes = length - 1;
  if (argument >= 1n << BigInt(bytes * 8)) return undefined;
  const out = new Uint8Array(length);
  out[0] = type | (23 + Math.log2(bytes) + 1);
  for (let i = 0; i < bytes; i++) out[length - 1 - i] = Number((argument >> BigInt(i * 8)) & 0xffn);
  return out;
}

/** Floats and simple values that are each a non-canonical or rejected spelling of something plausible. */
const ODD_SIMPLE = [
  "f93c00",
  "fa3fc00000",
  "fb401e000000000000",
  "f97e01",
  "fb7ff8000000000000",
  "f818",
  "f7",
  "f8ff",
].map((hex) => Uint8Array.from(Buffer.from(hex, "hex")));

/** Heads to put in place of one item's head: longer forms, huge or off-by-one arguments, indefinite, other major types. */
function replacementHeads(item: Item): Uint8Array[] {
  if (item.major === 7) return ODD_SIMPLE;
  const argument = BigInt(item.argument);
  const heads: (Uint8Array | undefined)[] = [
    ...[1, 2, 3, 5, 9].map((length) => head(item.major, argument, length)),
    head(item.major, 0xffffffffffffffffn, 9),
    head(item.major, 0xffffffffn, 5),
    head(item.major, 0xffffn, 3),
    head(item.major, argument + 1n, 9),
    argument > 0n ? (head(item.major, argument - 1n, 1) ?? head(item.major, argument - 1n, 9)) : undefined,
    Uint8Array.of((item.major << 5) | 31),
    ...[0, 1, 2, 3, 4, 5, 6].filter((major) => major !== item.major).map((major) => head(major, argument, 9)),
  ];
  return heads.filter((h): h is Uint8Array => h !== undefined);
}

/**
 * CBOR-aware mutation of a valid encoding: the head of one data item (chosen
 * by `pick`) replaced by a longer form of the same head, a huge length, an
 * off-by-one length, an indefinite-length start or another major type.
 * Random bytes rarely hit a head exactly; this always does.
 */
export function cborHeadMutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.nat(), fc.nat()).map(([bytes, pick, choice]) => {
    const items = walk(bytes);
    const item = items[pick % items.length] as Item;
    const heads = replacementHeads(item);
    const replacement = heads[choice % heads.length] as Uint8Array;
    return concatBytes(bytes.subarray(0, item.start), replacement, bytes.subarray(item.headerEnd));
  });
}
