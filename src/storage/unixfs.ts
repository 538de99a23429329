import * as dagPb from "@ipld/dag-pb";
import { UnixFS } from "ipfs-unixfs";
import { importBytes } from "ipfs-unixfs-importer";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import * as Digest from "multiformats/hashes/digest";
import { sha256 } from "#crypto";
import { concatAll, equalBytes } from "../bytes.ts";
import { KUBO_CIDV1_IMPORT, rawCid, UNIXFS_CHUNK_SIZE } from "../evidence/cid.ts";
import { CidMismatchError, InvalidCidError } from "./errors.ts";

const SHA2_256 = 0x12;

export interface Block {
  readonly cid: CID;
  readonly bytes: Uint8Array;
}

export function parseCid(text: string): CID {
  try {
    return CID.parse(text);
  } catch {
    throw new InvalidCidError(text);
  }
}

/** Whether `bytes` hash to `cid` (sha2-256 only: the only hash this project writes or accepts). */
export function blockMatches(cid: CID, bytes: Uint8Array): boolean {
  return cid.multihash.code === SHA2_256 && equalBytes(cid.multihash.digest, sha256(bytes));
}

/** CIDv1, raw codec, sha2-256 multihash of 32 bytes: the fixed first four bytes of every raw block's CID. */
const RAW_SHA256_PREFIX = Uint8Array.of(0x01, raw.code, SHA2_256, 0x20);

/** `bytes` as one raw block (`bafkrei…`). The CID is assembled directly: a batch makes ten thousand. */
export function rawBlock(bytes: Uint8Array): Block {
  const cidBytes = new Uint8Array(36);
  cidBytes.set(RAW_SHA256_PREFIX);
  cidBytes.set(sha256(bytes), 4);
  const multihash = new Digest.Digest(SHA2_256, 32, cidBytes.subarray(4), cidBytes.subarray(2));
  return { cid: new CID(1, raw.code, multihash, cidBytes), bytes };
}

/**
 * The blocks of `bytes` as Kubo stores them with its CIDv1 defaults: one raw
 * block up to 256 KiB, else raw leaves under dag-pb UnixFS nodes. The root is
 * the CID `contentCid` computes.
 */
export async function fileBlocks(bytes: Uint8Array): Promise<{ root: CID; blocks: Block[] }> {
  if (bytes.length <= UNIXFS_CHUNK_SIZE) {
    const block = rawBlock(bytes);
    return { root: block.cid, blocks: [block] };
  }
  const blocks: Block[] = [];
  const collect = {
    put: async (cid: CID, block: Uint8Array) => {
      blocks.push({ cid, bytes: block });
      return cid;
    },
  };
  const { cid } = await importBytes(bytes, collect, KUBO_CIDV1_IMPORT);
  return { root: cid, blocks };
}

/** Looks a block up by CID; the caller of {@link assembleFile} need not verify it. */
export type BlockSource = (cid: CID) => Promise<Uint8Array | undefined> | Uint8Array | undefined;

/**
 * Rebuilds a file from its DAG, verifying every block against its CID before
 * using it, so a source that returns wrong bytes is caught at the first block.
 * Returns undefined when a block is missing.
 *
 * @throws {CidMismatchError} when a block does not hash to its CID.
 */
export async function assembleFile(
  root: CID,
  getBlock: BlockSource,
  source = "the block source",
): Promise<Uint8Array | undefined> {
  const parts: Uint8Array[] = [];
  const visit = async (cid: CID): Promise<boolean> => {
    const bytes = await getBlock(cid);
    if (bytes === undefined) return false;
    if (!blockMatches(cid, bytes)) throw new CidMismatchError(source, cid.toString(), rawCid(bytes));
    if (cid.code === raw.code) {
      parts.push(bytes);
      return true;
    }
    if (cid.code !== dagPb.code)
      throw new InvalidCidError(`${cid} (codec 0x${cid.code.toString(16)} is not raw or dag-pb)`);
    const node = dagPb.decode(bytes);
    const unixfs = node.Data === undefined ? undefined : UnixFS.unmarshal(node.Data);
    if (unixfs === undefined || (unixfs.type !== "file" && unixfs.type !== "raw")) {
      throw new InvalidCidError(`${cid} (a UnixFS ${unixfs?.type ?? "node without data"}, not a file)`);
    }
    if (unixfs.data !== undefined && unixfs.data.length > 0) parts.push(unixfs.data);
    for (const link of node.Links) if (!(await visit(link.Hash))) return false;
    return true;
  };
  if (!(await visit(root))) return undefined;
  return concatAll(parts);
}

/** The CIDs of every block under `root`, root first, depth first: the order of a DFS CAR. */
export async function dagCids(root: CID, getBlock: BlockSource): Promise<CID[] | undefined> {
  const order: CID[] = [];
  const visit = async (cid: CID): Promise<boolean> => {
    order.push(cid);
    if (cid.code !== dagPb.code) return true;
    const bytes = await getBlock(cid);
    if (bytes === undefined) return false;
    for (const link of dagPb.decode(bytes).Links) if (!(await visit(link.Hash))) return false;
    return true;
  };
  return (await visit(root)) ? order : undefined;
}
