/**
 * Sending the anchoring transaction so that it lands exactly once: every
 * signed attempt is recorded before it is broadcast (state.ts), and a pending
 * submission is settled by looking its attempts up, never by sending anew.
 * A transaction the chain does not know is broadcast again (same bytes, same
 * hash); one stuck for `stuckAfterMs` is replaced at the same nonce with fees
 * raised by 12.5 % (the minimum a node accepts for a replacement is 10 %); a
 * nonce taken by another transaction releases the runs to be sent again, after
 * the registry has confirmed none of them is anchored.
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
import { BaseError } from "../../errors.ts";
import { sleep } from "../../storage/http.ts";
import { toOnchainId } from "../ids.ts";
import { describeRegistryError } from "../registryErrors.ts";
import { type RegistryReader, readAnchorLogs } from "../registryReads.ts";
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

/** The anchoring transaction failed or could not be settled; `details` says what to do. */
export class AnchorTransactionError extends BaseError {
  override name = "AnchorTransactionError";
}

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

export interface MinedAnchor {
  readonly txHash: Hex;
  readonly blockNumber: bigint;
  readonly gasUsed: bigint;
  /** L2 execution fee plus, on OP Stack chains, the L1 data fee. */
  readonly fee: bigint;
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

interface RawReceipt {
  status: Hex;
  blockNumber: Hex;
  gasUsed: Hex;
  effectiveGasPrice: Hex;
  transactionHash: Hex;
  l1Fee?: Hex | null;
}

async function receiptOf(publicClient: RegistryReader, hash: Hex): Promise<RawReceipt | null> {
  // The raw receipt: OP Stack nodes add l1Fee, which viem's default formatter would pass through untyped.
  return (await publicClient.request({
    method: "eth_getTransactionReceipt",
    params: [hash],
  } as never)) as RawReceipt | null;
}

async function knownToNode(publicClient: RegistryReader, hash: Hex): Promise<boolean> {
  const found = await publicClient.request({ method: "eth_getTransactionByHash", params: [hash] } as never);
  return found !== null;
}

function mined(receipt: RawReceipt): MinedAnchor {
  const gasUsed = BigInt(receipt.gasUsed);
  const l1Fee = receipt.l1Fee ? BigInt(receipt.l1Fee) : 0n;
  return {
    txHash: receipt.transactionHash,
    blockNumber: BigInt(receipt.blockNumber),
    gasUsed,
    fee: gasUsed * BigInt(receipt.effectiveGasPrice) + l1Fee,
  };
}

// biome-ignore lint/complexity/useMathMinMax: bigints, which Math.max does not take
const largest = (...values: bigint[]) => values.reduce((a, b) => (b > a ? b : a));
const raise = (value: bigint) => value + (value + 7n) / 8n; // +12.5 %, rounded up

/** The first attempt that has a receipt, newest first (only one of them can be mined: they share a nonce). */
async function findReceipt(context: SenderContext, submission: SubmissionRecord) {
  for (const attempt of [...submission.attempts].reverse()) {
    const receipt = await receiptOf(context.publicClient, attempt.hash);
    if (receipt !== null) return receipt;
  }
  return null;
}

/**
 * The nonce went to a transaction that is not one of our attempts. If the
 * registry holds every run's anchor anyway (sent by another means), that
 * transaction is the answer; otherwise the submission is released.
 */
async function nonceTaken(context: SenderContext, submission: SubmissionRecord, runs: readonly RunRecord[]) {
  const logs = await Promise.all(
    runs.map((run) =>
      readAnchorLogs(context.publicClient, {
        registry: submission.registry,
        tenantId: toOnchainId(run.tenantId),
        chainId: toOnchainId(run.chainId),
      }),
    ),
  );
  const hashes = new Set(logs.flatMap((found) => found.map((log) => log.transactionHash)));
  const [only] = hashes;
  if (logs.every((found) => found.length > 0) && hashes.size === 1 && only !== undefined) {
    return receiptOf(context.publicClient, only);
  }
  if (logs.some((found) => found.length > 0))
    throw new AnchorTransactionError(
      `Some runs of submission ${submission.id} were anchored by another transaction and some were not.`,
      { details: "Check the runs with pop verify; this needs a person to look at it." },
    );
  await releaseSubmission(context.db, submission.id, "dropped");
  await context.onStep?.("dropped");
  return null;
}

/**
 * Waits for a recorded submission to be mined with `confirmations`, rebroadcasting
 * and replacing it as needed. Resolves with the mined transaction, or with
 * `null` when the submission was dropped (its runs are back at `signed`).
 *
 * @throws {AnchorTransactionError} when it reverted (runs released) or cannot be settled for now.
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
      if (receipt === null) {
        const chainNonce = await getTransactionCount(context.publicClient, {
          address: submission.sender,
          blockTag: "latest",
        });
        if (chainNonce > submission.nonce) {
          // Mined in between the two looks, or really taken: look once more before concluding.
          receipt = (await findReceipt(context, submission)) ?? (await nonceTaken(context, submission, runs));
          if (receipt === null) return null;
        }
      }
      if (receipt !== null) {
        if (receipt.status !== "0x1") {
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
      } else {
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
          await broadcast(context, newest.raw, newest.hash);
          if (!newest.sent) {
            await context.onStep?.("sent");
            justSent = true; // once per attempt: a node that keeps losing it is asked again only after a pause
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
