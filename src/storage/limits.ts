/**
 * How much any fetch may cost (docs/decisions/013-bounded-retrieval.md). A
 * gateway or provider chooses what it sends; these numbers decide what we
 * read, hash and allocate, whatever it sends.
 */
import { UNIXFS_CHUNK_SIZE } from "../evidence/cid.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Largest block accepted from any source: 2 MiB, the block size bitswap
 * refuses to exceed, so no public gateway can serve a larger one anyway. Our
 * importer's leaves are 256 KiB (1 MiB under IPIP-499's `unixfs-v1-2025`).
 */
export const MAX_BLOCK_BYTES = 2 * MiB;

/**
 * Largest evidence packet: 256 KiB. A packet's CID is a raw-block CIDv1, and
 * `ipfs add` (every provider's `put`) makes a raw block only up to one chunk;
 * a larger packet would be stored under a dag-pb CID and never be found under
 * its packetCid. A typical packet is about 600 bytes.
 */
export const MAX_PACKET_BYTES = UNIXFS_CHUNK_SIZE;

/**
 * Largest chainscript: 16 MiB. A 10,000-entry chainscript is 4.1 MB, so this
 * admits about 40,000 entries; at 256 KiB chunks its DAG is 64 leaves.
 */
export const MAX_CHAINSCRIPT_BYTES = 16 * MiB;

/**
 * Most packet bytes one verification holds: 256 MiB. Each packet is capped, but
 * a 16 MiB chainscript names about 40,000 of them, 10 GiB at 256 KiB each; an
 * honest run's packets are about 600 bytes (24 MB for 40,000).
 */
export const MAX_RUN_PACKET_BYTES = 256 * MiB;

/** What `retrieve` and `LocalStore.get` accept when the caller states no limit: the largest object the protocol stores. */
export const DEFAULT_MAX_CONTENT_BYTES = MAX_CHAINSCRIPT_BYTES;

/**
 * Deepest UnixFS DAG assembled (the root is level 0). A balanced DAG of 174
 * links per node holds 7.9 GB at depth 2; only a hostile DAG needs more than 8.
 */
export const MAX_DAG_DEPTH = 8;

/**
 * Most blocks visited to assemble one file, a block linked twice counting
 * twice: 16 MiB in leaves of 256 bytes on average. Ours are 256 KiB (a 16 MiB
 * chainscript is 65 blocks). Bounds the work of a DAG that links one block
 * many times, which no byte budget alone catches when the block is empty.
 */
export const MAX_DAG_NODES = 65_536;

/**
 * Largest answer accepted from a storage provider's API (Kubo's `dag/import`
 * streams a line of about 200 bytes per root: a 40,000-packet batch is 8 MB).
 */
export const MAX_PROVIDER_ANSWER_BYTES = 16 * MiB;

/** How much of an error answer is read, to quote it; the rest is never downloaded. */
export const MAX_ERROR_BODY_BYTES = 4 * KiB;

/**
 * Most bytes read from a gateway's CAR for content of at most `maxBytes`: the
 * content, 1/16 more for the DAG's own nodes and the CAR's section headers
 * (ours cost 0.04 %), and one block of slack for the root node and header.
 */
export function carByteBudget(maxBytes: number): number {
  return maxBytes + Math.ceil(maxBytes / 16) + MAX_BLOCK_BYTES;
}

/** `n` bytes for a sentence: "10 GiB", "2 MiB", "256 KiB", "1,000 bytes". */
export function formatBytes(n: number): string {
  if (n >= 1024 * MiB && n % (1024 * MiB) === 0) return `${n / (1024 * MiB)} GiB`;
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= KiB && n % KiB === 0) return `${n / KiB} KiB`;
  return `${n.toLocaleString("en-US")} bytes`;
}
