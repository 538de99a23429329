import * as dagPb from "@ipld/dag-pb";
import * as raw from "multiformats/codecs/raw";
import { assembleFile } from "./dag.ts";
import {
  CidMismatchError,
  ContentNotFoundError,
  ContentTooLargeError,
  InvalidCidError,
  InvalidDagError,
} from "./errors.ts";
import type { FsBlockstore } from "./fsBlockstore.ts";
import { fetchFromGateway } from "./gatewayFetch.ts";
import type { RetryPolicy } from "./http.ts";
import { DEFAULT_MAX_CONTENT_BYTES, MAX_CHAINSCRIPT_BYTES, MAX_PACKET_BYTES } from "./limits.ts";
import { isRawSha256, isSha256, parseCid } from "./unixfs.ts";

/** What one gateway did for one request: reported, never silently dropped. */
export interface GatewayOutcome {
  readonly gateway: string;
  /** `refused`: its answer, or the DAG in it, broke a limit (too large, too deep, sizes that lie). */
  readonly outcome: "verified" | "not-found" | "tampered" | "refused" | "failed" | "cancelled";
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

/** What content must be, stated by the caller and checked before and while fetching it. */
export interface ContentExpectation {
  /**
   * Largest content accepted, in bytes; default DEFAULT_MAX_CONTENT_BYTES
   * (16 MiB). Every answer is read under a budget derived from it.
   */
  readonly maxBytes?: number;
  /**
   * The CID must be a CIDv1 raw-block sha2-256 CID (`bafkrei…`), as every
   * packet CID is; any other CID is refused before a request is made, so a
   * chainscript cannot point the verifier at a DAG where a packet belongs.
   */
  readonly rawSha256?: boolean;
}

/** A packet: one raw block of at most MAX_PACKET_BYTES. */
export const PACKET_CONTENT: ContentExpectation = { rawSha256: true, maxBytes: MAX_PACKET_BYTES };

/** A chainscript: a raw block or a UnixFS file of at most MAX_CHAINSCRIPT_BYTES. */
export const CHAINSCRIPT_CONTENT: ContentExpectation = { maxBytes: MAX_CHAINSCRIPT_BYTES };

export interface RetrieveParameters extends ContentExpectation {
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

function outcomeOf(gateway: string, error: unknown): GatewayOutcome {
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof CidMismatchError) return { gateway, outcome: "tampered", detail };
  if (error instanceof ContentNotFoundError) return { gateway, outcome: "not-found", detail };
  if (error instanceof ContentTooLargeError || error instanceof InvalidDagError)
    return { gateway, outcome: "refused", detail };
  if ((error as Error).name === "AbortError") return { gateway, outcome: "cancelled" };
  return { gateway, outcome: "failed", detail };
}

/**
 * The CID, if content could ever be fetched and verified under it as the
 * caller expects: a raw or dag-pb codec, a sha2-256 multihash, and a
 * raw-block CIDv1 when `rawSha256` is asked for.
 *
 * @throws {InvalidCidError} before any request, naming what is wrong with the CID.
 */
function checkedCid(cidText: string, expectation: ContentExpectation) {
  const cid = parseCid(cidText);
  if (expectation.rawSha256 === true && !isRawSha256(cid)) {
    const got = `CIDv${cid.version}, codec 0x${cid.code.toString(16)}, multihash 0x${cid.multihash.code.toString(16)}`;
    throw new InvalidCidError(
      cidText,
      `is not a CIDv1 raw (0x55) sha2-256 CID, as a packet CID must be (it is ${got})`,
    );
  }
  if (cid.code !== raw.code && cid.code !== dagPb.code) {
    throw new InvalidCidError(
      cidText,
      `has codec 0x${cid.code.toString(16)}, and only raw blocks and UnixFS (dag-pb) files can be retrieved`,
    );
  }
  if (!isSha256(cid)) {
    throw new InvalidCidError(
      cidText,
      `has multihash 0x${cid.multihash.code.toString(16)}, and only sha2-256 content can be verified`,
    );
  }
  return cid;
}

/**
 * Fetches content by CID from the first gateway that returns bytes which
 * verify against it, asking all gateways at once (a slow or lying gateway
 * costs nothing but its own answer). A gateway that returns wrong bytes is
 * reported as `tampered`, one whose answer breaks a limit as `refused`; neither
 * is trusted. Every answer is read under a byte budget derived from `maxBytes`
 * and every DAG assembled within it (docs/decisions/013-bounded-retrieval.md),
 * so a hostile gateway costs at most that budget and a timeout. Verified
 * blocks go to the cache.
 *
 * @example
 * const { bytes } = await retrieve(packetCid, { gateways, ...PACKET_CONTENT });
 *
 * @throws {InvalidCidError} before any request, for a CID that cannot name the expected content.
 * @throws {ContentTooLargeError | InvalidDagError} when the cache holds the DAG and it breaks a limit.
 * @throws {RetrievalError} when no gateway returned verifiable content, with every gateway's outcome.
 */
export async function retrieve(cidText: string, parameters: RetrieveParameters): Promise<Retrieved> {
  const cid = checkedCid(cidText, parameters);
  const limits = { maxBytes: parameters.maxBytes ?? DEFAULT_MAX_CONTENT_BYTES };
  const { cache } = parameters;
  if (cache !== undefined) {
    const cached = await assembleFile(cid, (c) => cache.get(c), "the cache", limits);
    if (cached !== undefined) return { bytes: cached, source: "cache", outcomes: [] };
  }
  const controller = new AbortController();
  const signal = parameters.signal ? AbortSignal.any([controller.signal, parameters.signal]) : controller.signal;
  const outcomes: GatewayOutcome[] = [];
  const attempts = parameters.gateways.map(async (gateway) => {
    try {
      const blocks = await fetchFromGateway(gateway, cid, {
        maxBytes: limits.maxBytes,
        signal,
        ...(parameters.retry ? { retry: parameters.retry } : {}),
      });
      const bytes = await assembleFile(cid, (c) => blocks.get(c.toString()), gateway, limits);
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
