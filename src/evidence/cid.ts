import { importBytes } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import * as Digest from "multiformats/hashes/digest";
import { sha256 } from "#crypto";

const SHA2_256 = 0x12;
/** Kubo's default chunk size: content up to this size is one raw block. */
export const UNIXFS_CHUNK_SIZE = 262_144;
/** Kubo's default balanced-layout width. */
const UNIXFS_MAX_LINKS = 174;

/**
 * CIDv1, codec raw, sha2-256 multihash (`bafkrei…`) of content whose SHA-256 is
 * `hash`. For a packet its digest is the packetHash.
 *
 * @example
 * cidFromSha256(packetHash) // "bafkrei…"
 */
export function cidFromSha256(hash: Uint8Array): string {
  return CID.createV1(raw.code, Digest.create(SHA2_256, hash)).toString();
}

/** The raw-block CIDv1 of `bytes`. */
export function rawCid(bytes: Uint8Array): string {
  return cidFromSha256(sha256(bytes));
}

/** The SHA-256 digest inside a raw sha2-256 CIDv1 string, or undefined if it is not one. */
export function sha256FromRawCid(cid: string): Uint8Array | undefined {
  let parsed: CID;
  try {
    parsed = CID.parse(cid);
  } catch {
    return undefined;
  }
  if (parsed.version !== 1 || parsed.code !== raw.code || parsed.multihash.code !== SHA2_256) return undefined;
  if (parsed.multihash.digest.length !== 32 || parsed.toString() !== cid) return undefined;
  return parsed.multihash.digest;
}

/**
 * The CID a Kubo node (CIDv1 defaults: raw leaves, 256 KiB chunks, balanced
 * layout of 174 links) reports for `bytes`: a raw block when the content fits
 * one chunk, else the dag-pb root of a UnixFS file. A 10,000-entry chainscript
 * (about 3.5 MB) takes the second form.
 */
export async function contentCid(bytes: Uint8Array): Promise<string> {
  if (bytes.length <= UNIXFS_CHUNK_SIZE) return rawCid(bytes);
  const discard = { put: async (cid: CID) => cid };
  return (await importBytes(bytes, discard, KUBO_CIDV1_IMPORT)).cid.toString();
}

/** ipfs-unixfs-importer options that reproduce `ipfs add --cid-version 1` (docs/decisions/006). */
export const KUBO_CIDV1_IMPORT = {
  cidVersion: 1,
  rawLeaves: true,
  reduceSingleLeafToSelf: true,
  chunker: fixedSize({ chunkSize: UNIXFS_CHUNK_SIZE }),
  layout: balanced({ maxChildrenPerNode: UNIXFS_MAX_LINKS }),
} as const;
