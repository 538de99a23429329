import { sha256 } from "#crypto";
import { concatAll, concatBytes } from "../bytes.ts";
import { CHAIN_CONTEXT, ENTRY_CONTEXT } from "../evidence/context.ts";
import type { ChainEntry } from "./chainscript.ts";
import { jcs } from "./jcs.ts";

const utf8 = new TextEncoder();

/** `POP-ENTRY-V1\0` ‖ JCS of the entry without its signature: binds stage, sequence and time to the packet. */
export function entrySigningMessage(entry: Omit<ChainEntry, "eddsaSignature">): Uint8Array {
  const { sequence, packetCid, packetHash, previousHash, timestamp, stageId } = entry;
  return concatBytes(
    ENTRY_CONTEXT,
    utf8.encode(jcs({ sequence, packetCid, packetHash, previousHash, timestamp, stageId })),
  );
}

/** `POP-CHAIN-V1\0` ‖ the 32 chainHash bytes. */
export function chainSigningMessage(chainHash: Uint8Array): Uint8Array {
  return concatBytes(CHAIN_CONTEXT, chainHash);
}

/** SHA-256 of the 32-byte packet hashes concatenated in sequence order. */
export function computeChainHash(packetHashes: readonly Uint8Array[]): Uint8Array {
  return sha256(concatAll(packetHashes));
}
