import { join } from "node:path";
import type { Database } from "./database.ts";
import { openPglite } from "./pglite.ts";
import { openServer } from "./server.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** DATABASE_URL (a Postgres server) when set, else the embedded PGlite in POP_STATE_DIR (default `.pop/state`). */
export function openDatabaseFromEnv(env: Env = process.env): Promise<Database> {
  const url = env.DATABASE_URL?.trim();
  if (url !== undefined && url.length > 0) return openServer(url);
  return openPglite(env.POP_STATE_DIR ?? join(".pop", "state"));
}
