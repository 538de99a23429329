import { concatAll } from "../bytes.ts";
import { BaseError } from "../errors.ts";
import { ContentTooLargeError, ProviderError } from "./errors.ts";

/** The Content-Length header as a number, when it is one; any other value is ignored (the bytes are counted anyway). */
function declaredLength(response: Response): number | undefined {
  const header = response.headers.get("content-length");
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim());
}

/**
 * Drops the rest of a body we will not read: the connection is closed rather
 * than drained. A body that already failed rejects again here, which says
 * nothing new, so that rejection is dropped on purpose.
 */
export function discard(
  stream: ReadableStream<Uint8Array> | ReadableStreamDefaultReader<Uint8Array> | null,
): Promise<void> {
  return stream === null ? Promise.resolve() : stream.cancel().catch(() => undefined);
}

export interface ReadBodyParameters {
  /** Most bytes accepted. */
  readonly limit: number;
  /** Starts the error's sentence: "The answer of <gateway> for /ipfs/<cid>". */
  readonly what: string;
  /** Names the source in a ProviderError when the body breaks off. */
  readonly source: string;
}

/**
 * Reads a response body of at most `limit` bytes, never more: a Content-Length
 * above the limit is refused before the first byte, and a body that runs past
 * it (chunked, endless, or longer than it said) is cancelled as soon as it
 * does, which closes the connection. Never `response.arrayBuffer()` on an
 * answer we do not control.
 *
 * @throws {ContentTooLargeError} when the body is, or says it is, larger than `limit`.
 * @throws {ProviderError} (retryable) when the body breaks off; an abort of the request's signal passes through as it is.
 */
export async function readBody(response: Response, parameters: ReadBodyParameters): Promise<Uint8Array> {
  const { limit, what, source } = parameters;
  const declared = declaredLength(response);
  if (declared !== undefined && declared > limit) {
    await discard(response.body);
    throw new ContentTooLargeError(what, limit, declared);
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) throw new ContentTooLargeError(what, limit);
      chunks.push(value);
    }
  } catch (error) {
    await discard(reader);
    if (error instanceof BaseError) throw error;
    const name = (error as Error).name;
    if (name === "AbortError" || name === "TimeoutError") throw error;
    throw new ProviderError(source, `the answer broke off after ${total} bytes (${(error as Error).message})`, {
      retryable: true,
      cause: error,
    });
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : concatAll(chunks);
}

/**
 * The first `limit` bytes of a body as text, for quoting an error answer; the
 * rest is never downloaded. Never throws: an error answer that cannot be read
 * is quoted as empty.
 */
export async function readPrefix(response: Response, limit: number): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value.subarray(0, limit - total));
      total += Math.min(value.length, limit - total);
    }
  } catch {
    // Only a quote is lost: the caller reports the status it already has.
  }
  await discard(reader);
  const decoder = new TextDecoder();
  return chunks.map((chunk, i) => decoder.decode(chunk, { stream: i < chunks.length - 1 })).join("");
}
