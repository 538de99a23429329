/**
 * The receipts service's routes as the job pages call them: the origin that served the page (or the one
 * config.json names), with the tenant's API key. The key is kept in this tab's session storage only (it goes when the tab closes) and is
 * sent to no one but that service.
 */
import type { z } from "@hono/zod-openapi";
import type { JobList as JobListSchema, Receipt, Timeline as TimelineSchema } from "../../src/jobs/service/schemas.ts";
import { readJson } from "./dom.ts";

const KEY_ITEM = "pop.receiptsApiKey";

/** Where the routes are: "" (this origin) unless the page was built for another host (config.json). */
let base = "";
export const useReceiptsApi = (url: string | undefined): void => {
  base = url ?? "";
};

export const savedApiKey = (): string => sessionStorage.getItem(KEY_ITEM) ?? "";
export const saveApiKey = (key: string): void =>
  key === "" ? sessionStorage.removeItem(KEY_ITEM) : sessionStorage.setItem(KEY_ITEM, key);

/** A refused or failed call, with the service's own sentence and what to do about it. */
export class ReceiptsCallError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const ADVICE: Record<number, string> = {
  401: "Give a valid API key of the tenant above (pop serve keys create --tenant <id>).",
  403: "The key was revoked or belongs to another tenant: ask for a key of this job's tenant.",
  429: "Too many requests with this key: wait a few seconds.",
};

/** Calls `path` (relative to the page) with the saved key; answers the response, checked. */
export async function receiptsFetch(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  const key = savedApiKey();
  if (key === "") throw new ReceiptsCallError(401, "no_key", `No API key yet. ${ADVICE[401]}`);
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: {
        "x-api-key": key,
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  } catch {
    const where =
      base === ""
        ? "is pop serve running?"
        : `is pop serve running at ${base}, and does its POP_SERVE_CORS_ORIGINS allow ${location.origin}?`;
    throw new ReceiptsCallError(0, "unreachable", `The receipts service did not answer: ${where}`);
  }
  if (response.ok) return response;
  const answer =
    (await readJson<{ error?: { code?: string; message?: string } }>(response, "The receipts service's answer").catch(
      () => undefined,
    )) ?? {};
  const message = answer.error?.message ?? `The receipts service answered ${response.status}.`;
  throw new ReceiptsCallError(
    response.status,
    answer.error?.code ?? "error",
    `${message}${ADVICE[response.status] === undefined ? "" : ` ${ADVICE[response.status]}`}`,
  );
}

export async function receiptsJson<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const answer = await readJson<T>(await receiptsFetch(path, init), "The receipts service's answer");
  if (answer === undefined)
    throw new ReceiptsCallError(502, "not_json", "The receipts service answered something that is not JSON.");
  return answer;
}

// Types only (erased from the bundle): the pages read the answers the service's own schemas describe.
export type JobList = z.infer<typeof JobListSchema>;
export type JobSummary = JobList["jobs"][number];
export type Timeline = z.infer<typeof TimelineSchema>;
export type { Receipt };
