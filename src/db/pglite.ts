import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { type Database, DatabaseError, type Row, type Sql } from "./database.ts";

const LOCK_FILE = "pop.lock";

/** Lock files this process holds: its own pid in one of them is an open database, not a stale lock. */
const held = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * PGlite is one Postgres in one process: a second process opening the same
 * directory would corrupt it. A lock file holding the owner's pid keeps a
 * second `pop` out with a clear message; a lock left by a killed process
 * (its pid gone) is taken over, since nothing else can hold the directory.
 */
function lockDirectory(dir: string): () => void {
  const path = resolve(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      held.add(path);
      return () => {
        held.delete(path);
        rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(readFileSync(path, "utf8").trim());
      if (owner === process.pid && held.has(path))
        throw new DatabaseError(`The state database ${dir} is already open in this process (pid ${owner}).`, {
          details: "PGlite serves one connection at a time: close the open database first.",
        });
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner))
        throw new DatabaseError(`The state database ${dir} is in use by another process (pid ${owner}).`, {
          details: "PGlite serves one process at a time: wait for it, or use a Postgres server through DATABASE_URL.",
        });
      rmSync(path, { force: true });
    }
  }
  throw new DatabaseError(`Cannot lock the state database ${dir}.`);
}

async function run<R extends Row>(db: Pick<PGlite, "query" | "exec">, text: string, params?: readonly unknown[]) {
  try {
    // Without parameters a text may hold several statements (a migration), which only `exec` runs.
    if (params === undefined || params.length === 0) return ((await db.exec(text)).at(-1)?.rows ?? []) as R[];
    return (await db.query<R>(text, params as unknown[])).rows;
  } catch (error) {
    throw new DatabaseError(`Database statement failed: ${(error as Error).message}`, { cause: error });
  }
}

/** Opens (creating it if needed) an embedded database in `dir`, locked to this process until closed. */
export async function openPglite(dir: string): Promise<Database> {
  mkdirSync(dir, { recursive: true });
  const unlock = lockDirectory(dir);
  let db: PGlite;
  try {
    db = await PGlite.create(join(dir, "pgdata"));
  } catch (error) {
    unlock();
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
        unlock();
      }
    },
  };
}
