/**
 * Ponder's database as the API reads it, and the statement timeout on it.
 * Ponder keeps its database on a global (`ponder:api`'s `db` is its read-only
 * query builder); its type is reached by file, as ponderGraphql.ts reaches the
 * GraphQL internals, and Ponder is pinned to the version it was read from.
 */
import type { Database } from "../../../node_modules/ponder/dist/types/database/index.js";

export type PonderDatabase = Database;

/** Ponder's database: only there inside `ponder start`, `dev` or `serve`. */
export function ponderDatabase(): PonderDatabase {
  const database = (globalThis as { PONDER_DATABASE?: PonderDatabase }).PONDER_DATABASE;
  if (database === undefined)
    throw new Error("Ponder's database is only available inside `ponder start`, `ponder dev` or `ponder serve`.");
  return database;
}

/**
 * Makes Postgres cancel any statement on Ponder's read-only connections that
 * runs longer than `timeoutMs` (Ponder's own default there is 30 s). Those
 * connections serve the HTTP API alone (GraphQL, these routes, /ready and
 * /status); indexing writes through other pools, which keep their timeouts.
 * The setting is a startup parameter of each new connection, so it costs no
 * round trip; Ponder opens that pool's connections on first use, and nothing
 * reads through it before the API module has run, so every connection gets
 * it. PGlite has no such setting that works (deadline.ts): nothing is set.
 */
export function limitReadonlyStatements(database: PonderDatabase, timeoutMs: number): void {
  if (database.driver.dialect !== "postgres") return;
  database.driver.readonly.options.statement_timeout = timeoutMs;
}
