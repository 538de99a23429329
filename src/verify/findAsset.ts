import { equalBytes } from "../bytes.ts";
import type { Chainscript } from "../chainscript/chainscript.ts";
import { decodePacket } from "../evidence/codec.ts";
import type { EvidencePacket } from "../evidence/packet.ts";

export interface AssetProvenance {
  /** Index of the chain entry whose packet produced the asset. */
  readonly entry: number;
  readonly stageId: string;
  readonly packetCid: string;
  readonly packet: EvidencePacket;
}

/**
 * The entry of a (verified) chainscript whose packet declares `assetHash` as
 * its output, or undefined when no step of the run produced those bytes.
 */
export function findAsset(
  chainscript: Chainscript,
  packets: ReadonlyMap<string, Uint8Array>,
  assetHash: Uint8Array,
): AssetProvenance | undefined {
  for (const [entry, { packetCid, stageId }] of chainscript.entries.entries()) {
    const bytes = packets.get(packetCid);
    if (bytes === undefined) continue;
    const { packet } = decodePacket(bytes);
    if (equalBytes(packet.outputs.assetHash, assetHash)) return { entry, stageId, packetCid, packet };
  }
  return undefined;
}
