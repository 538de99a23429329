import { BaseError } from "../errors.ts";
import { formatBytes } from "./limits.ts";

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

/** A CID string that cannot be parsed, or one that cannot name what is asked for (`reason` says why). */
export class InvalidCidError extends BaseError {
  override name = "InvalidCidError";

  constructor(cid: string, reason?: string) {
    super(reason === undefined ? `"${cid}" is not a CID.` : `${cid} ${reason}.`);
  }
}

/**
 * An answer, block or file is larger than its limit (src/storage/limits.ts).
 * Not retryable: content under a CID never changes size, and a source that
 * sent too much was cut off and is not asked again.
 */
export class ContentTooLargeError extends BaseError {
  override name = "ContentTooLargeError";
  readonly limit: number;
  /** The size declared (Content-Length, UnixFS sizes) or seen, when known. */
  readonly size: number | undefined;

  /** `what` starts the sentence and names the thing and its source: "The answer of <gateway> for /ipfs/<cid>". */
  constructor(what: string, limit: number, size?: number) {
    const seen = size === undefined ? "" : ` (${Number.isSafeInteger(size) ? formatBytes(size) : "over 2^53 bytes"})`;
    super(`${what} is larger than the limit of ${formatBytes(limit)}${seen}.`);
    this.limit = limit;
    this.size = size;
  }
}

/**
 * A UnixFS DAG that cannot be assembled: a node that is not a file, sizes that
 * contradict its children, deeper or wider than the limits. Every block may
 * verify against its CID and the DAG still be hostile, so this is not tampering.
 */
export class InvalidDagError extends BaseError {
  override name = "InvalidDagError";
  readonly root: string;

  constructor(source: string, root: string, problem: string) {
    super(`The DAG under ${root} from ${source} ${problem}.`);
    this.root = root;
  }
}

/** Bytes that are not a CARv1: truncated, a header that is not DAG-CBOR, a section without a CID. */
export class MalformedCarError extends BaseError {
  override name = "MalformedCarError";
  readonly offset: number;

  constructor(reason: string, offset: number, cause?: unknown) {
    super(`Malformed CAR at byte ${offset}: ${reason}.`, cause === undefined ? {} : { cause });
    this.offset = offset;
  }
}
