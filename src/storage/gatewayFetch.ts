import type { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { discard, readBody } from "./body.ts";
import { decodeCar } from "./car.ts";
import { CidMismatchError, ContentNotFoundError, ProviderError } from "./errors.ts";
import { DEFAULT_RETRY, fetchWithRetry, type RetryPolicy } from "./http.ts";
import { carByteBudget, MAX_BLOCK_BYTES } from "./limits.ts";
import { blockMatches } from "./unixfs.ts";

export interface GatewayFetchParameters {
  /** Largest content accepted; the answer read is bounded by it (a block, or a CAR of that much content). */
  readonly maxBytes: number;
  readonly retry?: RetryPolicy;
  readonly signal: AbortSignal;
}

/**
 * Asks one trustless gateway for the whole DAG under `cid` (`?format=raw` for
 * a raw block, else `?format=car`) and returns its blocks, each verified
 * against its CID. The answer is read under a byte budget and cut off the
 * moment it exceeds it, so a gateway that answers with gigabytes costs at most
 * the budget. Assembling the blocks into the file is the caller's.
 *
 * @throws {ContentNotFoundError} on 404 or 410.
 * @throws {ContentTooLargeError} when the answer, or a block in it, is over the budget.
 * @throws {CidMismatchError} when a block does not match its CID.
 * @throws {MalformedCarError} when a CAR answer is not a CARv1.
 * @throws {ProviderError} for any other failure (HTTP status, timeout, a body that broke off).
 */
export async function fetchFromGateway(
  gateway: string,
  cid: CID,
  parameters: GatewayFetchParameters,
): Promise<Map<string, Uint8Array>> {
  const format = cid.code === raw.code ? "raw" : "car";
  const path = `/ipfs/${cid}?format=${format}`;
  const url = `${gateway.replace(/\/$/, "")}${path}`;
  const accept = format === "raw" ? "application/vnd.ipld.raw" : "application/vnd.ipld.car";
  const retry = { ...(parameters.retry ?? DEFAULT_RETRY), attempts: 1 };
  const response = await fetchWithRetry(gateway, url, () => ({ headers: { accept } }), {
    retry,
    signal: parameters.signal,
  });
  if (response.status === 404 || response.status === 410) {
    await discard(response.body);
    throw new ContentNotFoundError(cid.toString(), `${gateway}: HTTP ${response.status}`);
  }
  if (!response.ok) {
    await discard(response.body);
    throw new ProviderError(gateway, `HTTP ${response.status} from ${path}`, {
      status: response.status,
      retryable: response.status >= 500,
    });
  }
  // A raw CID names one block; a CAR holds the content and its DAG's nodes.
  const limit = format === "raw" ? Math.min(parameters.maxBytes, MAX_BLOCK_BYTES) : carByteBudget(parameters.maxBytes);
  const body = await readBody(response, { limit, what: `The answer of ${gateway} for ${path}`, source: gateway });
  if (format === "raw") {
    if (!blockMatches(cid, body)) throw new CidMismatchError(gateway, cid.toString(), "(other bytes)");
    return new Map([[cid.toString(), body]]);
  }
  return decodeCar(body, gateway).blocks;
}
