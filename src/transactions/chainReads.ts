/**
 * Raw look-ups of transactions by hash, shared by the settle loop (engine.ts)
 * and the callers' "landed elsewhere?" checks. Raw rather than viem's formatted
 * answers: OP Stack nodes add `l1Fee` to receipts, which the default formatter
 * would pass through untyped.
 */
import type { Address, Chain, Client, Hex, Transport } from "viem";

/**
 * Any viem client that can read and broadcast: a public client, or a wallet client extended with public
 * actions. viem's base `Client`, so clients of any chain (with its formatters, like `base`) fit.
 */
export type ChainClient = Client<Transport, Chain | undefined>;

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

/** A transaction with a receipt: what the database and the callers' receipts record of it. */
export interface MinedTransaction {
  readonly txHash: Hex;
  readonly blockNumber: bigint;
  readonly gasUsed: bigint;
  /** L2 execution fee plus, on OP Stack chains, the L1 data fee. */
  readonly fee: bigint;
}

export async function receiptOf(publicClient: ChainClient, hash: Hex): Promise<RawReceipt | null> {
  return (await publicClient.request({
    method: "eth_getTransactionReceipt",
    params: [hash],
  } as never)) as RawReceipt | null;
}

/** The transaction's nonce, or null when the node does not know the transaction. */
export async function nonceOf(publicClient: ChainClient, hash: Hex): Promise<number | null> {
  const found = (await publicClient.request({ method: "eth_getTransactionByHash", params: [hash] } as never)) as {
    nonce: Hex;
  } | null;
  return found === null ? null : Number(BigInt(found.nonce));
}

export async function knownToNode(publicClient: ChainClient, hash: Hex): Promise<boolean> {
  return (await nonceOf(publicClient, hash)) !== null;
}

export function mined(receipt: RawReceipt): MinedTransaction {
  const gasUsed = BigInt(receipt.gasUsed);
  const l1Fee = receipt.l1Fee ? BigInt(receipt.l1Fee) : 0n;
  return {
    txHash: receipt.transactionHash,
    blockNumber: BigInt(receipt.blockNumber),
    gasUsed,
    fee: gasUsed * BigInt(receipt.effectiveGasPrice) + l1Fee,
  };
}
