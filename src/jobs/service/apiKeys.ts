/**
 * Per-tenant API keys. The secret is shown once, when created; the database
 * keeps only its SHA-256 (a key is 256 random bits, so a fast hash is as safe
 * as a slow one and costs nothing per request). A key's public `id` names it
 * for revocation and in logs.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Sql } from "../../db/database.ts";
import { BaseError } from "../../errors.ts";

/** Every key starts with this, so a leaked one is recognisable to secret scanners. */
export const API_KEY_PREFIX = "pop_sk_";

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A tenant id or key id that cannot be used. */
export class ApiKeyError extends BaseError {
  override name = "ApiKeyError";
}

export interface ApiKeyRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

export interface CreatedApiKey extends ApiKeyRecord {
  /** The secret: shown once, never stored. */
  readonly key: string;
}

/** SHA-256 (hex) of a key: what the database holds. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** A tenant id as the service accepts it: 1 to 256 characters, no control characters. */
export function checkTenantId(tenantId: string): string {
  if (tenantId.length === 0 || tenantId.length > 256 || CONTROL.test(tenantId))
    throw new ApiKeyError(
      `A tenant id must be 1 to 256 characters without control characters, got ${JSON.stringify(tenantId.slice(0, 80))}.`,
    );
  return tenantId;
}

type KeyRow = { id: string; tenant_id: string; created_at: Date | string; revoked_at: Date | string | null };

function record(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    createdAt: new Date(row.created_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
  };
}

/**
 * Makes a new key for `tenantId` and stores its hash.
 *
 * @example
 * const { id, key } = await createApiKey(db, "fleet-north"); // print key once
 */
export async function createApiKey(sql: Sql, tenantId: string): Promise<CreatedApiKey> {
  checkTenantId(tenantId);
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  const id = `key_${randomBytes(8).toString("hex")}`;
  const [row] = await sql.query<KeyRow>(
    "insert into pop_jobs_api_key (id, tenant_id, key_hash) values ($1, $2, $3) returning id, tenant_id, created_at, revoked_at",
    [id, tenantId, hashApiKey(key)],
  );
  return { ...record(row as KeyRow), key };
}

/** Revokes the key `id` (at once, for every replica); undefined when there is no such key. A second revoke keeps the first time. */
export async function revokeApiKey(sql: Sql, id: string): Promise<ApiKeyRecord | undefined> {
  const [row] = await sql.query<KeyRow>(
    `update pop_jobs_api_key set revoked_at = coalesce(revoked_at, now()) where id = $1
     returning id, tenant_id, created_at, revoked_at`,
    [id],
  );
  return row === undefined ? undefined : record(row);
}

/** The key whose secret is `key`, revoked or not; undefined when unknown. */
export async function findApiKey(sql: Sql, key: string): Promise<ApiKeyRecord | undefined> {
  const [row] = await sql.query<KeyRow>(
    "select id, tenant_id, created_at, revoked_at from pop_jobs_api_key where key_hash = $1",
    [hashApiKey(key)],
  );
  return row === undefined ? undefined : record(row);
}
