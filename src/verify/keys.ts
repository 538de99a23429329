import { type Address, type Hex, hexToBytes, type PublicClient } from "viem";
import { processAnchorRegistryAbi } from "../anchor/abi.ts";
import { toOnchainId } from "../anchor/ids.ts";
import type { KeyResolver } from "../chainscript/verify.ts";

/**
 * Resolves packet and chain keys from the registry as it stood at the anchor's
 * block: a key counts for a signature made at time t (the packet's own time)
 * when validFrom ≤ t < validUntil and, if revoked, t < revokedAt and the anchor
 * came before the revocation was recorded (docs/decisions/005).
 */
export function registryKeyResolver(
  client: PublicClient,
  parameters: { registry: Address; tenantId: Hex; blockNumber: bigint; anchoredAt: bigint },
): KeyResolver {
  const records = new Map<
    string,
    Promise<{ publicKey: Hex; validFrom: bigint; validUntil: bigint; revokedAt: bigint; revocationRecordedAt: bigint }>
  >();
  return async (keyId, atMs) => {
    let record = records.get(keyId);
    if (record === undefined) {
      record = client.readContract({
        address: parameters.registry,
        abi: processAnchorRegistryAbi,
        functionName: "signingKey",
        args: [parameters.tenantId, toOnchainId(keyId)],
        blockNumber: parameters.blockNumber,
      });
      records.set(keyId, record);
    }
    const key = await record;
    if (/^0x0+$/.test(key.publicKey)) return undefined;
    const t = BigInt(Math.floor(atMs / 1000));
    if (t < key.validFrom || t >= key.validUntil) return undefined;
    if (key.revocationRecordedAt !== 0n && !(t < key.revokedAt && parameters.anchoredAt < key.revocationRecordedAt)) {
      return undefined;
    }
    return hexToBytes(key.publicKey);
  };
}
