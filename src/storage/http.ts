import { readPrefix } from "./body.ts";
import { ProviderError } from "./errors.ts";
import { MAX_ERROR_BODY_BYTES } from "./limits.ts";

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Delay before the second attempt; doubled each time, with jitter, capped at 30 s. */
  readonly baseDelayMs: number;
  /** Per-attempt timeout. */
  readonly timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, timeoutMs: 30_000 };

/** 429 and 5xx mean "try again later"; every other failure status is the request's fault. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Exponential backoff with jitter before attempt `attempt + 1`, capped at 30 s. */
export function backoffDelay(attempt: number, policy: RetryPolicy): number {
  const exponential = policy.baseDelayMs * 2 ** (attempt - 1);
  return Math.min(exponential / 2 + Math.random() * (exponential / 2), 30_000);
}

function delayFor(attempt: number, policy: RetryPolicy, retryAfter: string | null): number {
  const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 30_000);
  return backoffDelay(attempt, policy);
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * `fetch` with a timeout per attempt and retries with exponential backoff (or
 * the server's Retry-After) on 429, 5xx and network errors. Returns the first
 * response that is not retryable; throws ProviderError when attempts run out.
 * `request` builds a fresh RequestInit per attempt (bodies cannot be reused).
 */
export async function fetchWithRetry(
  provider: string,
  url: string,
  request: () => RequestInit,
  options: { retry?: RetryPolicy; signal?: AbortSignal } = {},
): Promise<Response> {
  const policy = options.retry ?? DEFAULT_RETRY;
  let lastError: ProviderError | undefined;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    const signals = [AbortSignal.timeout(policy.timeoutMs), ...(options.signal ? [options.signal] : [])];
    let retryAfter: string | null = null;
    try {
      const response = await fetch(url, { ...request(), signal: AbortSignal.any(signals) });
      if (!isRetryableStatus(response.status)) return response;
      retryAfter = response.headers.get("retry-after");
      // Only quoted, so only the start is read: a hostile 503 may come with an endless body.
      const body = await readPrefix(response, MAX_ERROR_BODY_BYTES);
      lastError = new ProviderError(provider, `HTTP ${response.status} from ${new URL(url).pathname}`, {
        status: response.status,
        retryable: true,
        details: body.slice(0, 300),
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const timedOut = (error as Error).name === "TimeoutError";
      lastError = new ProviderError(
        provider,
        timedOut ? `no answer within ${policy.timeoutMs} ms` : `request failed (${(error as Error).message})`,
        {
          retryable: true,
          cause: error,
        },
      );
    }
    if (attempt < policy.attempts) await sleep(delayFor(attempt, policy, retryAfter), options.signal);
  }
  throw lastError as ProviderError;
}
