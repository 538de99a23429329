import type { Address, Hex } from "viem";
import { getContractEvents, readContract } from "viem/actions";
import { processAnchorRegistryAbi } from "../anchor/abi.ts";
import type { AnchorLog, RegistryReader } from "../anchor/registryReads.ts";

export interface ReadAnchorRecordParameters {
  readonly registry: Address;
  /** keccak256 of the tenant's string id. */
  readonly tenantId: Hex;
  /** keccak256 of the chainscript's UUID. */
  readonly chainId: Hex;
  /** The block "now" is read at (the endpoints' pinned block), so that endpoints a block apart agree. */
  readonly blockNumber: bigint;
}

/** What one endpoint says the registry recorded for one (tenant, chain) anchor. */
export interface AnchorRecord {
  /** The block the registry recorded for the anchor; 0 when it was never anchored. */
  readonly anchorBlock: bigint;
  /** The `ProcessAnchored` logs of that block for the tenant and chain (one, for a registry that works). */
  readonly logs: readonly AnchorLog[];
  /** The signers named by that block's `AnchorAuthorised` events for the tenant and chain (one, likewise). */
  readonly signers: readonly Address[];
}

/**
 * The anchor's block as the registry recorded it at `blockNumber`, and that
 * block's `ProcessAnchored` and `AnchorAuthorised` logs filtered by the
 * tenant and chain topics: who authorised an anchor is read from the
 * registry's own event, never from the calling transaction's input (a relay
 * contract can show any signer there, a forwarder none). One block is read,
 * so no log-range limit applies. Errors propagate as viem's.
 *
 * @example
 * const { anchorBlock, logs, signers } = await readAnchorRecord(client, { registry, tenantId, chainId, blockNumber });
 */
export async function readAnchorRecord(
  client: RegistryReader,
  parameters: ReadAnchorRecordParameters,
): Promise<AnchorRecord> {
  const { registry, tenantId, chainId, blockNumber } = parameters;
  const anchorBlock = BigInt(
    await readContract(client, {
      address: registry,
      abi: processAnchorRegistryAbi,
      functionName: "anchorBlock",
      args: [tenantId, chainId],
      blockNumber,
    }),
  );
  if (anchorBlock === 0n) return { anchorBlock, logs: [], signers: [] };
  const at = { address: registry, abi: processAnchorRegistryAbi, args: { tenantId, chainId }, strict: true } as const;
  const [anchored, authorised] = await Promise.all([
    getContractEvents(client, { ...at, eventName: "ProcessAnchored", fromBlock: anchorBlock, toBlock: anchorBlock }),
    getContractEvents(client, { ...at, eventName: "AnchorAuthorised", fromBlock: anchorBlock, toBlock: anchorBlock }),
  ]);
  return {
    anchorBlock,
    logs: anchored.map((log) => ({
      blockNumber: log.blockNumber,
      transactionHash: log.transactionHash,
      chainHash: log.args.chainHash,
      ipfsCid: log.args.ipfsCid,
      timestamp: log.args.timestamp,
    })),
    signers: authorised.map((log) => log.args.signer),
  };
}
