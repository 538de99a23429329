/**
 * Transaction look-ups (shared with the transaction engine, src/transactions/)
 * and what a receipt says about the registry.
 */
import { type Address, encodeEventTopics } from "viem";
import type { MinedTransaction, RawReceipt } from "../../transactions/chainReads.ts";
import { processAnchorRegistryAbi } from "../abi.ts";

export { knownToNode, mined, nonceOf, type RawReceipt, receiptOf } from "../../transactions/chainReads.ts";

/** A transaction with a receipt: what a receipt file and the database record of it. */
export type MinedAnchor = MinedTransaction;

const [PROCESS_ANCHORED] = encodeEventTopics({ abi: processAnchorRegistryAbi, eventName: "ProcessAnchored" });

/** How many chains the transaction anchored in `registry`: its ProcessAnchored logs there. */
export function anchorsIn(receipt: RawReceipt, registry: Address): number {
  return receipt.logs.filter(
    (log) => log.address.toLowerCase() === registry.toLowerCase() && log.topics[0] === PROCESS_ANCHORED,
  ).length;
}
