/**
 * The registry as the last word on whether a run is anchored (decision 014).
 * `anchor()` is callable by anyone, so the signed anchor a run records may
 * land by a transaction this pipeline did not send (a relayer that submitted it
 * first), and an RPC that lags may not show our own mined transaction. Before
 * a run is simulated, before a recorded transaction is broadcast and before a
 * submission is declared dropped, the registry is read: a run it holds with
 * the same chainHash and CID is anchored (by whichever transaction did it), one
 * it holds with other content is a conflict, never retried.
 */
import { type Address, getAddress, type Hex } from "viem";
import { getBlockNumber } from "viem/actions";
import type { Database } from "../../db/database.ts";
import { sleep } from "../../storage/http.ts";
import type { SubmissionRecord } from "../../transactions/state.ts";
import { toOnchainId } from "../ids.ts";
import { describeRegistryError } from "../registryErrors.ts";
import { type AnchorLog, type RegistryReader, readAnchorLogs } from "../registryReads.ts";
import { anchorsIn, mined, nonceOf, receiptOf } from "./chainReads.ts";
import { type AnchorConflict, AnchorTransactionError } from "./errors.ts";
import { type FoundAnchor, type FoundTransaction, type Release, recordFound } from "./foundState.ts";
import type { RunRecord } from "./state.ts";

export interface RegistryLookupContext {
  readonly db: Database;
  readonly publicClient: RegistryReader;
  readonly evmChainId: number;
  /** Called after each recorded step (state committed). */
  readonly onStep?: (step: string) => void | Promise<void>;
}

/** How long to wait for a found transaction's receipt (the same options as the settle loop's). */
export interface LookupOptions {
  readonly confirmations: number;
  readonly pollingIntervalMs?: number;
  readonly timeoutMs?: number;
  readonly rpcFailures?: number;
}

/** A run and the anchor the registry holds for its (tenant, chain id). */
export interface HeldRun {
  readonly run: RunRecord;
  readonly log: AnchorLog;
}

export interface RegistryPlan {
  /** Not in the registry: still to be sent. */
  readonly absent: RunRecord[];
  /** In the registry with this run's chainHash and CID: anchored, whoever sent the transaction. */
  readonly found: HeldRun[];
  /** In the registry with another chainHash or CID. */
  readonly conflicts: AnchorConflict[];
}

/** Registry reads in flight at once: a batch of hundreds of runs should not look like a flood to a public RPC. */
const LOOKUPS_AT_ONCE = 16;

/**
 * Sorts signed runs by what the registry holds for each (tenant, chain id),
 * read through `anchorBlock` and the ProcessAnchored log of that block.
 */
export async function lookUpRuns(publicClient: RegistryReader, runs: readonly RunRecord[]): Promise<RegistryPlan> {
  const plan: RegistryPlan = { absent: [], found: [], conflicts: [] };
  for (let start = 0; start < runs.length; start += LOOKUPS_AT_ONCE) {
    const chunk = runs.slice(start, start + LOOKUPS_AT_ONCE);
    const held = await Promise.all(
      chunk.map((run) =>
        readAnchorLogs(publicClient, {
          registry: run.registry,
          tenantId: toOnchainId(run.tenantId),
          chainId: toOnchainId(run.chainId),
        }).catch((error: unknown) => {
          throw describeRegistryError(error, { ids: [run.tenantId, run.chainId] });
        }),
      ),
    );
    for (const [i, run] of chunk.entries()) {
      // The registry anchors a (tenant, chain id) once, so its anchor block holds one log of it.
      const [log] = held[i] ?? [];
      if (log === undefined) plan.absent.push(run);
      else if (log.chainHash.toLowerCase() === run.chainHash?.toLowerCase() && log.ipfsCid === run.chainscriptCid)
        plan.found.push({ run, log });
      else plan.conflicts.push({ run, anchored: log });
    }
  }
  return plan;
}

/**
 * The receipt of the transaction that put `log` in the registry, once it has
 * `confirmations`. A node that serves the log but not yet the receipt lags
 * behind another: it is asked again until `timeoutMs`.
 */
async function awaitFound(
  context: RegistryLookupContext,
  registry: Address,
  held: HeldRun,
  options: LookupOptions,
): Promise<FoundTransaction> {
  const { publicClient } = context;
  const hash = held.log.transactionHash;
  const giveUpAt = Date.now() + (options.timeoutMs ?? 600_000);
  const rpcFailures = options.rpcFailures ?? 8;
  for (let failures = 0; ; ) {
    try {
      const receipt = await receiptOf(publicClient, hash);
      const nonce = receipt === null ? null : await nonceOf(publicClient, hash);
      // A failed receipt for a transaction the registry shows anchoring is a node that has not caught up.
      if (receipt !== null && nonce !== null && receipt.status === "0x1") {
        const latest = await getBlockNumber(publicClient, { cacheTime: 0 });
        if (latest - BigInt(receipt.blockNumber) + 1n >= BigInt(options.confirmations))
          return { ...mined(receipt), sender: getAddress(receipt.from), nonce, anchors: anchorsIn(receipt, registry) };
      }
      failures = 0;
    } catch (error) {
      const described = describeRegistryError(error);
      if (!described.retryable || ++failures >= rpcFailures)
        throw new AnchorTransactionError(
          `Looking up transaction ${hash}, which anchored chain ${held.run.chainId}, failed: ${described.shortMessage}`,
          { cause: error, details: "Nothing was sent for it: run pop anchor again.", retryable: described.retryable },
        );
    }
    if (Date.now() >= giveUpAt)
      throw new AnchorTransactionError(
        `The registry holds the anchor of chain ${held.run.chainId} from transaction ${hash} (block ${held.log.blockNumber}), but the RPC has no successful receipt of it with ${options.confirmations} confirmation(s) yet.`,
        { details: "Nothing was sent for it: run pop anchor again to go on waiting.", retryable: true },
      );
    await sleep(options.pollingIntervalMs ?? 1_000);
  }
}

/**
 * Records `found` runs as anchored by the transactions that did it (each
 * waited for with the confirmations asked), releasing `release` in the same
 * database transaction.
 */
export async function recordFoundRuns(
  context: RegistryLookupContext,
  registry: Address,
  found: readonly HeldRun[],
  options: LookupOptions,
  release?: Release,
): Promise<void> {
  if (found.length === 0 && release === undefined) return;
  const transactions = new Map<Hex, Promise<FoundTransaction>>();
  const entries: FoundAnchor[] = [];
  for (const held of found) {
    // A batch relayed as a whole is one transaction for several runs: looked up once.
    const hash = held.log.transactionHash;
    const transaction = transactions.get(hash) ?? awaitFound(context, registry, held, options);
    transactions.set(hash, transaction);
    entries.push({ runKey: held.run.runKey, transaction: await transaction });
  }
  await recordFound(context.db, { evmChainId: context.evmChainId, registry }, entries, release);
  await context.onStep?.(found.length > 0 || release === undefined ? "found" : release.status);
}

/**
 * What the registry says of a pending submission's runs when ours is not (or
 * not visibly) mined:
 * - `ours`: one of its attempts anchored them; the RPC has not shown its receipt yet;
 * - `absent`: none of them is in the registry;
 * - `released`: some are anchored by another transaction or with other content, so ours can only revert:
 *   the submission is released with `release`, runs found are recorded as anchored, the rest go back to `signed`.
 */
export async function settleAgainstRegistry(
  context: RegistryLookupContext,
  submission: SubmissionRecord,
  runs: readonly RunRecord[],
  options: LookupOptions,
  release: Omit<Release, "submissionId">,
): Promise<"ours" | "absent" | "released"> {
  const plan = await lookUpRuns(context.publicClient, runs);
  const attempts = new Set(submission.attempts.map((attempt) => attempt.hash.toLowerCase()));
  if (plan.found.some((held) => attempts.has(held.log.transactionHash.toLowerCase()))) return "ours";
  if (plan.found.length === 0 && plan.conflicts.length === 0) return "absent";
  await recordFoundRuns(context, submission.contract, plan.found, options, {
    submissionId: submission.id,
    ...release,
  });
  return "released";
}
