/**
 * The CBOR data model this project reads and writes: the JSON-like subset of
 * RFC 8949 plus byte strings, 64-bit integers and tags.
 *
 * - integers: `number` when |n| ≤ 2^53−1, otherwise `bigint` (up to 2^64−1 and down to −2^64);
 * - floats: non-whole `number`s, −0, ±Infinity and NaN;
 * - maps: plain objects with text keys (the packet format has no other keys);
 * - tags: {@link Tagged}, only those a caller allows.
 */
export type CborValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | Uint8Array
  | readonly CborValue[]
  | CborMap
  | Tagged;

export interface CborMap {
  readonly [key: string]: CborValue;
}

/** A tagged data item (major type 6). */
export class Tagged {
  readonly tag: number;
  readonly value: CborValue;

  constructor(tag: number, value: CborValue) {
    this.tag = tag;
    this.value = value;
  }
}
