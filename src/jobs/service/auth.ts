/**
 * API-key authentication: `Authorization: Bearer <key>` or `x-api-key: <key>`
 * (both are common among receipt-tracker clients; one request may send either,
 * or both when they agree). 401 for a missing or unknown key, 403 for a
 * revoked one; then the key's rate limit (429 with Retry-After).
 */
import type { MiddlewareHandler } from "hono";
import type { Sql } from "../../db/database.ts";
import { findApiKey } from "./apiKeys.ts";
import { ServiceError } from "./errors.ts";
import type { TokenBuckets } from "./rateLimit.ts";

export interface AuthVariables {
  readonly tenantId: string;
  readonly apiKeyId: string;
}

function presented(authorization: string | undefined, header: string | undefined): string {
  const bearer = authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (authorization !== undefined && bearer === undefined)
    throw new ServiceError(401, "unauthorized", "The Authorization header must be `Bearer <api key>`.", {
      field: "authorization",
    });
  const key = header?.trim();
  if (bearer !== undefined && key !== undefined && key !== bearer)
    throw new ServiceError(401, "unauthorized", "The Authorization and x-api-key headers carry different keys.", {
      field: "x-api-key",
    });
  const value = bearer ?? key;
  if (value === undefined || value.length === 0)
    throw new ServiceError(
      401,
      "unauthorized",
      "This route needs an API key: send `Authorization: Bearer <key>` or `x-api-key: <key>` (pop serve keys create).",
      { field: "authorization" },
    );
  return value;
}

export function apiKeyAuth(db: Sql, buckets: TokenBuckets): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const key = presented(c.req.header("authorization"), c.req.header("x-api-key"));
    const record = key.length > 512 ? undefined : await findApiKey(db, key);
    if (record === undefined)
      throw new ServiceError(401, "unauthorized", "The API key is not known to this service.", {
        field: "authorization",
      });
    if (record.revokedAt !== null)
      throw new ServiceError(
        403,
        "key_revoked",
        `The API key ${record.id} was revoked at ${record.revokedAt.toISOString()}.`,
        {
          field: "authorization",
        },
      );
    const wait = buckets.take(record.id);
    if (wait > 0)
      throw new ServiceError(
        429,
        "rate_limited",
        `The API key ${record.id} is over its rate limit; retry in ${wait} s.`,
        {
          headers: { "Retry-After": String(wait) },
        },
      );
    c.set("tenantId", record.tenantId);
    c.set("apiKeyId", record.id);
    await next();
  };
}
