import type { Address, Hex } from "viem";
import { processAnchorRegistryAbi } from "../anchor/abi.ts";
import { describeRegistryError } from "../anchor/registryErrors.ts";
import type { SigningKeyRecord } from "../anchor/registryReads.ts";

/**
 * A client that makes view calls: a viem public client, or a Ponder handler's
 * `context.client`, whose calls without a block number read at the block being
 * indexed. Typed for the registry reads verification makes, and no others.
 */
export interface ViewClient {
  readContract(
    parameters: {
      address: Address;
      abi: typeof processAnchorRegistryAbi;
      functionName: "anchorCount" | "isAnchorSigner" | "signingKey";
      args: readonly [Hex] | readonly [Hex, Hex];
    } & ({ blockNumber?: undefined } | { blockNumber: bigint }),
  ): Promise<unknown>;
}

/**
 * The registry's records verification reads, by on-chain ids. Without a block
 * number a read is "now": the latest block for one public client, the block
 * being indexed for Ponder's, and one pinned block for several endpoints
 * (agreement.ts).
 */
export interface RegistryView {
  anchorCount(tenantId: Hex, blockNumber: bigint): Promise<bigint>;
  isAnchorSigner(tenantId: Hex, signer: Address, blockNumber?: bigint): Promise<boolean>;
  /** The key's record, or null when the tenant had no key with this id. */
  signingKey(tenantId: Hex, keyId: Hex, blockNumber?: bigint): Promise<SigningKeyRecord | null>;
}

/**
 * The registry at `registry` as `client` reads it; failures come as `RegistryError`.
 *
 * @example
 * const view = registryView(publicClient, registry);
 * await view.anchorCount(toOnchainId("studio-aurora"), anchorBlock);
 */
export function registryView(client: ViewClient, registry: Address): RegistryView {
  const read = async (
    functionName: "anchorCount" | "isAnchorSigner" | "signingKey",
    args: readonly [Hex] | readonly [Hex, Hex],
    blockNumber: bigint | undefined,
  ): Promise<unknown> => {
    try {
      return await client.readContract({
        address: registry,
        abi: processAnchorRegistryAbi,
        functionName,
        args,
        ...(blockNumber === undefined ? {} : { blockNumber }),
      });
    } catch (error) {
      throw describeRegistryError(error);
    }
  };
  return {
    anchorCount: async (tenantId, blockNumber) => (await read("anchorCount", [tenantId], blockNumber)) as bigint,
    isAnchorSigner: async (tenantId, signer, blockNumber) =>
      (await read("isAnchorSigner", [tenantId, signer], blockNumber)) as boolean,
    signingKey: async (tenantId, keyId, blockNumber) => {
      const record = (await read("signingKey", [tenantId, keyId], blockNumber)) as SigningKeyRecord;
      return BigInt(record.publicKey) === 0n ? null : record;
    },
  };
}
