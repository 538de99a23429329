import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { type Database, DatabaseError, type Row, type Sql } from "./database.ts";
import { createPglite } from "./pgliteTemplate.ts";
import { lockStateDirectory } from "./stateLock.ts";

async function run<R extends Row>(db: Pick<PGlite, "query" | "exec">, text: string, params?: readonly unknown[]) {
  try {
    // Without parameters a text may hold several statements (a migration), which only `exec` runs.
    if (params === undefined || params.length === 0) return ((await db.exec(text)).at(-1)?.rows ?? []) as R[];
    return (await db.query<R>(text, params as unknown[])).rows;
  } catch (error) {
    throw new DatabaseError(`Database statement failed: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Opens (creating it if needed) an embedded database in `dir`, locked to this
 * process until closed: PGlite is one Postgres in one process, and a second
 * process opening the same directory would corrupt it (stateLock.ts).
 */
export async function openPglite(dir: string): Promise<Database> {
  mkdirSync(dir, { recursive: true });
  const lock = await lockStateDirectory(dir);
  let db: PGlite;
  try {
    db = await createPglite(join(dir, "pgdata"));
  } catch (error) {
    lock.release();
    throw new DatabaseError(`Cannot open the state database in ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return {
    kind: "pglite",
    location: dir,
    query: (text, params) => run(db, text, params),
    async transaction(work) {
      let workError: { error: unknown } | undefined;
      try {
        return await db.transaction((tx) =>
          work({ query: (text, params) => run(tx, text, params) } as Sql).catch((error: unknown) => {
            workError = { error };
            throw error;
          }),
        );
      } catch (error) {
        // The work's own error passes through unchanged; BEGIN or COMMIT failing (a deferred constraint) is a statement failing.
        if (workError !== undefined) throw workError.error;
        throw new DatabaseError(`Database statement failed: ${(error as Error).message}`, { cause: error });
      }
    },
    async close() {
      try {
        await db.close();
      } finally {
        lock.release();
      }
    },
  };
}
