import type { Address, PublicClient } from "viem";
import { processAnchorRegistryAbi } from "../../../src/anchor/abi.ts";
import type { RegistryReader } from "./deps.ts";

/** Reads the registry through a client (Ponder's publicClients.base in the API), both values at one block. */
export function registryReader(client: PublicClient, registry: Address): RegistryReader {
  return {
    async readTenant(tenantId) {
      // cacheTime 0: viem otherwise answers from a cache as old as the polling interval.
      const blockNumber = await client.getBlockNumber({ cacheTime: 0 });
      const [[admin], anchorCount] = await Promise.all([
        client.readContract({
          address: registry,
          abi: processAnchorRegistryAbi,
          functionName: "tenantAdmin",
          args: [tenantId],
          blockNumber,
        }),
        client.readContract({
          address: registry,
          abi: processAnchorRegistryAbi,
          functionName: "anchorCount",
          args: [tenantId],
          blockNumber,
        }),
      ]);
      return { blockNumber, admin, anchorCount: BigInt(anchorCount) };
    },
  };
}
