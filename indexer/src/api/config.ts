/**
 * The audit API's settings from the environment: how long its database reads
 * may take, and the public address its links are built from. Read once when
 * the API starts; a malformed value stops the start with a sentence naming
 * the variable.
 */
import { IndexerConfigError } from "../network.ts";

type Env = Readonly<Record<string, string | undefined>>;

export interface ApiConfig {
  /** The longest the database reads of one request may take, in ms (each statement on Postgres, the request's reads on PGlite). */
  readonly statementTimeoutMs: number;
  /**
   * The API's public base URL (scheme, host, optional path; no trailing slash), from which certificate
   * metadata's `external_url` is built; undefined when not configured: metadata then has no external_url.
   */
  readonly publicUrl: string | undefined;
}

export const DEFAULT_STATEMENT_TIMEOUT_MS = 5_000;
/** Longer than this is no bound for an API that answers in milliseconds (Ponder's own read-only default is 30 s). */
export const MAX_STATEMENT_TIMEOUT_MS = 60_000;

/**
 * POP_AUDIT_STATEMENT_TIMEOUT_MS (default 5,000) and POP_AUDIT_PUBLIC_URL (unset by default).
 *
 * @example
 * apiConfig({ POP_AUDIT_PUBLIC_URL: "https://audit.example.org/" }).publicUrl; // "https://audit.example.org"
 */
export function apiConfig(env: Env = process.env): ApiConfig {
  return { statementTimeoutMs: statementTimeout(env), publicUrl: publicUrl(env) };
}

function statementTimeout(env: Env): number {
  const text = env.POP_AUDIT_STATEMENT_TIMEOUT_MS?.trim();
  if (text === undefined || text === "") return DEFAULT_STATEMENT_TIMEOUT_MS;
  const ms = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!(ms >= 1 && ms <= MAX_STATEMENT_TIMEOUT_MS))
    throw new IndexerConfigError(
      `POP_AUDIT_STATEMENT_TIMEOUT_MS must be a whole number of milliseconds from 1 to ${MAX_STATEMENT_TIMEOUT_MS}, got "${text}".`,
    );
  return ms;
}

function publicUrl(env: Env): string | undefined {
  const text = env.POP_AUDIT_PUBLIC_URL?.trim();
  if (text === undefined || text === "") return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  // A query or fragment would end up in the middle of every link built from it.
  if (url === undefined || !/^https?:$/.test(url.protocol) || url.search !== "" || url.hash !== "")
    throw new IndexerConfigError(
      `POP_AUDIT_PUBLIC_URL must be the API's absolute http(s) URL without query or fragment, such as https://audit.example.org, got "${text}".`,
    );
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}
