/**
 * The statement timeout as the API answers it. On Postgres the server cancels
 * a statement that runs past it (readonlyPool.ts sets it on the API's
 * connections). PGlite ignores `statement_timeout` and runs each statement
 * synchronously on the indexer's one thread, so no timer can fire while one
 * runs (measured: `pg_sleep(0.5)` under `statement_timeout = 10` takes 500 ms,
 * and no timer fires during 50 back-to-back queries): there the bound is a
 * deadline per request, checked before and after each read, which stops the
 * reads that would follow and answers 503 instead of a late answer.
 */
import { ApiError } from "./params.ts";

/** The moment one request's database reads must have ended by. */
export class Deadline {
  readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly end: number;

  constructor(timeoutMs: number, now: () => number = () => performance.now()) {
    this.timeoutMs = timeoutMs;
    this.now = now;
    this.end = now() + timeoutMs;
  }

  get passed(): boolean {
    return this.now() > this.end;
  }

  /** Throws the 503 answer once the deadline has passed. */
  check(): void {
    if (this.passed) throw timeoutError(this.timeoutMs);
  }
}

/** The answer to reads stopped by the statement timeout. */
export function timeoutError(timeoutMs: number): ApiError {
  return new ApiError(
    503,
    `The request's database reads ran past the API's statement timeout of ${timeoutMs} ms and were stopped: ask for fewer rows (a smaller limit) or try again later.`,
  );
}

/** The answer to a statement that waited too long for a lock (Ponder's read-only connections set lock_timeout 500 ms). */
export function lockTimeoutError(): ApiError {
  return new ApiError(
    503,
    "A database read of this request waited too long for a table the indexer was writing and was stopped: try again later.",
  );
}

/** Postgres's SQLSTATEs for a statement cancelled (statement_timeout) and for a lock not obtained in time. */
const QUERY_CANCELED = "57014";
const LOCK_NOT_AVAILABLE = "55P03";

/**
 * The 503 answer when `error` (or an error it was caused by) is a read
 * stopped by a timeout: our deadline's, or Postgres's statement or lock
 * timeout; undefined for any other error.
 */
export function timeoutAnswer(error: unknown, timeoutMs: number): ApiError | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof ApiError && e.status === 503) return e;
    const code = (e as { code?: unknown }).code;
    if (code === QUERY_CANCELED) return timeoutError(timeoutMs);
    if (code === LOCK_NOT_AVAILABLE) return lockTimeoutError();
  }
  return undefined;
}
