/**
 * Builds UnixFS DAGs a well-behaved importer never makes: nodes whose sizes
 * lie, one block linked many times, chains deeper than any file needs. The
 * UnixFS Data message is written by hand because ipfs-unixfs computes
 * `filesize` itself and so cannot write one that lies.
 */
import { createHash } from "node:crypto";
import * as dagPb from "@ipld/dag-pb";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import * as Digest from "multiformats/hashes/digest";
import type { Block } from "../../../src/storage/unixfs.ts";

function cidOf(code: number, bytes: Uint8Array): CID {
  return CID.createV1(code, Digest.create(0x12, createHash("sha256").update(bytes).digest()));
}

export function rawLeaf(bytes: Uint8Array): Block {
  return { cid: cidOf(raw.code, bytes), bytes };
}

function varint(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

export interface DataFields {
  /** UnixFS type: 2 file (default), 0 raw, 1 directory. */
  readonly type?: number;
  readonly data?: Uint8Array;
  /** Left out unless given: a node may omit it. */
  readonly filesize?: number;
  readonly blocksizes?: readonly number[];
}

/** The UnixFS `Data` protobuf message, fields in number order as Kubo writes them. */
export function unixfsData(fields: DataFields): Uint8Array {
  const bytes: number[] = [0x08, ...varint(fields.type ?? 2)];
  if (fields.data !== undefined) bytes.push(0x12, ...varint(fields.data.length), ...fields.data);
  if (fields.filesize !== undefined) bytes.push(0x18, ...varint(fields.filesize));
  for (const size of fields.blocksizes ?? []) bytes.push(0x20, ...varint(size));
  return Uint8Array.from(bytes);
}

/** A dag-pb node linking `links`, its Data written from `fields`. */
export function fileNode(links: readonly CID[], fields: DataFields): Block {
  const bytes = dagPb.encode({ Data: unixfsData(fields), Links: links.map((Hash) => ({ Hash })) });
  return { cid: cidOf(dagPb.code, bytes), bytes };
}

/**
 * `levels` of nodes above one leaf, each linking the level below `fanout`
 * times, every size declared truthfully: fanout^levels × leaf bytes of file
 * from a handful of blocks. With 174 links, 3 levels and a 256 KiB leaf it is
 * 1.3 TB from a CAR of 280 KiB.
 */
export function sharedLinkBomb(
  leaf: Uint8Array,
  fanout: number,
  levels: number,
): { root: CID; blocks: Block[]; size: number } {
  let below = rawLeaf(leaf);
  let size = leaf.length;
  const blocks = [below];
  for (let level = 0; level < levels; level++) {
    const node = fileNode(Array(fanout).fill(below.cid), {
      blocksizes: Array(fanout).fill(size),
      filesize: size * fanout,
    });
    size *= fanout;
    blocks.unshift(node);
    below = node;
  }
  return { root: below.cid, blocks, size };
}

/** A file that is one leaf under `depth` nodes of one link each: a DAG that is deep and nothing else. */
export function deepChain(leaf: Uint8Array, depth: number): { root: CID; blocks: Block[] } {
  let below = rawLeaf(leaf);
  const blocks = [below];
  for (let level = 0; level < depth; level++) {
    below = fileNode([below.cid], { blocksizes: [leaf.length], filesize: leaf.length });
    blocks.unshift(below);
  }
  return { root: below.cid, blocks };
}

/** A source of blocks by CID, for assembleFile. */
export function blockSource(blocks: readonly Block[]): (cid: CID) => Uint8Array | undefined {
  const byCid = new Map(blocks.map((block) => [block.cid.toString(), block.bytes]));
  return (cid) => byCid.get(cid.toString());
}
