import { type Hex, hexToBytes } from "viem";
import { toOnchainId } from "../anchor/ids.ts";
import type { SigningKeyRecord } from "../anchor/registryReads.ts";
import type { KeyResolver } from "../chainscript/verify.ts";
import type { RegistryView } from "./registryView.ts";

/**
 * Resolves packet and chain keys from the registry as it stood at the anchor's
 * block: a key counts for a signature made at time t (the packet's own time)
 * when validFrom ≤ t < validUntil and, if revoked, t < revokedAt and the anchor
 * came before the revocation was recorded (docs/decisions/005).
 * `tenantId` is the anchored (on-chain) id, not the chainscript's claim.
 */
export function registryKeyResolver(
  registry: RegistryView,
  parameters: { tenantId: Hex; blockNumber: bigint; anchoredAt: bigint },
): KeyResolver {
  const records = new Map<string, Promise<SigningKeyRecord | null>>();
  return async (keyId, atMs) => {
    let record = records.get(keyId);
    if (record === undefined) {
      record = registry.signingKey(parameters.tenantId, toOnchainId(keyId), parameters.blockNumber);
      records.set(keyId, record);
    }
    const key = await record;
    if (key === null) return undefined;
    const t = BigInt(Math.floor(atMs / 1000));
    if (t < key.validFrom || t >= key.validUntil) return undefined;
    if (key.revocationRecordedAt !== 0n && !(t < key.revokedAt && parameters.anchoredAt < key.revocationRecordedAt)) {
      return undefined;
    }
    return hexToBytes(key.publicKey);
  };
}
