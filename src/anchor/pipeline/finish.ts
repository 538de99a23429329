import type { Hex } from "viem";
import type { Database } from "../../db/database.ts";
import { toOnchainId } from "../ids.ts";
import { describeRegistryError } from "../registryErrors.ts";
import { type RegistryReader, readAnchorLogs } from "../registryReads.ts";
import { AnchorPipelineError } from "./errors.ts";
import { isOwnTransaction } from "./foundState.ts";
import { type AnchorReceipt, buildReceipt, receiptPathFor, writeReceipt } from "./receipt.ts";
import { type RunRecord, readPacketCids, readSubmission, recordDone, runsOfSubmission } from "./state.ts";

export interface FinishContext {
  readonly db: Database;
  readonly publicClient: RegistryReader;
  /** Called after each recorded step (state committed). */
  readonly onStep?: (step: string) => void | Promise<void>;
}

export interface FinishOptions {
  /** Write the receipt file beside the manifest (default true); runs without a manifest file keep theirs in the database. */
  readonly writeReceipt?: boolean;
}

/**
 * Writes the receipt of a `confirmed` (or `done`) run and moves it to `done`,
 * after checking that the registry still holds its anchor from the recorded
 * transaction: a receipt states what the chain holds now, so a reorganised
 * (or, locally, reset) chain gets none.
 */
export async function finishRun(
  context: FinishContext,
  run: RunRecord,
  options: FinishOptions = {},
): Promise<{ receipt: AnchorReceipt; receiptPath?: string }> {
  const { db } = context;
  if (run.submissionId === undefined)
    throw new AnchorPipelineError(
      `Run ${run.chainId} (${run.manifestPath}) is at step ${run.step}, with no transaction to write a receipt of.`,
    );
  const submission = await readSubmission(db, run.submissionId);
  const logs = await readAnchorLogs(context.publicClient, {
    registry: run.registry,
    tenantId: toOnchainId(run.tenantId),
    chainId: toOnchainId(run.chainId),
  }).catch((error: unknown) => {
    throw describeRegistryError(error);
  });
  if (submission.txHash === undefined || !logs.some((log) => log.transactionHash === submission.txHash))
    throw new AnchorPipelineError(
      `Run ${run.chainId} (${run.manifestPath}) is recorded as anchored by ${submission.txHash}, but the registry ${run.registry} holds no such anchor.`,
      {
        details:
          "The chain was reorganised or reset since, or the RPC serves another chain. The recorded state is kept; check the network before anything else.",
      },
    );
  // A found transaction is someone else's unless this database signed it (an attempt an RPC had hidden).
  const found = submission.status === "found" && !(await isOwnTransaction(db, submission.txHash));
  const anchors = submission.anchors ?? (await runsOfSubmission(db, submission.id)).length;
  const receipt = buildReceipt(run, await readPacketCids(db, run.runKey), {
    txHash: submission.txHash as Hex,
    blockNumber: submission.blockNumber as bigint,
    gasUsed: submission.gasUsed as bigint,
    fee: submission.fee as bigint,
    sender: submission.sender,
    anchors,
    origin: found ? "found" : "sent",
  });
  const receiptPath = options.writeReceipt === false ? undefined : receiptPathFor(run.manifestPath);
  if (receiptPath !== undefined) await writeReceipt(receiptPath, receipt);
  if (run.step !== "done") {
    await recordDone(db, run.runKey);
    await context.onStep?.("done");
  }
  return { receipt, ...(receiptPath === undefined ? {} : { receiptPath }) };
}
