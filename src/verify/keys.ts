import { type Hex, hexToBytes } from "viem";
import { toOnchainId } from "../anchor/ids.ts";
import type { SigningKeyRecord } from "../anchor/registryReads.ts";
import type { KeyResolver } from "../chainscript/verify.ts";
import type { RegistryView } from "./registryView.ts";

/** Unix seconds as ISO 8601, for sentences (the raw number when out of Date's range). */
function iso(seconds: bigint): string {
  const date = new Date(Number(seconds) * 1000);
  return Number.isNaN(date.getTime()) ? `${seconds} (unix seconds)` : date.toISOString();
}

/**
 * Why `key` (its current record) does not make a signature made at `signedAt`
 * count for an anchor whose block time is `anchoredAt` (both unix seconds), or
 * undefined when it does: validFrom ≤ signedAt < validUntil and, once revoked,
 * signedAt < revokedAt and anchoredAt < revocationRecordedAt (decision 005; the
 * registry's isKeyValidFor). The second half is what makes a revocation
 * recorded after the anchor, but effective before the packet, count: a thief
 * can back-date a packet, not an anchor.
 */
export function keyRejection(key: SigningKeyRecord, signedAt: bigint, anchoredAt: bigint): string | undefined {
  if (signedAt < key.validFrom) return `the key is valid only from ${iso(key.validFrom)}`;
  if (signedAt >= key.validUntil) return `the key was valid only until ${iso(key.validUntil)}`;
  if (key.revocationRecordedAt === 0n) return undefined;
  if (signedAt >= key.revokedAt) return `the tenant revoked the key from ${iso(key.revokedAt)}`;
  if (anchoredAt >= key.revocationRecordedAt) {
    return `the anchor (block time ${iso(anchoredAt)}) is not older than the key's revocation, recorded at ${iso(key.revocationRecordedAt)}`;
  }
  return undefined;
}

export interface RegistryKeyResolverParameters {
  /** The anchored (on-chain) tenant id, not the chainscript's claim. */
  readonly tenantId: Hex;
  /** The anchor's block: the key must have been registered by then. */
  readonly blockNumber: bigint;
  /** The anchor's block time, unix seconds. */
  readonly anchoredAt: bigint;
}

/**
 * Resolves packet and chain keys from the registry: the key must have been
 * registered at the anchor's block, and its current record (read "now", see
 * RegistryView) must make the signature count at the packet's own time (ms,
 * taken to the second as the registry's times are) by keyRejection's rule.
 * Reading the current record is what lets a later revocation disown forgeries
 * anchored before the tenant noticed the theft.
 *
 * @example
 * const resolveKey = registryKeyResolver(view, { tenantId, blockNumber: log.blockNumber, anchoredAt: log.timestamp });
 */
export function registryKeyResolver(registry: RegistryView, parameters: RegistryKeyResolverParameters): KeyResolver {
  const { tenantId, blockNumber, anchoredAt } = parameters;
  const records = new Map<string, Promise<[SigningKeyRecord | null, SigningKeyRecord | null]>>();
  return async (keyId, atMs) => {
    let record = records.get(keyId);
    if (record === undefined) {
      const id = toOnchainId(keyId);
      record = Promise.all([registry.signingKey(tenantId, id, blockNumber), registry.signingKey(tenantId, id)]);
      records.set(keyId, record);
    }
    const [atAnchor, current] = await record;
    if (atAnchor === null)
      return { rejected: `the tenant had not registered the key at the anchor's block ${blockNumber}` };
    // Keys are never deleted: a missing current record is an endpoint contradicting itself.
    if (current === null) return { rejected: "the registry no longer returns a record for the key" };
    const rejected = keyRejection(current, BigInt(Math.floor(atMs / 1000)), anchoredAt);
    return rejected === undefined ? hexToBytes(current.publicKey) : { rejected };
  };
}
