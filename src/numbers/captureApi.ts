/**
 * A client of Numbers' Capture API (NUMBERS.md, "Capture API"): register an
 * asset (`POST /assets/`), update it, which makes a new commit
 * (`PATCH /assets/{nid}/`), and read it (`GET /assets/{nid}/`). Every answer is
 * read under a size limit and checked before use: the NID must be a CIDv1, a
 * transaction hash must be one. The token goes into the Authorization header
 * and nowhere else; an answer that quotes it is redacted.
 *
 * Register and update are not idempotent (the API takes no idempotency key):
 * they are re-sent after a 429 (refused, so nothing was done), and after a
 * failure whose outcome is unknown (5xx, timeout, broken connection) only once
 * the caller's `probe` says the first request did not take effect
 * (docs/decisions/023-capture-api-committer.md).
 */
import type { Hex } from "viem";
import { readBody, readPrefix } from "../storage/body.ts";
import { ProviderError } from "../storage/errors.ts";
import { DEFAULT_RETRY, fetchWithRetry, type RetryPolicy } from "../storage/http.ts";
import { MAX_ERROR_BODY_BYTES } from "../storage/limits.ts";
import { redact } from "../storage/providers/env.ts";
import { withRetry } from "../storage/providers/retry.ts";
import { CaptureAnswerError, CaptureAuthError, InsufficientNumError, UnknownNidError } from "./errors.ts";
import { isCidV1 } from "./nid.ts";

export const DEFAULT_CAPTURE_API_URL = "https://api.numbersprotocol.io/api/v3";

/** Largest answer read from the API: an asset record is a few KiB; 1 MiB leaves room for long commit histories. */
export const MAX_CAPTURE_ANSWER_BYTES = 1024 * 1024;

/** Most `integrity_info` entries accepted in one asset (a commit each). */
const MAX_INTEGRITY_ENTRIES = 10_000;

/** The API documents `headline` as at most 25 characters. */
export const MAX_HEADLINE_LENGTH = 25;

export interface CaptureApiOptions {
  /** The Capture token, sent as `Authorization: token <token>`; never in an error or a log. */
  readonly token: string;
  /** API base; default https://api.numbersprotocol.io/api/v3. */
  readonly baseUrl?: string;
  /** Name in errors; default "numbers-capture". */
  readonly name?: string;
  /** Attempts, backoff and per-attempt timeout; default DEFAULT_RETRY. */
  readonly retry?: RetryPolicy;
}

/** One commit of an asset as the API reports it under `integrity_info`. */
export interface CaptureCommitInfo {
  /** `search_id`, when it is a transaction hash. */
  readonly txHash?: Hex;
  /** `explorer_url`, when it is an http(s) URL. */
  readonly explorerUrl?: string;
}

/** An asset as the API answers it, checked. */
export interface CaptureAsset {
  /** The NID: the API's `id`, a CIDv1. */
  readonly nid: string;
  readonly caption?: string;
  readonly headline?: string;
  /** `integrity_info`, in the order given: empty until Numbers reports the commits. */
  readonly commits: readonly CaptureCommitInfo[];
}

export interface RegisterParameters {
  /** The packet's CID: names the uploaded file (`<cid>.cbor`). */
  readonly cid: string;
  readonly asset: Uint8Array;
  readonly caption: string;
  /** At most 25 characters. */
  readonly headline: string;
  readonly publicAccess: boolean;
}

export interface UpdateParameters {
  readonly nid: string;
  readonly caption: string;
  readonly headline: string;
  readonly commitMessage: string;
  /** Custom asset-tree fields, sent as the JSON string `nit_commit_custom`. */
  readonly custom: Readonly<Record<string, unknown>>;
}

/**
 * Asked before a register or update is sent again after a failure of unknown
 * outcome: the result when the earlier request took effect, "absent" when it
 * did not. Throws (anything not retryable) when it cannot tell; the request is
 * then not sent again.
 */
export type Probe<T> = (signal: AbortSignal) => Promise<T | "absent">;

export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface CaptureApi {
  readonly name: string;
  /** Registers the asset; answers the new asset (its NID). */
  register(
    parameters: RegisterParameters,
    options?: CallOptions & { probe?: Probe<CaptureAsset> },
  ): Promise<CaptureAsset>;
  /** Updates the asset, which makes a new commit carrying `custom`. */
  update(parameters: UpdateParameters, options?: CallOptions & { probe?: Probe<true> }): Promise<void>;
  /** Reads the asset. @throws {UnknownNidError} on 404. */
  read(nid: string, options?: CallOptions): Promise<CaptureAsset>;
  /** Reads the asset; undefined when the API knows no asset by `nid`. */
  find(nid: string, options?: CallOptions): Promise<CaptureAsset | undefined>;
}

/** What the client's methods throw; `retryable` on each says whether to try again. */
export type CaptureApiErrorType =
  | ProviderError
  | InsufficientNumError
  | CaptureAuthError
  | UnknownNidError
  | CaptureAnswerError;

/**
 * A Capture API client.
 *
 * @example
 * const api = createCaptureApi({ token: process.env.POP_NUMBERS_API_TOKEN });
 * const asset = await api.register({ cid, asset: bytes, caption, headline: "GPU job receipt", publicAccess: true });
 */
export function createCaptureApi(options: CaptureApiOptions): CaptureApi {
  const name = options.name ?? "numbers-capture";
  const policy = options.retry ?? DEFAULT_RETRY;
  const base = new URL(options.baseUrl ?? DEFAULT_CAPTURE_API_URL).toString().replace(/\/+$/, "");
  if (options.token.trim() === "") throw new ProviderError(name, "the API token is empty", { retryable: false });
  const headers = { Authorization: `token ${options.token}`, Accept: "application/json" };
  const secrets = [options.token, headers.Authorization];
  const once: RetryPolicy = { ...policy, attempts: 1 };

  /** A non-2xx answer as the error it documents. */
  const refusal = (operation: string, status: number, body: string, nid?: string): ProviderError => {
    const details = redact(body, secrets).slice(0, 300);
    if (status === 400 && body.includes("asset_commit_insufficient_fund")) {
      return new InsufficientNumError(name, operation, details);
    }
    if (status === 401 || status === 403) return new CaptureAuthError(name, status, operation, details);
    if (status === 404 && nid !== undefined) return new UnknownNidError(name, nid);
    return new ProviderError(name, `HTTP ${status} from the ${operation}`, {
      status,
      retryable: status === 429 || status >= 500,
      details,
    });
  };

  /** One request, with the policy's retries when `retry` (reads only); its answer parsed as JSON. */
  const call = async (
    operation: string,
    path: string,
    init: () => RequestInit,
    retry: RetryPolicy,
    signal: AbortSignal | undefined,
    nid?: string,
  ): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetchWithRetry(name, `${base}${path}`, init, { retry, ...(signal ? { signal } : {}) });
    } catch (error) {
      // fetchWithRetry quotes the body of a 429/5xx unredacted: rebuild the error around the redacted quote.
      if (error instanceof ProviderError && error.status !== undefined) {
        throw refusal(operation, error.status, error.details ?? "", nid);
      }
      throw error;
    }
    if (!response.ok) throw refusal(operation, response.status, await readPrefix(response, MAX_ERROR_BODY_BYTES), nid);
    const body = await readBody(response, {
      limit: MAX_CAPTURE_ANSWER_BYTES,
      what: `The answer of ${name} to the ${operation}`,
      source: name,
    });
    const text = new TextDecoder().decode(body);
    if (text.trim() === "") return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new CaptureAnswerError(name, operation, "is not JSON");
    }
  };

  /**
   * A request that must not take effect twice: sent once per attempt, and after a
   * failure of unknown outcome sent again only when `probe` answers "absent".
   */
  const sendOnce = async <T>(
    send: (signal: AbortSignal) => Promise<T>,
    probe: Probe<T> | undefined,
    signal: AbortSignal | undefined,
  ): Promise<T> => {
    let maybeApplied = false;
    return withRetry(
      name,
      policy,
      async (attemptSignal) => {
        if (maybeApplied) {
          if (probe === undefined) {
            throw new ProviderError(name, "the request may have taken effect and no probe can tell", {
              retryable: false,
            });
          }
          const found = await probe(attemptSignal);
          if (found !== "absent") return found;
        }
        // Set before sending: a timeout ends the attempt before `send` itself has failed.
        maybeApplied = true;
        try {
          return await send(attemptSignal);
        } catch (error) {
          // Only an answer below 500 (429 included) says the request was not carried out.
          if (error instanceof ProviderError && error.status !== undefined && error.status < 500) maybeApplied = false;
          throw error;
        }
      },
      signal,
    );
  };

  const read = async (nid: string, callOptions?: CallOptions): Promise<CaptureAsset> => {
    if (!isCidV1(nid)) throw new UnknownNidError(name, nid);
    const answer = await call(
      "asset read",
      `/assets/${nid}/`,
      () => ({ method: "GET", headers }),
      policy,
      callOptions?.signal,
      nid,
    );
    const asset = parseAsset(name, "asset read", answer);
    if (asset.nid !== nid) throw new CaptureAnswerError(name, "asset read", `names the asset ${asset.nid}, not ${nid}`);
    return asset;
  };

  return {
    name,

    async register(parameters, callOptions) {
      if (parameters.headline.length > MAX_HEADLINE_LENGTH) {
        throw new ProviderError(name, `the headline is longer than ${MAX_HEADLINE_LENGTH} characters`);
      }
      const form = () => {
        const body = new FormData();
        body.append(
          "asset_file",
          new File([parameters.asset], `${parameters.cid}.cbor`, { type: "application/cbor" }),
          `${parameters.cid}.cbor`,
        );
        body.append("caption", parameters.caption);
        body.append("headline", parameters.headline);
        body.append("public_access", parameters.publicAccess ? "true" : "false");
        return body;
      };
      return sendOnce(
        async (signal) =>
          parseAsset(
            name,
            "asset registration",
            await call(
              "asset registration",
              "/assets/",
              () => ({ method: "POST", headers, body: form() }),
              once,
              signal,
            ),
          ),
        callOptions?.probe,
        callOptions?.signal,
      );
    },

    async update(parameters, callOptions) {
      if (parameters.headline.length > MAX_HEADLINE_LENGTH) {
        throw new ProviderError(name, `the headline is longer than ${MAX_HEADLINE_LENGTH} characters`);
      }
      if (!isCidV1(parameters.nid)) throw new UnknownNidError(name, parameters.nid);
      const form = () => {
        const body = new FormData();
        body.append("caption", parameters.caption);
        body.append("headline", parameters.headline);
        body.append("commit_message", parameters.commitMessage);
        body.append("nit_commit_custom", JSON.stringify(parameters.custom));
        return body;
      };
      await sendOnce(
        async (signal) => {
          const answer = await call(
            "asset update",
            `/assets/${parameters.nid}/`,
            () => ({ method: "PATCH", headers, body: form() }),
            once,
            signal,
            parameters.nid,
          );
          // The update's answer is not documented; when it names an asset, it must be this one.
          const id = (answer as { id?: unknown } | undefined)?.id;
          if (id !== undefined && id !== parameters.nid) {
            throw new CaptureAnswerError(
              name,
              "asset update",
              `names the asset ${String(id).slice(0, 80)}, not ${parameters.nid}`,
            );
          }
          return true as const;
        },
        callOptions?.probe,
        callOptions?.signal,
      );
    },

    read,

    async find(nid, callOptions) {
      try {
        return await read(nid, callOptions);
      } catch (error) {
        if (error instanceof UnknownNidError) return undefined;
        throw error;
      }
    },
  };
}

const TX_HASH = /^0x[0-9a-fA-F]{64}$/;

function httpUrl(value: unknown): string | undefined {
  if (typeof value !== "string" || value.length > 2048) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** An asset record checked field by field: whatever the server sends, only these typed values come out. */
export function parseAsset(provider: string, operation: string, value: unknown): CaptureAsset {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CaptureAnswerError(provider, operation, "is not a JSON object");
  }
  const record = value as Record<string, unknown>;
  const id = record.id;
  if (typeof id !== "string" || !isCidV1(id)) {
    const shown = typeof id === "string" ? `"${id.slice(0, 80)}"` : typeof id;
    throw new CaptureAnswerError(provider, operation, `carries an id (NID) that is not a CIDv1: ${shown}`);
  }
  const info = record.integrity_info ?? [];
  if (!Array.isArray(info))
    throw new CaptureAnswerError(provider, operation, "has an integrity_info that is not a list");
  if (info.length > MAX_INTEGRITY_ENTRIES) {
    throw new CaptureAnswerError(
      provider,
      operation,
      `lists more than ${MAX_INTEGRITY_ENTRIES} integrity_info entries`,
    );
  }
  const commits = info.map((entry: unknown): CaptureCommitInfo => {
    if (typeof entry !== "object" || entry === null) return {};
    const { search_id: searchId, explorer_url: explorer } = entry as Record<string, unknown>;
    const explorerUrl = httpUrl(explorer);
    return {
      ...(typeof searchId === "string" && TX_HASH.test(searchId) ? { txHash: searchId.toLowerCase() as Hex } : {}),
      ...(explorerUrl === undefined ? {} : { explorerUrl }),
    };
  });
  const text = (field: unknown) => (typeof field === "string" ? field.slice(0, 10_000) : undefined);
  const caption = text(record.caption);
  const headline = text(record.headline);
  return {
    nid: id,
    ...(caption === undefined ? {} : { caption }),
    ...(headline === undefined ? {} : { headline }),
    commits,
  };
}
