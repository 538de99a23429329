/**
 * The one transaction engine (decision 024): sends a contract call so that it
 * lands at most once. Every signed attempt is recorded before it is broadcast
 * (state.ts), and a pending submission is settled by looking its attempts up,
 * never by sending anew. A transaction the chain does not know is broadcast
 * again (same bytes, same hash); one stuck for `stuckAfterMs` is replaced at
 * the same nonce with fees raised by 12.5 % (the minimum a node accepts for a
 * replacement is 10 %). What the call was meant to do may have been done by
 * another transaction (a relayer that front-ran ours, another process): before
 * a recorded transaction is broadcast, before a used nonce is declared
 * dropped, and when ours reverted, the caller's `landed` hook is asked.
 * Used by the anchoring pipeline (src/anchor/pipeline/transactions.ts) and
 * the direct Numbers committer (src/numbers/directCommitter.ts).
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
import { describeRegistryError } from "../anchor/registryErrors.ts";
import type { Database } from "../db/database.ts";
import { sleep } from "../storage/http.ts";
import {
  type ChainClient,
  knownToNode,
  type MinedTransaction,
  mined,
  type RawReceipt,
  receiptOf,
} from "./chainReads.ts";
import { TransactionError } from "./errors.ts";
import {
  type InTransaction,
  type NewAttempt,
  readSubmission,
  recordAttempt,
  recordConfirmed,
  recordSent,
  releaseSubmissionIn,
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

/** How the engine's errors speak to the caller's user. */
export interface Wording {
  /** What to do to resume, as a verb phrase: "run pop anchor again". */
  readonly again: string;
  /** Who pays for the transactions: "relayer", "committer". */
  readonly payer: string;
  /** The `details` of a revert, once the submission is released. */
  readonly afterRevert: string;
  /** Builds the error thrown (the caller's own subclass). */
  readonly error: (message: string, options: ConstructorParameters<typeof TransactionError>[1]) => TransactionError;
}

const DEFAULT_WORDING: Wording = {
  again: "try again",
  payer: "sender",
  afterRevert: "The submission is released: try again to see why and to send it anew.",
  error: (message, options) => new TransactionError(message, options),
};

/** What the caller needs to sign and send transactions. */
export interface SenderContext {
  readonly db: Database;
  readonly publicClient: ChainClient;
  /** Pays the gas. */
  readonly sender: LocalAccount;
  readonly evmChainId: number;
  /** Called after each recorded step (state committed). */
  readonly onStep?: (step: string) => void | Promise<void>;
  readonly wording?: Wording;
}

export interface UnsignedCall {
  readonly to: Address;
  readonly data: Hex;
  readonly gas: bigint;
}

/**
 * What the caller says about a submission of its own while the engine settles it:
 * - `landed`: asked when none of the submission's attempts is (visibly) mined but its work may be done
 *   (`release` says what the submission would be released as): `ours` — one of its attempts did it, the
 *   RPC lags; `absent` — not done; `released` — done by another transaction, and the hook has recorded
 *   that and released the submission (in one database transaction). Without the hook: always `absent`.
 * - `onConfirmed` / `onReleased`: the caller's rows, changed in the database transaction that confirms or
 *   releases the submission.
 */
export interface SettleHooks {
  readonly landed?: (
    submission: SubmissionRecord,
    release: { readonly status: "reverted" | "dropped"; readonly txHash?: Hex },
  ) => Promise<"ours" | "absent" | "released">;
  readonly onConfirmed?: InTransaction;
  readonly onReleased?: InTransaction;
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
export async function currentFees(publicClient: ChainClient) {
  const { maxFeePerGas, maxPriorityFeePerGas } = await estimateFeesPerGas(publicClient);
  return { maxFeePerGas, maxPriorityFeePerGas };
}

const BENIGN_BROADCAST =
  /already known|known transaction|already imported|nonce too low|replacement transaction underpriced|transaction already exists/i;

/** Broadcasts a recorded attempt. A node that already has it, or has mined its nonce, is not an error here. */
export async function broadcast(context: SenderContext, raw: Hex, hash: Hex): Promise<void> {
  const wording = context.wording ?? DEFAULT_WORDING;
  try {
    await sendRawTransaction(context.publicClient, { serializedTransaction: raw });
  } catch (error) {
    const text = error instanceof Error ? `${error.message} ${(error as { details?: string }).details ?? ""}` : "";
    if (BENIGN_BROADCAST.test(text)) return;
    if (/insufficient funds/i.test(text))
      throw wording.error(`The ${wording.payer} ${context.sender.address} cannot pay for transaction ${hash}.`, {
        cause: error,
        details: `Fund the ${wording.payer} account, then ${wording.again}: the recorded transaction is sent, not a new one.`,
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

async function release(
  context: SenderContext,
  hooks: SettleHooks,
  submissionId: string,
  status: "reverted" | "dropped",
  txHash?: Hex,
): Promise<void> {
  await context.db.transaction(async (sql) => {
    await releaseSubmissionIn(sql, submissionId, status, txHash);
    await hooks.onReleased?.(sql, submissionId);
  });
}

/**
 * Waits for a recorded submission to be mined with `confirmations`, rebroadcasting
 * and replacing it as needed. Resolves with the mined transaction, or with
 * `null` when the submission was released: dropped, or its work done by
 * another transaction (the `landed` hook recorded it).
 *
 * @throws {TransactionError} (the wording's own subclass) when it reverted for another reason
 *   (released) or cannot be settled for now.
 */
export async function settleSubmission(
  context: SenderContext,
  submissionId: string,
  hooks: SettleHooks,
  options: SendOptions,
): Promise<MinedTransaction | null> {
  const wording = context.wording ?? DEFAULT_WORDING;
  const landed = hooks.landed ?? (() => Promise.resolve("absent" as const));
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
      // One of our attempts did the work, says the caller, but the RPC does not serve its receipt yet.
      let lagging = false;
      if (receipt === null) {
        const chainNonce = await getTransactionCount(context.publicClient, {
          address: submission.sender,
          blockTag: "latest",
        });
        if (chainNonce > submission.nonce) {
          // Mined in between the two looks, or really taken: look once more, then ask the caller.
          receipt = await findReceipt(context, submission);
          if (receipt === null) {
            const verdict = await landed(submission, { status: "dropped" });
            if (verdict === "released") return null;
            if (verdict === "absent") {
              await release(context, hooks, submissionId, "dropped");
              await context.onStep?.("dropped");
              return null;
            }
            lagging = true;
          }
        }
      }
      if (receipt !== null) {
        if (receipt.status !== "0x1") {
          // Reverted because another transaction did the work first: not a failure of the caller's.
          const verdict = await landed(submission, { status: "reverted", txHash: receipt.transactionHash });
          if (verdict === "released") return null;
          await release(context, hooks, submissionId, "reverted", receipt.transactionHash);
          await context.onStep?.("reverted");
          throw wording.error(
            `Transaction ${receipt.transactionHash} reverted in block ${BigInt(receipt.blockNumber)}.`,
            {
              details: wording.afterRevert,
            },
          );
        }
        const latest = await getBlockNumber(context.publicClient, { cacheTime: 0 });
        if (latest - BigInt(receipt.blockNumber) + 1n >= BigInt(options.confirmations)) {
          const result = mined(receipt);
          await recordConfirmed(context.db, submissionId, result, hooks.onConfirmed);
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
          // The bytes going out (again) would only revert if another transaction has done the work meanwhile.
          const verdict = await landed(submission, { status: "dropped" });
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
      if (error instanceof TransactionError) throw error;
      const described = describeRegistryError(error);
      if (!described.retryable || ++failures >= rpcFailures)
        throw wording.error(`Settling transaction of submission ${submissionId} failed: ${described.shortMessage}`, {
          cause: error,
          details: `The transaction is recorded: ${wording.again} to look it up (it is never sent twice).`,
          retryable: described.retryable,
        });
    }
    if (Date.now() >= giveUpAt)
      throw wording.error(`Submission ${submissionId} is not confirmed yet.`, {
        details: `Its transaction ${submission.attempts.at(-1)?.hash} (nonce ${submission.nonce}) is recorded: ${wording.again} to go on waiting; it is never sent twice.`,
        retryable: true,
      });
    if (justSent) justSent = false;
    else await sleep(pollingIntervalMs);
  }
}
