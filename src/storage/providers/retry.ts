import { ProviderError } from "../errors.ts";
import { backoffDelay, type RetryPolicy, sleep } from "../http.ts";

/**
 * Settles with `work`, or rejects as soon as `signal` aborts. The Pinata SDK
 * takes no AbortSignal, so this is the only way to stop waiting for it.
 */
function settleWithin<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      // The abandoned request may still fail later; it has already been reported as a timeout.
      work.catch(() => undefined);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Runs `attempt` until it succeeds, with a timeout per attempt and exponential
 * backoff between attempts. Only a ProviderError marked retryable (429, 5xx,
 * network failure, timeout) is tried again; anything else (a CidMismatchError,
 * a refused credential) ends at once. The attempt receives a signal that aborts
 * on its timeout or on the caller's `signal`.
 *
 * Unlike `fetchWithRetry` this sees each failure before deciding to retry, so a
 * provider can turn a definitive answer (Kubo's HTTP 500 "is not pinned") into a
 * result instead of retrying it.
 *
 * @example
 * await withRetry("kubo", policy, (signal) => call("pin/ls", signal), options.signal);
 */
export async function withRetry<T>(
  provider: string,
  policy: RetryPolicy,
  attempt: (signal: AbortSignal) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  let lastError: ProviderError | undefined;
  for (let n = 1; n <= policy.attempts; n++) {
    signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(policy.timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([timeout, signal]);
    try {
      return await settleWithin(attempt(combined), combined);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const failure = timeout.aborted
        ? new ProviderError(provider, `no answer within ${policy.timeoutMs} ms`, { retryable: true, cause: error })
        : error;
      if (!(failure instanceof ProviderError) || !failure.retryable) throw failure;
      lastError = failure;
    }
    if (n < policy.attempts) await sleep(backoffDelay(n, policy), signal);
  }
  throw lastError ?? new ProviderError(provider, "no attempt was made (retry policy allows 0 attempts)");
}
