import { BaseError } from "../errors.ts";

/**
 * A recorded transaction failed or could not be settled for now; `details` says what to do. Callers
 * (the anchoring pipeline, the Numbers committer) throw subclasses that name their own command.
 */
export class TransactionError extends BaseError {
  override name = "TransactionError";
}
