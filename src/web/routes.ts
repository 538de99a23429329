/**
 * Serves the web app (assets.ts) from a Hono app: its files at their paths, and `config.json`, the default
 * endpoints the verify page starts from (the user can change them; the page never asks the server for a
 * verdict). Pages run no inline script and load nothing from elsewhere, so the policy allows only this
 * origin's files; `connect-src` stays open because verifying means asking the RPC and gateways the user names.
 */
import type { Hono } from "hono";
import { WEB_PATHS, type WebApp } from "./assets.ts";

/** The endpoints the verify page starts from. */
export interface WebDefaults {
  readonly rpcUrl?: string | undefined;
  /** The Numbers chain's RPC, where a job's commits are read on a chain with no explorer (local ones). */
  readonly numbersRpcUrl?: string | undefined;
  readonly gateways?: readonly string[];
  readonly registry?: string | undefined;
  /** The audit API (the indexer) the anchors and "where did this file come from?" pages ask. */
  readonly auditApiUrl?: string | undefined;
  /** The receipts service the job pages ask; absent: the origin that served the page (`pop serve`). */
  readonly receiptsApiUrl?: string | undefined;
}

/** config.json: the defaults as the pages read them (web/src/dom.ts `Defaults`). */
export function webConfig(defaults: WebDefaults): string {
  return JSON.stringify({
    ...(defaults.rpcUrl === undefined ? {} : { rpcUrl: defaults.rpcUrl }),
    ...(defaults.numbersRpcUrl === undefined ? {} : { numbersRpcUrl: defaults.numbersRpcUrl }),
    gateways: defaults.gateways ?? [],
    ...(defaults.registry === undefined ? {} : { registry: defaults.registry }),
    ...(defaults.auditApiUrl === undefined ? {} : { auditApiUrl: defaults.auditApiUrl }),
    ...(defaults.receiptsApiUrl === undefined ? {} : { receiptsApiUrl: defaults.receiptsApiUrl }),
  });
}

const HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src *; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/** The paths the web app answers. */
export const WEB_APP_PATHS: readonly string[] = [...WEB_PATHS, "/config.json"];

/** Serves the app that `load` builds (on the first request for one of its files). */
// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its variables
export function serveWebApp(app: Hono<any>, load: () => Promise<WebApp>, defaults: WebDefaults): void {
  for (const path of WEB_PATHS)
    app.get(path, async (c) => {
      const file = (await load()).get(path);
      if (file === undefined) return c.notFound();
      const headers = { ...HEADERS, "content-type": file.contentType, vary: "accept-encoding" };
      return /\bgzip\b/.test(c.req.header("accept-encoding") ?? "")
        ? c.body(file.gzip as Uint8Array<ArrayBuffer>, 200, { ...headers, "content-encoding": "gzip" })
        : c.body(file.bytes as Uint8Array<ArrayBuffer>, 200, headers);
    });
  const config = webConfig(defaults);
  app.get("/config.json", (c) => c.body(config, 200, { ...HEADERS, "content-type": "application/json" }));
}
