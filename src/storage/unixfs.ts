import { importBytes } from "ipfs-unixfs-importer";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import * as Digest from "multiformats/hashes/digest";
import { sha256 } from "#crypto";
import { equalBytes } from "../bytes.ts";
import { KUBO_CIDV1_IMPORT, UNIXFS_CHUNK_SIZE } from "../evidence/cid.ts";
import { InvalidCidError } from "./errors.ts";

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

/** Whether `cid` is a CIDv1 of a raw block with a 32-byte sha2-256 digest (`bafkrei…`): what every packet CID is. */
export function isRawSha256(cid: CID): boolean {
  return cid.version === 1 && cid.code === raw.code && isSha256(cid);
}

/** Whether `cid`'s multihash is a 32-byte sha2-256 digest, the only hash {@link blockMatches} can check. */
export function isSha256(cid: CID): boolean {
  return cid.multihash.code === SHA2_256 && cid.multihash.digest.length === 32;
}
