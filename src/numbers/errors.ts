/**
 * What the Numbers committers throw. The Capture API's refusals are
 * ProviderErrors naming the provider ("numbers-capture"), so a caller that
 * handles storage providers' failures handles these the same way.
 */
import { BaseError } from "../errors.ts";
import { ProviderError } from "../storage/errors.ts";

/** HTTP 400 `asset_commit_insufficient_fund`: the Numbers account cannot pay for the commit. */
export class InsufficientNumError extends ProviderError {
  override name = "InsufficientNumError";

  constructor(provider: string, operation: string, details: string) {
    super(
      provider,
      `the Numbers account has insufficient NUM to pay for the ${operation} (asset_commit_insufficient_fund); top it up and settle again`,
      { status: 400, retryable: false, details },
    );
  }
}

/** HTTP 401/403: the API token is wrong, expired, or not allowed to do this. The token itself is never quoted. */
export class CaptureAuthError extends ProviderError {
  override name = "CaptureAuthError";

  constructor(provider: string, status: number, operation: string, details: string) {
    super(
      provider,
      status === 401
        ? `the Capture API token was refused (HTTP 401) for the ${operation}: check POP_NUMBERS_API_TOKEN`
        : `the Capture API token is not allowed to make the ${operation} (HTTP 403)`,
      { status, retryable: false, details },
    );
  }
}

/** HTTP 404 on /assets/{nid}/: the API knows no asset by this NID (or not for this account). */
export class UnknownNidError extends ProviderError {
  override name = "UnknownNidError";
  readonly nid: string;

  constructor(provider: string, nid: string) {
    super(provider, `no asset with NID ${nid} (HTTP 404)`, { status: 404, retryable: false });
    this.nid = nid;
  }
}

/** An answer that is not what the API documents: not JSON, an NID that is not a CID, a tx hash that is not one. */
export class CaptureAnswerError extends ProviderError {
  override name = "CaptureAnswerError";

  constructor(provider: string, operation: string, problem: string) {
    super(provider, `the answer to the ${operation} ${problem}`, { retryable: false });
  }
}

/**
 * A register request may have reached Numbers (a crash, a timeout or a 5xx
 * after sending it) and nothing can tell whether it did: the asset is not
 * found under its CID, and this API's NIDs are not known to equal CIDs here.
 * Registering again could register (and pay for) the packet twice, so the key
 * waits for an operator: `resolveAmbiguous` (decision 023).
 */
export class CommitAmbiguousError extends BaseError {
  override name = "CommitAmbiguousError";
  readonly idempotencyKey: string;

  constructor(idempotencyKey: string, details: string) {
    super(
      `Cannot tell whether Numbers registered the packet for ${idempotencyKey}: it is not found under its CID, and registering again could commit it twice.`,
      { details, retryable: false },
    );
    this.idempotencyKey = idempotencyKey;
  }
}

/** Another process (or call) holds the key's lease and is committing it now; ask again later. */
export class CommitInProgressError extends BaseError {
  override name = "CommitInProgressError";
  readonly idempotencyKey: string;

  constructor(idempotencyKey: string) {
    super(`The commit for ${idempotencyKey} is being made by another call; settle it again later.`, {
      retryable: true,
    });
    this.idempotencyKey = idempotencyKey;
  }
}

/** The key was recorded for another packet: one key, one commit (HTTP 409 in the receipts service). */
export class CommitKeyConflictError extends BaseError {
  override name = "CommitKeyConflictError";
  readonly idempotencyKey: string;

  constructor(idempotencyKey: string, recordedCid: string, requestedCid: string) {
    super(`${idempotencyKey} is already recorded for the packet ${recordedCid}, not ${requestedCid}.`);
    this.idempotencyKey = idempotencyKey;
  }
}

/** A commit request that cannot be made: the field and the problem. */
export class InvalidCommitRequestError extends BaseError {
  override name = "InvalidCommitRequestError";
}
