/**
 * A worker's client of the receipts service (`pop serve`, docs/receipts.md): submit, complete and read a
 * job's timeline. The service is a network away and may be slow, overloaded or hostile, so every request
 * has a timeout and a bound on the answer's size, and network errors, 429 (after its Retry-After) and 5xx
 * are retried with backoff. Retrying a POST is safe because the worker names the job (`jobId`, a UUIDv4):
 * the service keys each event on it, so a retry whose first attempt was recorded (the answer was lost)
 * gets 409 with the original receipt, which is the answer the first attempt would have had.
 *
 * The API key goes in the Authorization header only; no error message ever carries it.
 */
import { setTimeout as sleepFor } from "node:timers/promises";
import type { z } from "zod";
import { BaseError } from "../errors.ts";
import { readBody } from "../storage/body.ts";
import { ContentTooLargeError } from "../storage/errors.ts";
import {
  type CompleteBody,
  DuplicateBody,
  ErrorBody,
  Receipt,
  type Receipt as ReceiptType,
  type SubmitBody,
  Timeline,
} from "./service/schemas.ts";

/** What a worker sends: the service's request schemas before their defaults are filled in. */
export type SubmitRequest = z.input<typeof SubmitBody> & { readonly jobId: string };
export type CompleteRequest = z.input<typeof CompleteBody>;
export type JobTimeline = z.infer<typeof Timeline>;
export type { ReceiptType as Receipt };

export interface ReceiptsClientOptions {
  /** `http://host:port` of the service (a path prefix is kept). */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Per attempt, until the whole answer is read (default 30 s; a `?wait=commit` answer waits on the service). */
  readonly timeoutMs?: number;
  /** A larger answer is refused (default 1 MiB: a receipt is under 2 KB, a timeline a few). */
  readonly maxResponseBytes?: number;
  /** Attempts after the first (default 4). */
  readonly retries?: number;
  /** First backoff (default 250 ms), doubling per retry up to `maxDelayMs` (default 4 s). */
  readonly retryDelayMs?: number;
  readonly maxDelayMs?: number;
  /** A Retry-After longer than this is not waited for: the request fails instead (default 60 s). */
  readonly maxRetryAfterMs?: number;
  /** Replaced in tests. */
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface EventOptions {
  /** `?wait=commit`: the answer comes once the event is committed on Numbers (or the service's wait runs out). */
  readonly wait?: boolean;
}

/** An event's receipt, and whether the service had recorded it before this call's last attempt. */
export interface EventAnswer {
  readonly receipt: ReceiptType;
  /** True when a retry found the event recorded (409): the first attempt's answer was lost. */
  readonly repeated: boolean;
}

/** The service refused the request (400, 401, 403, 404, 413, 415, …): sending it again cannot succeed. */
export class ReceiptsRequestError extends BaseError {
  override name = "ReceiptsRequestError";
  readonly status: number;
  readonly code: string;
  /** The request field the service names (`taskType`, `inputs.0.sha256`, `authorization`), when it names one. */
  readonly field: string | undefined;

  constructor(status: number, code: string, message: string, field: string | undefined) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** The event was recorded before this call (409 on its first attempt): the job id was used already. */
export class DuplicateEventError extends ReceiptsRequestError {
  override name = "DuplicateEventError";
  readonly receipt: ReceiptType;

  constructor(message: string, receipt: ReceiptType) {
    super(409, "duplicate_event", message, "jobId");
    this.receipt = receipt;
  }
}

/** The service could not be reached or kept failing (network, timeout, 429, 5xx) through every retry. */
export class ReceiptsUnavailableError extends BaseError {
  override name = "ReceiptsUnavailableError";
  /** The last answer's status; undefined for a network error or timeout. */
  readonly status: number | undefined;

  constructor(message: string, status: number | undefined, cause?: unknown) {
    super(message, { retryable: true, ...(cause === undefined ? {} : { cause }) });
    this.status = status;
  }
}

/** The service answered something that is not its API: too large, not JSON, not the schema. Not retried. */
export class ReceiptsProtocolError extends BaseError {
  override name = "ReceiptsProtocolError";
}

const DEFAULTS = {
  timeoutMs: 30_000,
  maxResponseBytes: 1024 * 1024,
  retries: 4,
  retryDelayMs: 250,
  maxDelayMs: 4_000,
  maxRetryAfterMs: 60_000,
};

/** Retry-After as ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A transient failure of one attempt: retried while attempts remain. */
class Transient extends Error {
  readonly status: number | undefined;
  readonly retryAfter: number | undefined;
  constructor(message: string, status: number | undefined, retryAfter: number | undefined) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

export class ReceiptsClient {
  readonly #base: string;
  readonly #apiKey: string;
  readonly #options: typeof DEFAULTS;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: ReceiptsClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new ReceiptsRequestError(0, "invalid_url", `The service URL "${options.baseUrl}" is not a URL.`, "baseUrl");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw new ReceiptsRequestError(0, "invalid_url", "The service URL must be http: or https:.", "baseUrl");
    if (url.username !== "" || url.password !== "")
      throw new ReceiptsRequestError(
        0,
        "invalid_url",
        "The service URL must not carry credentials: the API key goes in its own variable.",
        "baseUrl",
      );
    if (options.apiKey === "" || !/^[\x21-\x7e]+$/.test(options.apiKey))
      throw new ReceiptsRequestError(0, "invalid_api_key", "The API key is empty or not printable ASCII.", "apiKey");
    this.#base = url.toString().replace(/\/+$/, "");
    this.#apiKey = options.apiKey;
    const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    this.#options = { ...DEFAULTS, ...(defined as Partial<typeof DEFAULTS>) };
    this.#fetch = options.fetch ?? fetch;
    this.#sleep = options.sleep ?? ((ms) => sleepFor(ms));
  }

  /** The service's address, as requests go to it. */
  get baseUrl(): string {
    return this.#base;
  }

  /**
   * Records the job's JobSubmitted event.
   *
   * @throws {DuplicateEventError} when the job id's submission was recorded before this call.
   * @throws {ReceiptsRequestError} naming the field or status the service refused.
   * @throws {ReceiptsUnavailableError} when every attempt failed.
   */
  submit(body: SubmitRequest, options: EventOptions = {}): Promise<EventAnswer> {
    return this.#event("/api/jobs/submit", body, options);
  }

  /** Records the job's JobCompleted event; errors as for {@link submit} (404 for a job never submitted). */
  complete(body: CompleteRequest, options: EventOptions = {}): Promise<EventAnswer> {
    return this.#event("/api/jobs/complete", body, options);
  }

  /** The job's events, oldest first, each with its receipt. */
  async timeline(jobId: string): Promise<JobTimeline> {
    const { body } = await this.#request("GET", `/api/jobs/timeline/${encodeURIComponent(jobId)}`, undefined);
    return this.#parse(Timeline, body, "timeline");
  }

  async #event(path: string, body: unknown, options: EventOptions): Promise<EventAnswer> {
    const {
      status,
      body: answer,
      attempts,
    } = await this.#request("POST", `${path}${options.wait === true ? "?wait=commit" : ""}`, body);
    if (status === 409) {
      const { receipt } = this.#parse(DuplicateBody, answer, "409 answer");
      if (attempts > 1) return { receipt, repeated: true };
      throw new DuplicateEventError(
        `${receipt.eventType} of job ${receipt.jobId} was recorded before this request: a job id names one job.`,
        receipt,
      );
    }
    return { receipt: this.#parse(Receipt, answer, "receipt"), repeated: false };
  }

  #parse<T extends z.ZodTypeAny>(schema: T, body: unknown, what: string): z.infer<T> {
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ReceiptsProtocolError(
        `The service's ${what} is not what its API answers: ${issue?.path.join(".") || "body"}: ${issue?.message}.`,
      );
    }
    return parsed.data;
  }

  /** Never lets the key out, whatever a hostile service echoes back. */
  #redact(text: string): string {
    return text.split(this.#apiKey).join("[API key]");
  }

  async #request(
    method: "GET" | "POST",
    path: string,
    body: unknown,
  ): Promise<{ status: number; body: unknown; attempts: number }> {
    const { retries, retryDelayMs, maxDelayMs, maxRetryAfterMs } = this.#options;
    const what = `${method} ${path.split("?")[0]}`;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const answer = await this.#attempt(method, path, body, what);
        return { ...answer, attempts: attempt + 1 };
      } catch (error) {
        if (!(error instanceof Transient)) throw error;
        const backoff = Math.min(maxDelayMs, retryDelayMs * 2 ** attempt);
        if (error.retryAfter !== undefined && error.retryAfter > maxRetryAfterMs)
          throw new ReceiptsUnavailableError(
            `${what}: ${error.message}; the service asks to wait ${Math.ceil(error.retryAfter / 1000)} s, longer than ${maxRetryAfterMs / 1000} s.`,
            error.status,
          );
        if (attempt >= retries)
          throw new ReceiptsUnavailableError(
            `${what} failed ${attempt + 1} times; the last time: ${error.message}.`,
            error.status,
            error.cause,
          );
        await this.#sleep(Math.max(backoff, error.retryAfter ?? 0));
      }
    }
  }

  async #attempt(
    method: string,
    path: string,
    body: unknown,
    what: string,
  ): Promise<{ status: number; body: unknown }> {
    const { timeoutMs, maxResponseBytes } = this.#options;
    const signal = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await this.#fetch(`${this.#base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#apiKey}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        redirect: "error",
        signal,
      });
    } catch (error) {
      const reason = signal.aborted
        ? `no answer within ${timeoutMs} ms`
        : `cannot reach ${this.#base} (${this.#redact(causeOf(error))})`;
      throw Object.assign(new Transient(reason, undefined, undefined), { cause: error });
    }
    let text: string;
    try {
      text = await readBounded(response, maxResponseBytes);
    } catch (error) {
      if (error instanceof ReceiptsProtocolError) throw new ReceiptsProtocolError(`${what}: ${error.shortMessage}`);
      // The connection broke or the timeout struck mid-answer: as transient as no answer at all.
      throw new Transient(
        signal.aborted ? `no whole answer within ${timeoutMs} ms` : "the answer broke off",
        response.status,
        undefined,
      );
    }
    const status = response.status;
    if (status === 429 || status >= 500)
      throw new Transient(
        `${status}${errorOf(text, (t) => this.#redact(t))}`,
        status,
        retryAfterMs(response.headers.get("retry-after")),
      );
    let json: unknown;
    try {
      json = text.length === 0 ? undefined : JSON.parse(text);
    } catch {
      throw new ReceiptsProtocolError(`${what}: the service answered ${status} with a body that is not JSON.`);
    }
    if (status === 200 || status === 202 || status === 409) return { status, body: json };
    const parsed = ErrorBody.safeParse(json);
    const code = parsed.success ? parsed.data.error.code : "http_error";
    const field = parsed.success ? parsed.data.error.field : undefined;
    const message = parsed.success ? this.#redact(parsed.data.error.message) : `HTTP ${status}`;
    throw new ReceiptsRequestError(
      status,
      code,
      `${what} was refused (${status} ${code}${field === undefined ? "" : `, field ${field}`}): ${message}`,
      field,
    );
  }
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}

/** `: <the service's message>` from an error body, when it has one. */
function errorOf(text: string, redact: (text: string) => string): string {
  try {
    const parsed = ErrorBody.safeParse(JSON.parse(text));
    return parsed.success ? `: ${redact(parsed.data.error.message).slice(0, 300)}` : "";
  } catch {
    return "";
  }
}

/** The body as text, refused once it passes `limit` bytes (storage's bounded reader: the bytes are counted). */
async function readBounded(response: Response, limit: number): Promise<string> {
  try {
    return new TextDecoder().decode(
      await readBody(response, { limit, what: "The answer", source: "receipts service" }),
    );
  } catch (error) {
    if (!(error instanceof ContentTooLargeError)) throw error;
    throw new ReceiptsProtocolError(
      error.size === undefined
        ? `the answer is more than the ${limit} bytes accepted.`
        : `the answer is ${error.size} bytes, more than the ${limit} accepted.`,
    );
  }
}
