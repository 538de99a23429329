import type { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { BaseError } from "../errors.ts";
import { decodeCar } from "./car.ts";
import { CidMismatchError, ContentNotFoundError } from "./errors.ts";
import type { FsBlockstore } from "./fsBlockstore.ts";
import { DEFAULT_RETRY, fetchWithRetry, type RetryPolicy } from "./http.ts";
import { assembleFile, blockMatches, parseCid } from "./unixfs.ts";

/** What one gateway did for one request: reported, never silently dropped. */
export interface GatewayOutcome {
  readonly gateway: string;
  readonly outcome: "verified" | "not-found" | "tampered" | "failed" | "cancelled";
  readonly detail?: string;
}

/** No gateway returned verifiable content; `outcomes` says what each did. */
export class RetrievalError extends ContentNotFoundError {
  override name = "RetrievalError";
  readonly outcomes: readonly GatewayOutcome[];

  constructor(cid: string, outcomes: readonly GatewayOutcome[]) {
    const summary = outcomes.map((o) => `${o.gateway}: ${o.outcome}${o.detail ? ` (${o.detail})` : ""}`).join("; ");
    super(cid, summary || "no gateway is configured");
    this.outcomes = outcomes;
  }
}

export interface RetrieveParameters {
  /** Trustless gateway base URLs (`https://ipfs.io`, the local gateway, …). */
  readonly gateways: readonly string[];
  /** Verified blocks are kept here and served from here next time. */
  readonly cache?: FsBlockstore;
  readonly retry?: RetryPolicy;
  readonly signal?: AbortSignal;
}

export interface Retrieved {
  readonly bytes: Uint8Array;
  /** "cache" or the gateway that answered first with verified content. */
  readonly source: string;
  readonly outcomes: readonly GatewayOutcome[];
}

/** Asks one gateway for the whole DAG (a raw block, or a CAR) and verifies every byte. */
async function fromGateway(
  gateway: string,
  cid: CID,
  parameters: RetrieveParameters,
  signal: AbortSignal,
): Promise<Map<string, Uint8Array>> {
  const format = cid.code === raw.code ? "raw" : "car";
  const url = `${gateway.replace(/\/$/, "")}/ipfs/${cid}?format=${format}`;
  const accept = format === "raw" ? "application/vnd.ipld.raw" : "application/vnd.ipld.car";
  const retry = { ...(parameters.retry ?? DEFAULT_RETRY), attempts: 1 };
  const response = await fetchWithRetry(gateway, url, () => ({ headers: { accept } }), { retry, signal });
  if (response.status === 404 || response.status === 410)
    throw new ContentNotFoundError(cid.toString(), `${gateway}: HTTP ${response.status}`);
  if (!response.ok) throw new BaseError(`${gateway}: HTTP ${response.status}`, { retryable: response.status >= 500 });
  const body = new Uint8Array(await response.arrayBuffer());
  if (format === "raw") {
    if (!blockMatches(cid, body)) throw new CidMismatchError(gateway, cid.toString(), "(other bytes)");
    return new Map([[cid.toString(), body]]);
  }
  return decodeCar(body, gateway).blocks;
}

function outcomeOf(gateway: string, error: unknown): GatewayOutcome {
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof CidMismatchError) return { gateway, outcome: "tampered", detail };
  if (error instanceof ContentNotFoundError) return { gateway, outcome: "not-found", detail };
  if ((error as Error).name === "AbortError") return { gateway, outcome: "cancelled" };
  return { gateway, outcome: "failed", detail };
}

/**
 * Fetches content by CID from the first gateway that returns bytes which
 * verify against it, asking all gateways at once (a slow or lying gateway
 * costs nothing but its own answer). A gateway that returns wrong bytes is
 * reported as `tampered` and never trusted. Verified blocks go to the cache.
 *
 * @throws {RetrievalError} when no gateway returned verifiable content, with every gateway's outcome.
 */
export async function retrieve(cidText: string, parameters: RetrieveParameters): Promise<Retrieved> {
  const cid = parseCid(cidText);
  const { cache } = parameters;
  if (cache !== undefined) {
    const cached = await assembleFile(cid, (c) => cache.get(c), "the cache");
    if (cached !== undefined) return { bytes: cached, source: "cache", outcomes: [] };
  }
  const controller = new AbortController();
  const signal = parameters.signal ? AbortSignal.any([controller.signal, parameters.signal]) : controller.signal;
  const outcomes: GatewayOutcome[] = [];
  const attempts = parameters.gateways.map(async (gateway) => {
    try {
      const blocks = await fromGateway(gateway, cid, parameters, signal);
      const bytes = await assembleFile(cid, (c) => blocks.get(c.toString()), gateway);
      if (bytes === undefined) throw new ContentNotFoundError(cidText, `${gateway} returned an incomplete DAG`);
      outcomes.push({ gateway, outcome: "verified" });
      controller.abort(); // the others are no longer needed
      return { bytes, gateway, blocks };
    } catch (error) {
      if (signal.aborted && !parameters.signal?.aborted) outcomes.push({ gateway, outcome: "cancelled" });
      else outcomes.push(outcomeOf(gateway, error));
      throw error;
    }
  });
  let winner: { bytes: Uint8Array; gateway: string; blocks: Map<string, Uint8Array> };
  try {
    winner = await Promise.any(attempts);
  } catch {
    throw new RetrievalError(cidText, outcomes);
  }
  await Promise.allSettled(attempts);
  if (cache !== undefined) for (const [key, bytes] of winner.blocks) await cache.put(parseCid(key), bytes);
  return { bytes: winner.bytes, source: winner.gateway, outcomes };
}
