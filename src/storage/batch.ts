import { parseChainscript } from "../chainscript/chainscript.ts";
import { BaseError } from "../errors.ts";
import { encodeCar } from "./car.ts";
import { cidText } from "./cidBytes.ts";
import { ContentTooLargeError } from "./errors.ts";
import { MAX_CHAINSCRIPT_BYTES, MAX_PACKET_BYTES } from "./limits.ts";
import type { ContentProvider } from "./provider.ts";
import { type Replication, type ReplicationOptions, replicate } from "./replicate.ts";
import { type Block, fileBlocks, rawBlock } from "./unixfs.ts";

/** The batch is inconsistent: the chainscript lists a packet the batch does not hold. */
export class IncompleteBatchError extends BaseError {
  override name = "IncompleteBatchError";
}

export interface StoredBatch extends Replication {
  readonly chainscriptCid: string;
  readonly packetCids: readonly string[];
  /** The CAR that was uploaded (packets and chainscript, every one a root). */
  readonly car: Uint8Array;
}

/**
 * Stores a run's packets and its chainscript as one CAR on every provider.
 * Every packet and the chainscript are CAR roots, so each provider pins each;
 * `stored` is true only when the quorum confirmed all of them, and only if the
 * chainscript lists no packet missing from the batch. A packet or chainscript
 * over its retrieval limit is refused here, before anything is uploaded: a
 * verifier would refuse to fetch it, so it must never be anchored.
 *
 * @throws {ContentTooLargeError} for a packet over MAX_PACKET_BYTES or a chainscript over MAX_CHAINSCRIPT_BYTES.
 * @throws {IncompleteBatchError} when the chainscript lists a packet the batch does not hold.
 */
export async function storeBatch(
  providers: readonly ContentProvider[],
  batch: { readonly packets: readonly Uint8Array[]; readonly chainscript: Uint8Array },
  options: ReplicationOptions = {},
): Promise<StoredBatch> {
  const tooLarge = batch.packets.findIndex((packet) => packet.length > MAX_PACKET_BYTES);
  if (tooLarge !== -1) {
    const size = (batch.packets[tooLarge] as Uint8Array).length;
    throw new ContentTooLargeError(`Packet ${tooLarge} of the batch`, MAX_PACKET_BYTES, size);
  }
  if (batch.chainscript.length > MAX_CHAINSCRIPT_BYTES) {
    throw new ContentTooLargeError("The batch's chainscript", MAX_CHAINSCRIPT_BYTES, batch.chainscript.length);
  }
  const packetBlocks: Block[] = batch.packets.map(rawBlock);
  const packetCids = packetBlocks.map((b) => cidText(b.cid.bytes));
  const held = new Set(packetCids);
  const listed = parseChainscript(batch.chainscript).entries.map((entry) => entry.packetCid);
  const missing = listed.filter((cid) => !held.has(cid));
  if (missing.length > 0) {
    throw new IncompleteBatchError(
      `The chainscript lists ${missing.length} packet(s) the batch does not hold, first ${missing[0]}.`,
    );
  }
  const chain = await fileBlocks(batch.chainscript);
  const roots = [chain.root, ...packetBlocks.map((b) => b.cid)];
  const car = encodeCar(roots, [...chain.blocks, ...packetBlocks]);
  const rootCids = roots.map((root) => cidText(root.bytes));
  const replication = await replicate(providers, (provider) => provider.putCar(car, rootCids), options);
  return { ...replication, chainscriptCid: chain.root.toString(), packetCids, car };
}

/** Stores one object (a file of any size) on every provider, as {@link replicate} does. */
export async function storeObject(
  providers: readonly ContentProvider[],
  bytes: Uint8Array,
  options: ReplicationOptions = {},
): Promise<Replication & { readonly cid: string }> {
  const { root } = await fileBlocks(bytes);
  const cid = root.toString();
  return { ...(await replicate(providers, (provider) => provider.put(bytes, cid), options)), cid };
}
