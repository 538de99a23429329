/**
 * Reads one ERC-7053 commit back from its transaction: the receipt's `Commit`
 * log whose indexed assetCid is keccak256 of the expected CID, its commitData,
 * and (for a direct `commit` call) the CID in the transaction's input.
 */
import { decodeEventLog, type Hex, keccak256, stringToBytes } from "viem";
import { commitRegisterAbi } from "../anchor/abi.ts";
import { assetCidFromCommitInput, type CommitFacts, parseCommitData } from "./commitInput.ts";

/** The reads it makes: a viem public client of the Numbers chain fits. */
export interface CommitChainReader {
  getTransactionReceipt(parameters: { hash: Hex }): Promise<{
    status: "success" | "reverted";
    blockNumber: bigint;
    logs: readonly { address: Hex; topics: readonly Hex[]; data: Hex }[];
  }>;
  getTransaction(parameters: { hash: Hex }): Promise<{ input: Hex; to: Hex | null }>;
}

export interface ReadCommitParameters {
  readonly txHash: Hex;
  /** The asset CID the commit should carry (its NID). */
  readonly assetCid: string;
}

export type ReadCommitResult =
  | {
      readonly found: true;
      readonly blockNumber: bigint;
      /** The contract that emitted the Commit log. */
      readonly contract: Hex;
      readonly commitData: CommitFacts;
      /** Whether the transaction's input is a direct `commit` of this CID (false: made through another contract). */
      readonly directCall: boolean;
    }
  | { readonly found: false; readonly reason: string };

/**
 * The commit of `assetCid` made by `txHash`, or why there is none. RPC failures propagate.
 *
 * @example
 * const commit = await readCommit(numbersClient, { txHash, assetCid: packetCid });
 */
export async function readCommit(
  client: CommitChainReader,
  parameters: ReadCommitParameters,
): Promise<ReadCommitResult> {
  const { txHash, assetCid } = parameters;
  const receipt = await client.getTransactionReceipt({ hash: txHash });
  if (receipt.status !== "success") return { found: false, reason: `transaction ${txHash} reverted` };
  const cidHash = keccak256(stringToBytes(assetCid));
  for (const log of receipt.logs) {
    let event: ReturnType<typeof decodeEventLog<typeof commitRegisterAbi>>;
    try {
      event = decodeEventLog({ abi: commitRegisterAbi, data: log.data, topics: log.topics as [Hex, ...Hex[]] });
    } catch {
      continue; // another contract's log, or another event
    }
    if (event.eventName !== "Commit" || log.topics[2]?.toLowerCase() !== cidHash) continue;
    const transaction = await client.getTransaction({ hash: txHash });
    return {
      found: true,
      blockNumber: receipt.blockNumber,
      contract: log.address,
      commitData: parseCommitData(event.args.commitData),
      directCall: assetCidFromCommitInput(transaction.input, cidHash) === assetCid,
    };
  }
  return { found: false, reason: `transaction ${txHash} emitted no ERC-7053 Commit of ${assetCid}` };
}
