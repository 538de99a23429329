import { BaseError } from "../errors.ts";

/** Bytes do not hash to the CID they were asked for or reported under. Never retryable from the same source. */
export class CidMismatchError extends BaseError {
  override name = "CidMismatchError";
  readonly expected: string;
  readonly actual: string;

  constructor(source: string, expected: string, actual: string) {
    super(`${source} answered with content whose CID is ${actual}, not ${expected}.`);
    this.expected = expected;
    this.actual = actual;
  }
}

/** A provider or gateway failed: HTTP status, timeout, bad answer. `retryable` says whether to try again. */
export class ProviderError extends BaseError {
  override name = "ProviderError";
  readonly provider: string;
  readonly status: number | undefined;

  constructor(
    provider: string,
    message: string,
    options: { status?: number; retryable?: boolean; cause?: unknown; details?: string } = {},
  ) {
    super(`${provider}: ${message}`, options);
    this.provider = provider;
    this.status = options.status;
  }
}

/** The content is not available from any configured source. */
export class ContentNotFoundError extends BaseError {
  override name = "ContentNotFoundError";
  readonly cid: string;

  constructor(cid: string, details?: string) {
    super(`No source has ${cid}.`, details === undefined ? { retryable: true } : { details, retryable: true });
    this.cid = cid;
  }
}

/** A CID string that cannot be parsed. */
export class InvalidCidError extends BaseError {
  override name = "InvalidCidError";

  constructor(cid: string) {
    super(`"${cid}" is not a CID.`);
  }
}
