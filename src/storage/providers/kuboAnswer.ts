import { CidMismatchError, ProviderError } from "../errors.ts";
import { cidKey, sameCid } from "./cids.ts";

/**
 * The `Message` of Kubo's error body `{"Message":"…","Code":0,"Type":"error"}`
 * (go-ipfs-cmds `Error.MarshalJSON`), or the body itself, shortened, when a
 * proxy in front of the node answered instead.
 */
export function kuboMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isRecord(parsed) && parsed.Type === "error" && typeof parsed.Message === "string") return parsed.Message;
  } catch {
    // Not JSON: quote the body as it is.
  }
  return body.slice(0, 300);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Kubo streams one JSON value per line (add, dag/import) or answers with one value (pin/ls). */
export function answerValues(provider: string, command: string, text: string): Record<string, unknown>[] {
  const values: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new ProviderError(provider, `${command} answered with something other than Kubo's JSON`, {
        retryable: false,
        details: line.slice(0, 300),
        cause: error,
      });
    }
    if (!isRecord(value)) continue;
    // Errors after a stream has started go to the X-Stream-Error trailer, which fetch cannot read; an
    // error value in the stream itself is still honoured.
    if (value.Type === "error") {
      throw new ProviderError(provider, `${command} failed while answering`, {
        retryable: true,
        details: typeof value.Message === "string" ? value.Message : line.slice(0, 300),
      });
    }
    values.push(value);
  }
  return values;
}

/** The CID in the last `{"Name","Hash","Size"}` line of an `add` answer. */
export function addedCid(values: readonly Record<string, unknown>[]): string | undefined {
  const hashes = values.map((value) => value.Hash).filter((hash): hash is string => typeof hash === "string");
  return hashes.at(-1);
}

/** Whether a `pin/ls` answer `{"Keys":{"<cid>":{"Type":"recursive"}}}` lists `cid`. */
export function listsPin(values: readonly Record<string, unknown>[], cid: string): boolean {
  return values.some((value) => isRecord(value.Keys) && Object.keys(value.Keys).some((key) => sameCid(key, cid)));
}

/**
 * Checks a `dag/import?pin-roots=true` answer: each expected root must appear
 * as `{"Root":{"Cid":{"/":"…"},"PinErrorMsg":""}}` with an empty PinErrorMsg.
 *
 * @throws {CidMismatchError} when the node reports a root the CAR was not uploaded for in place of an expected one.
 * @throws {ProviderError} when a root is missing (retryable: the answer may have been cut short) or could not be pinned (not retryable).
 */
export function confirmImportedRoots(
  provider: string,
  values: readonly Record<string, unknown>[],
  roots: readonly string[],
): void {
  // Looked up by the exact spelling first: a batch CAR has a root per packet, thousands of them, and
  // normalising every CID would cost more than the upload. Other spellings are normalised on a miss.
  const reported = new Map<string, { cid: string; pinError: string }>();
  for (const value of values) {
    const root = value.Root;
    if (!isRecord(root) || !isRecord(root.Cid) || typeof root.Cid["/"] !== "string") continue;
    const cid = root.Cid["/"];
    reported.set(cid, { cid, pinError: typeof root.PinErrorMsg === "string" ? root.PinErrorMsg : "" });
  }
  let normalised: Map<string, { cid: string; pinError: string }> | undefined;
  for (const root of roots) {
    let entry = reported.get(root);
    if (entry === undefined) {
      normalised ??= new Map([...reported.values()].map((r) => [cidKey(r.cid), r]));
      entry = normalised.get(cidKey(root));
    }
    if (entry === undefined) {
      const expected = new Set(roots.map(cidKey));
      const stranger = [...reported.values()].find((r) => !expected.has(cidKey(r.cid)));
      if (stranger !== undefined) throw new CidMismatchError(provider, root, stranger.cid);
      throw new ProviderError(provider, `dag/import did not report root ${root}`, { retryable: true });
    }
    if (entry.pinError !== "") {
      throw new ProviderError(provider, `dag/import could not pin root ${root}`, {
        retryable: false,
        details: entry.pinError,
      });
    }
  }
}
