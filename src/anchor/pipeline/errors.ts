import { BaseError } from "../../errors.ts";
import { TransactionError } from "../../transactions/errors.ts";
import type { AnchorLog } from "../registryReads.ts";
import type { RunRecord } from "./state.ts";

/** A step of the pipeline could not be completed; the state recorded so far stays for the next run. */
export class AnchorPipelineError extends BaseError {
  override name = "AnchorPipelineError";
}

/** The anchoring transaction failed or could not be settled; `details` says what to do. */
export class AnchorTransactionError extends TransactionError {
  override name = "AnchorTransactionError";
}

/** A run whose (tenant, chain id) the registry already holds with another chainHash or CID. */
export interface AnchorConflict {
  readonly run: RunRecord;
  /** The anchor the registry holds. */
  readonly anchored: AnchorLog;
}

/** One sentence per conflict: the chain id, the values anchored and where, and this run's. */
export function describeConflict({ run, anchored }: AnchorConflict): string {
  return (
    `Chain ${run.chainId} (${run.manifestPath}) of tenant "${run.tenantId}" is already anchored in registry ` +
    `${run.registry} with chainHash ${anchored.chainHash} and ipfsCid ${anchored.ipfsCid} ` +
    `(transaction ${anchored.transactionHash}, block ${anchored.blockNumber}), ` +
    `but this run has chainHash ${run.chainHash} and ipfsCid ${run.chainscriptCid}.`
  );
}

/**
 * Runs the registry already holds with other content. Never retryable: a
 * (tenant, chain id) anchors once, so these runs cannot be anchored as they
 * are. Thrown after every other run of the call has finished; `finished` says
 * which did (their receipts are written).
 */
export class AnchorConflictError extends BaseError {
  override name = "AnchorConflictError";
  readonly conflicts: readonly AnchorConflict[];
  /** Manifests of the call's other runs, anchored with their receipts written; undefined for a dry run. */
  readonly finished: readonly string[] | undefined;

  constructor(conflicts: readonly AnchorConflict[], finished?: readonly string[]) {
    const [first] = conflicts;
    const shortMessage =
      conflicts.length === 1 && first !== undefined
        ? describeConflict(first)
        : `${conflicts.length} runs are already anchored with other content: chains ${conflicts.map((c) => c.run.chainId).join(", ")}.`;
    const lines = conflicts.length === 1 ? [] : conflicts.map(describeConflict);
    lines.push(
      "Nothing was sent for them. Find out who anchored that content (the transaction named) before anything else; " +
        "a run with a new chain id would be a second, different proof of the same files.",
    );
    if (finished !== undefined)
      lines.push(
        finished.length === 0
          ? "No other run was part of this call."
          : `The other runs of this call finished, their receipts written: ${finished.join(", ")}.`,
      );
    super(shortMessage, { details: lines.join("\n"), retryable: false });
    this.conflicts = conflicts;
    this.finished = finished;
  }
}
