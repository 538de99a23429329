import { CarReader, CarWriter } from "@ipld/car";
import type { CID } from "multiformats/cid";
import { rawCid } from "../evidence/cid.ts";
import { CidMismatchError } from "./errors.ts";
import { type Block, blockMatches } from "./unixfs.ts";

/** A CARv1 of `blocks` with `roots` (several roots: a batch's packets and its chainscript). */
export async function encodeCar(roots: readonly CID[], blocks: Iterable<Block>): Promise<Uint8Array> {
  const { writer, out } = CarWriter.create([...roots]);
  const chunks: Uint8Array[] = [];
  const collected = (async () => {
    for await (const chunk of out) chunks.push(chunk);
  })();
  for (const block of blocks) await writer.put(block);
  await writer.close();
  await collected;
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const car = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    car.set(chunk, offset);
    offset += chunk.length;
  }
  return car;
}

/**
 * Reads a CAR and verifies every block against its CID.
 *
 * @throws {CidMismatchError} naming `source` for the first block whose bytes do not match.
 */
export async function decodeCar(
  car: Uint8Array,
  source = "the CAR",
): Promise<{ roots: CID[]; blocks: Map<string, Uint8Array> }> {
  const reader = await CarReader.fromBytes(car);
  const blocks = new Map<string, Uint8Array>();
  for await (const { cid, bytes } of reader.blocks()) {
    if (!blockMatches(cid, bytes)) throw new CidMismatchError(source, cid.toString(), rawCid(bytes));
    blocks.set(cid.toString(), bytes);
  }
  return { roots: await reader.getRoots(), blocks };
}
