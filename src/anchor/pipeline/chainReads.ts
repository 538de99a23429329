/**
 * Raw look-ups of transactions by hash, shared by the settle loop
 * (transactions.ts) and the registry look-ups (landed.ts). Raw rather than
 * viem's formatted answers: OP Stack nodes add `l1Fee` to receipts, which the
 * default formatter would pass through untyped.
 */
import { type Address, encodeEventTopics, type Hex } from "viem";
import { processAnchorRegistryAbi } from "../abi.ts";
import type { RegistryReader } from "../registryReads.ts";

export interface RawReceipt {
  readonly status: Hex;
  readonly blockNumber: Hex;
  readonly gasUsed: Hex;
  readonly effectiveGasPrice: Hex;
  readonly transactionHash: Hex;
  readonly from: Address;
  readonly logs: readonly { readonly address: Address; readonly topics: readonly Hex[] }[];
  readonly l1Fee?: Hex | null;
}

/** A transaction with a receipt: what a receipt file and the database record of it. */
export interface MinedAnchor {
  readonly txHash: Hex;
  readonly blockNumber: bigint;
  readonly gasUsed: bigint;
  /** L2 execution fee plus, on OP Stack chains, the L1 data fee. */
  readonly fee: bigint;
}

export async function receiptOf(publicClient: RegistryReader, hash: Hex): Promise<RawReceipt | null> {
  return (await publicClient.request({
    method: "eth_getTransactionReceipt",
    params: [hash],
  } as never)) as RawReceipt | null;
}

/** The transaction's nonce, or null when the node does not know the transaction. */
export async function nonceOf(publicClient: RegistryReader, hash: Hex): Promise<number | null> {
  const found = (await publicClient.request({ method: "eth_getTransactionByHash", params: [hash] } as never)) as {
    nonce: Hex;
  } | null;
  return found === null ? null : Number(BigInt(found.nonce));
}

export async function knownToNode(publicClient: RegistryReader, hash: Hex): Promise<boolean> {
  return (await nonceOf(publicClient, hash)) !== null;
}

export function mined(receipt: RawReceipt): MinedAnchor {
  const gasUsed = BigInt(receipt.gasUsed);
  const l1Fee = receipt.l1Fee ? BigInt(receipt.l1Fee) : 0n;
  return {
    txHash: receipt.transactionHash,
    blockNumber: BigInt(receipt.blockNumber),
    gasUsed,
    fee: gasUsed * BigInt(receipt.effectiveGasPrice) + l1Fee,
  };
}

const [PROCESS_ANCHORED] = encodeEventTopics({ abi: processAnchorRegistryAbi, eventName: "ProcessAnchored" });

/** How many chains the transaction anchored in `registry`: its ProcessAnchored logs there. */
export function anchorsIn(receipt: RawReceipt, registry: Address): number {
  return receipt.logs.filter(
    (log) => log.address.toLowerCase() === registry.toLowerCase() && log.topics[0] === PROCESS_ANCHORED,
  ).length;
}
