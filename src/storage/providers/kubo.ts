import { contentCid, UNIXFS_CHUNK_SIZE } from "../../evidence/cid.ts";
import { readBody, readPrefix } from "../body.ts";
import { CidMismatchError, type ContentTooLargeError, type InvalidCidError, ProviderError } from "../errors.ts";
import { DEFAULT_RETRY, fetchWithRetry, type RetryPolicy } from "../http.ts";
import { MAX_ERROR_BODY_BYTES, MAX_PROVIDER_ANSWER_BYTES } from "../limits.ts";
import type { ContentProvider } from "../provider.ts";
import { parseCid } from "../unixfs.ts";
import { assertCarRoots, type CarRootsError, sameCid } from "./cids.ts";
import { redact } from "./env.ts";
import { addedCid, answerValues, confirmImportedRoots, kuboMessage, listsPin } from "./kuboAnswer.ts";
import { withRetry } from "./retry.ts";

export interface KuboProviderOptions {
  /** RPC base URL without `/api/v0`: http://127.0.0.1:5001, https://rpc.filebase.io. */
  readonly url: string;
  /** The whole Authorization header value: "Bearer <token>" for Filebase, "Basic …" behind a proxy. */
  readonly auth?: string;
  /** Name in status reports and errors; default "kubo". */
  readonly name?: string;
  /** Attempts, backoff and per-attempt timeout; default DEFAULT_RETRY. */
  readonly retry?: RetryPolicy;
}

/** What the provider's methods throw; `retryable` on each says whether to try again. */
export type KuboProviderErrorType =
  | ProviderError
  | CidMismatchError
  | CarRootsError
  | InvalidCidError
  | ContentTooLargeError;

/**
 * Every import parameter the local CID computation assumes (src/evidence/cid.ts),
 * spelled out so a node whose Import.* config differs still produces our CIDs.
 * Kubo ignores query options it does not know, so older nodes accept these too.
 */
const ADD_QUERY = {
  "cid-version": "1",
  "raw-leaves": "true",
  chunker: `size-${UNIXFS_CHUNK_SIZE}`,
  "max-file-links": "174",
  hash: "sha2-256",
  trickle: "false",
  pin: "true",
};

/**
 * A Kubo node over its RPC API (`/api/v0`), self-hosted or Filebase's IPFS RPC
 * endpoint: `add` for one object, `dag/import` for a CAR, `pin/ls` for `has`.
 * Every CID the node reports is compared with the one computed here. Kubo
 * answers command errors with HTTP 500 and `{"Message","Code","Type":"error"}`;
 * the Message becomes the ProviderError's details.
 *
 * @example
 * const filebase = createKuboProvider(filebaseFromEnv(process.env));
 * await filebase.putCar(car, [rootCid]);
 */
export function createKuboProvider(options: KuboProviderOptions): ContentProvider {
  const name = options.name ?? "kubo";
  const policy = options.retry ?? DEFAULT_RETRY;
  const base = new URL(options.url).toString().replace(/\/+$/, "");
  const headers: Record<string, string> = options.auth === undefined ? {} : { Authorization: options.auth };
  // The header value and the token alone ("Bearer <token>"), in case a server quotes either.
  const secrets = options.auth === undefined ? [] : [options.auth, options.auth.replace(/^\S+\s+/, "")];
  // withRetry retries, so that each answer is seen first; fetchWithRetry makes one attempt with the timeout.
  const once: RetryPolicy = { ...policy, attempts: 1 };

  const failure = (path: string, status: number, body: string, retryable: boolean) =>
    new ProviderError(name, `HTTP ${status} from ${path}`, {
      status,
      retryable,
      details: redact(kuboMessage(body), secrets),
    });

  /** One RPC call (always POST, as Kubo requires); its answer as text. */
  const rpc = async (command: string, query: Record<string, string>, file: Blob | undefined, signal: AbortSignal) => {
    const path = `/api/v0/${command}`;
    const request = (): RequestInit => {
      if (file === undefined) return { method: "POST", headers };
      const body = new FormData();
      body.append("file", file, file instanceof File ? file.name : "file");
      return { method: "POST", headers, body };
    };
    let response: Response;
    try {
      response = await fetchWithRetry(name, `${base}${path}?${new URLSearchParams(query)}`, request, {
        retry: once,
        signal,
      });
    } catch (error) {
      // fetchWithRetry quotes the body of a 429/5xx; rebuild the error around Kubo's Message, redacted.
      if (error instanceof ProviderError && error.status !== undefined) {
        throw failure(path, error.status, error.details ?? "", true);
      }
      throw error;
    }
    if (!response.ok) throw failure(path, response.status, await readPrefix(response, MAX_ERROR_BODY_BYTES), false);
    // Read under a budget: a node (or a proxy in front of it) may answer with more than any command's output.
    const body = await readBody(response, {
      limit: MAX_PROVIDER_ANSWER_BYTES,
      what: `The answer of ${name} to ${command}`,
      source: name,
    });
    const text = new TextDecoder().decode(body);
    return answerValues(name, command, text);
  };

  return {
    name,

    async put(bytes, cid, options) {
      parseCid(cid);
      const actual = await contentCid(bytes);
      if (!sameCid(actual, cid)) throw new CidMismatchError("the bytes to store", cid, actual);
      const file = new File([bytes], cid, { type: "application/octet-stream" });
      await withRetry(
        name,
        policy,
        async (signal) => {
          const reported = addedCid(await rpc("add", ADD_QUERY, file, signal));
          if (reported === undefined) throw new ProviderError(name, "add answered without a CID", { retryable: true });
          if (!sameCid(reported, cid)) throw new CidMismatchError(name, cid, reported);
        },
        options?.signal,
      );
    },

    async putCar(car, roots, options) {
      await assertCarRoots(car, roots);
      const file = new File([car], `${roots[0]}.car`, { type: "application/vnd.ipld.car" });
      await withRetry(
        name,
        policy,
        async (signal) =>
          confirmImportedRoots(name, await rpc("dag/import", { "pin-roots": "true" }, file, signal), roots),
        options?.signal,
      );
    },

    async has(cid, options) {
      parseCid(cid);
      return withRetry(
        name,
        policy,
        async (signal) => {
          try {
            return listsPin(await rpc("pin/ls", { arg: cid, type: "recursive" }, undefined, signal), cid);
          } catch (error) {
            // Kubo's definitive "no": HTTP 500 with "path '<cid>' is not pinned". Not worth a retry.
            if (error instanceof ProviderError && error.status === 500 && /is not pinned/.test(error.details ?? "")) {
              return false;
            }
            throw error;
          }
        },
        options?.signal,
      );
    },
  };
}
