/**
 * Sending the anchoring transaction through the transaction engine
 * (src/transactions/engine.ts: recorded before broadcast, nonce choice, fee
 * bumps, settling by look-up). What is the pipeline's own: a submission
 * carries runs, which move with it (state.ts), and the registry is the last
 * word on whether they are anchored. Before a recorded transaction is
 * broadcast, before a used nonce is declared dropped, and when ours reverted,
 * the registry is read (landed.ts): runs it already holds were anchored by
 * some other transaction, and ours can only revert, so the submission is
 * released and the runs found are recorded.
 */
import {
  type SenderContext as EngineContext,
  type SendOptions,
  settleSubmission as settleEngineSubmission,
  type Wording,
} from "../../transactions/engine.ts";
import type { RegistryReader } from "../registryReads.ts";
import type { MinedAnchor } from "./chainReads.ts";
import { AnchorTransactionError } from "./errors.ts";
import { settleAgainstRegistry } from "./landed.ts";
import { confirmRunsIn, type RunRecord, releaseRunsIn } from "./state.ts";

export {
  currentFees,
  type SendOptions,
  signAttempt,
  type UnsignedCall,
} from "../../transactions/engine.ts";

/** What the caller needs to sign and send transactions. */
export interface SenderContext extends EngineContext {
  readonly publicClient: RegistryReader;
}

const ANCHOR_WORDING: Wording = {
  again: "run pop anchor again",
  payer: "relayer",
  afterRevert: "Its runs are released: run pop anchor again to see why and to send them anew.",
  error: (message, options) => new AnchorTransactionError(message, options),
};

/**
 * Waits for a recorded submission to be mined with `confirmations`, rebroadcasting
 * and replacing it as needed. Resolves with the mined transaction, or with
 * `null` when the submission was released: dropped, or overtaken by another
 * transaction that anchored some of its runs (those are recorded `confirmed`
 * with it, the others are back at `signed` to be planned again).
 *
 * @throws {AnchorTransactionError} when it reverted for another reason (runs released) or cannot be settled for now.
 */
export function settleSubmission(
  context: SenderContext,
  submissionId: string,
  runs: readonly RunRecord[],
  options: SendOptions,
): Promise<MinedAnchor | null> {
  return settleEngineSubmission(
    { ...context, wording: ANCHOR_WORDING },
    submissionId,
    {
      landed: (submission, release) => settleAgainstRegistry(context, submission, runs, options, release),
      onConfirmed: confirmRunsIn,
      onReleased: releaseRunsIn,
    },
    options,
  );
}
