/** The receipts service's settings from the environment (each documented in docs/receipts.md). */
import { BaseError } from "../../errors.ts";
import { DEFAULT_RATE_LIMIT, type RateLimit } from "./rateLimit.ts";
import type { SimulatorOptions } from "./simulate.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** A POP_SERVE_* setting is not a number in its range. */
export class ServeConfigError extends BaseError {
  override name = "ServeConfigError";
}

export interface ServeSettings {
  readonly bodyLimitBytes: number;
  readonly rateLimit: RateLimit;
  readonly waitTimeoutMs: number;
  readonly baseRpcUrl: string | undefined;
  readonly numbersRpcUrl: string | undefined;
  /** POST /api/jobs/simulate's time scale; the route is off when POP_SERVE_SIMULATOR_TIME_SCALE is unset. */
  readonly simulator: SimulatorOptions | undefined;
  /** The indexer's URL, for the web app's lookups (POP_SERVE_AUDIT_API_URL). */
  readonly auditApiUrl: string | undefined;
  /** Origins allowed to call the routes from their pages (POP_SERVE_CORS_ORIGINS: comma-separated, or `*`). */
  readonly corsOrigins: readonly string[] | undefined;
}

function number(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = env[name]?.trim();
  if (text === undefined || text.length === 0) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max)
    throw new ServeConfigError(`${name} must be a number from ${min} to ${max}, got ${JSON.stringify(text)}.`);
  return value;
}

function httpUrl(env: Env, name: string): string | undefined {
  const text = env[name]?.trim();
  if (text === undefined || text.length === 0) return undefined;
  if (!URL.canParse(text) || !["http:", "https:"].includes(new URL(text).protocol))
    throw new ServeConfigError(`${name} must be an http:// or https:// URL, got ${JSON.stringify(text)}.`);
  return text;
}

/** `*`, or origins as a browser sends them: scheme, host and port, nothing after. */
function origins(env: Env, name: string): string[] | undefined {
  const list = (env[name] ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter((origin) => origin.length > 0);
  for (const origin of list)
    if (origin !== "*" && (!URL.canParse(origin) || new URL(origin).origin !== origin))
      throw new ServeConfigError(
        `${name} must list origins such as https://audit.example.org (scheme, host, port; no path or trailing slash), or *; got ${JSON.stringify(origin)}.`,
      );
  return list.length === 0 ? undefined : list;
}

export function serveSettingsFromEnv(env: Env = process.env): ServeSettings {
  return {
    bodyLimitBytes: Math.floor(number(env, "POP_SERVE_BODY_LIMIT_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024)),
    rateLimit: {
      perSecond: number(env, "POP_SERVE_RATE_LIMIT", DEFAULT_RATE_LIMIT.perSecond, 0.001, 1_000_000),
      burst: Math.floor(number(env, "POP_SERVE_RATE_BURST", DEFAULT_RATE_LIMIT.burst, 1, 10_000_000)),
    },
    waitTimeoutMs: Math.floor(number(env, "POP_SERVE_WAIT_TIMEOUT_MS", 30_000, 0, 600_000)),
    baseRpcUrl: env.POP_RPC_URL?.trim() || undefined,
    numbersRpcUrl: env.POP_NUMBERS_RPC_URL?.trim() || undefined,
    simulator: env.POP_SERVE_SIMULATOR_TIME_SCALE?.trim()
      ? { timeScale: number(env, "POP_SERVE_SIMULATOR_TIME_SCALE", 0, 0, 10) }
      : undefined,
    auditApiUrl: httpUrl(env, "POP_SERVE_AUDIT_API_URL"),
    corsOrigins: origins(env, "POP_SERVE_CORS_ORIGINS"),
  };
}
