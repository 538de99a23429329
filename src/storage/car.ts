import { CarBufferReader } from "@ipld/car/buffer-reader";
import type { CID } from "multiformats/cid";
import { encodeCanonical } from "../evidence/cbor/encode.ts";
import { Tagged } from "../evidence/cbor/types.ts";
import { rawCid } from "../evidence/cid.ts";
import { CidMismatchError } from "./errors.ts";
import { type Block, blockMatches } from "./unixfs.ts";

/** Unsigned LEB128, the length prefix of CAR sections. */
function varint(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

/** DAG-CBOR link: tag 42 over the CID's bytes behind a zero byte (the identity multibase). */
const link = (cid: CID) => new Tagged(42, Uint8Array.of(0, ...cid.bytes));

/**
 * A CARv1 of `blocks` with `roots` (several roots: a batch's packets and its
 * chainscript), written into one buffer. The header `{roots, version: 1}` is
 * deterministic CBOR, which for this map is exactly DAG-CBOR. Written by hand
 * because @ipld/car's buffer writer slows down quadratically with thousands of
 * roots (4.5 s for a 10,000-packet batch, against milliseconds here).
 */
export function encodeCar(roots: readonly CID[], blocks: Iterable<Block>): Uint8Array {
  const header = encodeCanonical({ roots: roots.map(link), version: 1 });
  const parts: Uint8Array[] = [Uint8Array.from(varint(header.length)), header];
  let size = (parts[0] as Uint8Array).length + header.length;
  for (const { cid, bytes } of blocks) {
    const prefix = Uint8Array.from(varint(cid.bytes.length + bytes.length));
    parts.push(prefix, cid.bytes, bytes);
    size += prefix.length + cid.bytes.length + bytes.length;
  }
  const car = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    car.set(part, offset);
    offset += part.length;
  }
  return car;
}

/**
 * Reads a CAR and verifies every block against its CID.
 *
 * @throws {CidMismatchError} naming `source` for the first block whose bytes do not match.
 */
export function decodeCar(car: Uint8Array, source = "the CAR"): { roots: CID[]; blocks: Map<string, Uint8Array> } {
  const reader = CarBufferReader.fromBytes(car);
  const blocks = new Map<string, Uint8Array>();
  for (const { cid, bytes } of reader.blocks()) {
    if (!blockMatches(cid, bytes)) throw new CidMismatchError(source, cid.toString(), rawCid(bytes));
    blocks.set(cid.toString(), bytes);
  }
  return { roots: reader.getRoots(), blocks };
}
