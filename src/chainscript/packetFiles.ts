import { sha256 } from "#crypto";
import { toHex } from "../bytes.ts";
import { BaseError } from "../errors.ts";
import { cidFromSha256 } from "../evidence/cid.ts";
import { decodePacket } from "../evidence/codec.ts";
import type { Chainscript } from "./chainscript.ts";
import type { FoundPacket, PacketLookup } from "./verify.ts";

/** A file that may hold a packet: its name (a path, for sentences) and bytes. */
export interface PacketFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

interface IndexedFile extends PacketFile {
  readonly cid: string;
  /** Hex SHA-256 of the bytes. */
  readonly hash: string;
  /** The file name without directories and extension, lowercase: a CID or packetHash if the file is named by one. */
  readonly stem: string;
  /** The packet the bytes decode as (any signature), or undefined when they are not one. */
  readonly packet?: { readonly tenantId: string; readonly processId: string; readonly timestamp: number };
}

function indexFile(file: PacketFile): IndexedFile {
  const digest = sha256(file.bytes);
  const base = file.name.slice(file.name.search(/[^/\\]*$/));
  const stem = base.replace(/\.[^.]*$/, "").toLowerCase();
  let packet: IndexedFile["packet"];
  try {
    const decoded = decodePacket(file.bytes).packet;
    packet = { tenantId: decoded.tenantId, processId: decoded.processId, timestamp: decoded.timestamp };
  } catch (error) {
    if (!(error instanceof BaseError)) throw error;
    // Not a packet: it can still claim an entry by its name.
  }
  return { ...file, cid: cidFromSha256(digest), hash: toHex(digest), stem, ...(packet ? { packet } : {}) };
}

/**
 * For each entry whose packet is not among the files by content, the file
 * that claims to be it: one named after the entry's packetCid or packetHash,
 * else one that decodes as a packet of the chain's tenant and process dated
 * the entry's timestamp (what packets.binding checks). Each file claims at
 * most one entry; files whose content is some entry's packet claim none.
 */
function claims(files: readonly IndexedFile[], chainscript: Chainscript): Map<number, IndexedFile> {
  const exact = new Set(files.map((file) => file.cid));
  const entryCids = new Set(chainscript.entries.map((entry) => entry.packetCid));
  const free = files.filter((file) => !entryCids.has(file.cid));
  const claimed = new Map<number, IndexedFile>();
  const taken = new Set<IndexedFile>();
  const claim = (matches: (file: IndexedFile, entry: Chainscript["entries"][number]) => boolean) => {
    for (const [i, entry] of chainscript.entries.entries()) {
      if (exact.has(entry.packetCid) || claimed.has(i)) continue;
      const file = free.find((f) => !taken.has(f) && matches(f, entry));
      if (file === undefined) continue;
      claimed.set(i, file);
      taken.add(file);
    }
  };
  claim((file, entry) => file.stem === entry.packetCid.toLowerCase() || file.stem === entry.packetHash);
  claim(
    (file, entry) =>
      file.packet !== undefined &&
      file.packet.tenantId === chainscript.tenantId &&
      file.packet.processId === chainscript.processId &&
      file.packet.timestamp === entry.timestamp,
  );
  return claimed;
}

/**
 * The packets of a run as files (a `--packets` directory), for verifyChainscript.
 * An entry's packet is the file with its CID, whatever the file is called;
 * failing that, a file that claims to be the entry's packet (see `claims`) is
 * offered with its name, so a tampered copy fails `packets.integrity` (the
 * chain is invalid) instead of counting as missing (incomplete). An entry no
 * file claims stays missing.
 *
 * @example
 * const report = await verifyChainscript({ bytes, packets: packetFileSource(files), resolveKey });
 */
export function packetFileSource(files: readonly PacketFile[]): PacketLookup {
  const indexed = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(indexFile);
  const byCid = new Map(indexed.map((file) => [file.cid, file]));
  let claimsOf: { chainscript: Chainscript; claimed: Map<number, IndexedFile> } | undefined;
  return (cid, entry, chainscript): FoundPacket | undefined => {
    const file = byCid.get(cid);
    if (file !== undefined) return { bytes: file.bytes, origin: file.name };
    if (claimsOf?.chainscript !== chainscript) claimsOf = { chainscript, claimed: claims(indexed, chainscript) };
    const claimant = claimsOf.claimed.get(entry);
    return claimant && { bytes: claimant.bytes, origin: claimant.name };
  };
}
