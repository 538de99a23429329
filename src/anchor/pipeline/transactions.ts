/**
 * Sending the anchoring transaction so that it lands exactly once: every
 * signed attempt is recorded before it is broadcast (state.ts), and a pending
 * submission is settled by looking its attempts up, never by sending anew.
 * A transaction the chain does not know is broadcast again (same bytes, same
 * hash); one stuck for `stuckAfterMs` is replaced at the same nonce with fees
 * raised by 12.5 % (the minimum a node accepts for a replacement is 10 %).
 * Before a recorded transaction is broadcast, before a used nonce is declared
 * dropped, and when ours reverted, the registry is read (landed.ts): runs it
 * already holds were anchored by some other transaction, and ours can only
 * revert, so the submission is released and the runs found are recorded.
 */
import {
  type Address,
  type Hex,
  keccak256,
  type LocalAccount,
  parseTransaction,
  type TransactionSerializableEIP1559,
} from "viem";
import { estimateFeesPerGas, getBlockNumber, getTransactionCount, sendRawTransaction } from "viem/actions";
import type { Database } from "../../db/database.ts";
import { sleep } from "../../storage/http.ts";
import { describeRegistryError } from "../registryErrors.ts";
import type { RegistryReader } from "../registryReads.ts";
import { knownToNode, type MinedAnchor, mined, type RawReceipt, receiptOf } from "./chainReads.ts";
import { AnchorTransactionError } from "./errors.ts";
import { settleAgainstRegistry } from "./landed.ts";
import {
  type NewAttempt,
  type RunRecord,
  readSubmission,
  recordAttempt,
  recordConfirmed,
  recordSent,
  releaseSubmission,
  type SubmissionRecord,
} from "./state.ts";

export interface SendOptions {
  /** Blocks to wait for, the including block counting as the first. */
  readonly confirmations: number;
  /** Between looks at the chain (default 1,000 ms). */
  readonly pollingIntervalMs?: number;
  /** An attempt pending this long is replaced with higher fees (default 60,000 ms). */
  readonly stuckAfterMs?: number;
  /** Attempts per submission, the first included (default 6). */
  readonly maxAttempts?: number;
  /** How long to wait in all before giving up for now (default 600,000 ms); a re-run goes on waiting. */
  readonly timeoutMs?: number;
  /** Consecutive failed RPC rounds before giving up for now (default 8). */
  readonly rpcFailures?: number;
}

/** What the caller needs to sign and send transactions. */
export interface SenderContext {
  readonly db: Database;
  readonly publicClient: RegistryReader;
  /** The relayer: pays the gas; may differ from the anchor signer. */
  readonly sender: LocalAccount;
  readonly evmChainId: number;
  /** Called after each recorded step (state committed). */
  readonly onStep?: (step: string) => void | Promise<void>;
}

export interface UnsignedCall {
  readonly to: Address;
  readonly data: Hex;
  readonly gas: bigint;
}

/** Signs the call at `nonce` with the given fees: the attempt to record before broadcasting. */
export async function signAttempt(
  context: SenderContext,
  call: UnsignedCall,
  nonce: number,
  fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
): Promise<NewAttempt & { readonly gas: bigint }> {
  const transaction: TransactionSerializableEIP1559 = {
    type: "eip1559",
    chainId: context.evmChainId,
    nonce,
    to: call.to,
    data: call.data,
    gas: call.gas,
    value: 0n,
    ...fees,
  };
  const raw = await context.sender.signTransaction(transaction);
  return { hash: keccak256(raw), raw, gas: call.gas, ...fees };
}

/** Current fees, with room for the base fee to rise over a few blocks. */
export async function currentFees(publicClient: RegistryReader) {
  const { maxFeePerGas, maxPriorityFeePerGas } = await estimateFeesPerGas(publicClient);
  return { maxFeePerGas, maxPriorityFeePerGas };
}

const BENIGN_BROADCAST =
  /already known|known transaction|already imported|nonce too low|replacement transaction underpriced|transaction already exists/i;

/** Broadcasts a recorded attempt. A node that already has it, or has mined its nonce, is not an error here. */
async function broadcast(context: SenderContext, raw: Hex, hash: Hex): Promise<void> {
  try {
    await sendRawTransaction(context.publicClient, { serializedTransaction: raw });
  } catch (error) {
    const text = error instanceof Error ? `${error.message} ${(error as { details?: string }).details ?? ""}` : "";
    if (BENIGN_BROADCAST.test(text)) return;
    if (/insufficient funds/i.test(text))
      throw new AnchorTransactionError(`The relayer ${context.sender.address} cannot pay for transaction ${hash}.`, {
        cause: error,
        details:
          "Fund the relayer account, then run pop anchor again: the recorded transaction is sent, not a new one.",
      });
    throw error;
  }
  await recordSent(context.db, hash);
}

// biome-ignore lint/complexity/useMathMinMax: bigints, which Math.max does not take
const largest = (...values: bigint[]) => values.reduce((a, b) => (b > a ? b : a));
const raise = (value: bigint) => value + (value + 7n) / 8n; // +12.5 %, rounded up

/** The first attempt that has a receipt, newest first (only one of them can be mined: they share a nonce). */
async function findReceipt(context: SenderContext, submission: SubmissionRecord): Promise<RawReceipt | null> {
  for (const attempt of [...submission.attempts].reverse()) {
    const receipt = await receiptOf(context.publicClient, attempt.hash);
    if (receipt !== null) return receipt;
  }
  return null;
}

/**
 * Waits for a recorded submission to be mined with `confirmations`, rebroadcasting
 * and replacing it as needed. Resolves with the mined transaction, or with
 * `null` when the submission was released: dropped, or overtaken by another
 * transaction that anchored some of its runs (those are recorded `confirmed`
 * with it, the others are back at `signed` to be planned again).
 *
 * @throws {AnchorTransactionError} when it reverted for another reason (runs released) or cannot be settled for now.
 */
export async function settleSubmission(
  context: SenderContext,
  submissionId: string,
  runs: readonly RunRecord[],
  options: SendOptions,
): Promise<MinedAnchor | null> {
  const pollingIntervalMs = options.pollingIntervalMs ?? 1_000;
  const stuckAfterMs = options.stuckAfterMs ?? 60_000;
  const maxAttempts = options.maxAttempts ?? 6;
  const giveUpAt = Date.now() + (options.timeoutMs ?? 600_000);
  const rpcFailures = options.rpcFailures ?? 8;
  const pendingSince = new Map<Hex, number>();
  let failures = 0;
  // Right after a broadcast the first look comes at once: a chain that mines on arrival (or a fast block) answers.
  let justSent = false;
  for (;;) {
    const submission = await readSubmission(context.db, submissionId);
    try {
      let receipt = await findReceipt(context, submission);
      // One of our attempts anchored the runs, says the registry, but the RPC does not serve its receipt yet.
      let lagging = false;
      if (receipt === null) {
        const chainNonce = await getTransactionCount(context.publicClient, {
          address: submission.sender,
          blockTag: "latest",
        });
        if (chainNonce > submission.nonce) {
          // Mined in between the two looks, or really taken: look once more, then ask the registry.
          receipt = await findReceipt(context, submission);
          if (receipt === null) {
            const verdict = await settleAgainstRegistry(context, submission, runs, options, { status: "dropped" });
            if (verdict === "released") return null;
            if (verdict === "absent") {
              await releaseSubmission(context.db, submissionId, "dropped");
              await context.onStep?.("dropped");
              return null;
            }
            lagging = true;
          }
        }
      }
      if (receipt !== null) {
        if (receipt.status !== "0x1") {
          // Reverted because a relayer put these anchors in the registry first: not a failure of the runs.
          const verdict = await settleAgainstRegistry(context, submission, runs, options, {
            status: "reverted",
            txHash: receipt.transactionHash,
          });
          if (verdict === "released") return null;
          await releaseSubmission(context.db, submissionId, "reverted", receipt.transactionHash);
          await context.onStep?.("reverted");
          throw new AnchorTransactionError(
            `Transaction ${receipt.transactionHash} reverted in block ${BigInt(receipt.blockNumber)}.`,
            { details: "Its runs are released: run pop anchor again to see why and to send them anew." },
          );
        }
        const latest = await getBlockNumber(context.publicClient, { cacheTime: 0 });
        if (latest - BigInt(receipt.blockNumber) + 1n >= BigInt(options.confirmations)) {
          const result = mined(receipt);
          await recordConfirmed(context.db, submissionId, result);
          await context.onStep?.("confirmed");
          return result;
        }
      } else if (!lagging) {
        const newest = submission.attempts.at(-1) as SubmissionRecord["attempts"][number];
        const since = pendingSince.get(newest.hash) ?? Date.now();
        pendingSince.set(newest.hash, since);
        if (Date.now() - since >= stuckAfterMs && submission.attempts.length < maxAttempts) {
          const fees = await currentFees(context.publicClient);
          const maxPriorityFeePerGas = largest(raise(newest.maxPriorityFeePerGas), fees.maxPriorityFeePerGas);
          const maxFeePerGas = largest(raise(newest.maxFeePerGas), fees.maxFeePerGas, maxPriorityFeePerGas);
          // The replacement carries exactly the recorded call: only the fees change.
          const previous = parseTransaction(newest.raw);
          const call = { to: previous.to as Address, data: previous.data as Hex, gas: previous.gas as bigint };
          const replacement = await signAttempt(context, call, submission.nonce, {
            maxFeePerGas,
            maxPriorityFeePerGas,
          });
          await recordAttempt(context.db, submissionId, replacement);
          await context.onStep?.("bumped");
          await broadcast(context, replacement.raw, replacement.hash);
          await context.onStep?.("sent");
          justSent = true;
        } else if (!newest.sent || !(await knownToNode(context.publicClient, newest.hash))) {
          // The bytes going out (again) would only revert if a relayer has anchored these runs meanwhile.
          const verdict = await settleAgainstRegistry(context, submission, runs, options, { status: "dropped" });
          if (verdict === "released") return null;
          if (verdict === "absent") {
            await broadcast(context, newest.raw, newest.hash);
            if (!newest.sent) {
              await context.onStep?.("sent");
              justSent = true; // once per attempt: a node that keeps losing it is asked again only after a pause
            }
          }
        }
      }
      failures = 0;
    } catch (error) {
      if (error instanceof AnchorTransactionError) throw error;
      const described = describeRegistryError(error);
      if (!described.retryable || ++failures >= rpcFailures)
        throw new AnchorTransactionError(
          `Settling transaction of submission ${submissionId} failed: ${described.shortMessage}`,
          {
            cause: error,
            details: "The transaction is recorded: run pop anchor again to look it up (it is never sent twice).",
            retryable: described.retryable,
          },
        );
    }
    if (Date.now() >= giveUpAt)
      throw new AnchorTransactionError(`Submission ${submissionId} is not confirmed yet.`, {
        details: `Its transaction ${submission.attempts.at(-1)?.hash} (nonce ${submission.nonce}) is recorded: run pop anchor again to go on waiting; it is never sent twice.`,
        retryable: true,
      });
    if (justSent) justSent = false;
    else await sleep(pollingIntervalMs);
  }
}
