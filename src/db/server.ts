import pg from "pg";
import { type Database, DatabaseError, type Row, type Sql } from "./database.ts";

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  const parsed = URL.parse(url);
  // Without "//" it is no server URL ("user:pass@host/db" reads as the scheme "user:"): none of it is safe to show.
  if (parsed === null || !parsed.href.startsWith(`${parsed.protocol}//`)) return "(unparseable URL)";
  if (parsed.password !== "") parsed.password = "***";
  if (parsed.searchParams.has("password")) parsed.searchParams.set("password", "***");
  return parsed.toString();
}

async function run<R extends Row>(client: pg.Pool | pg.PoolClient, text: string, params?: readonly unknown[]) {
  try {
    const result = await client.query<R>(text, params as unknown[] | undefined);
    // A text of several statements (a migration) answers one result per statement: the last one's rows, as PGlite.
    return Array.isArray(result) ? ((result.at(-1)?.rows ?? []) as R[]) : result.rows;
  } catch (error) {
    throw new DatabaseError(`Database statement failed: ${(error as Error).message}`, { cause: error });
  }
}

/** Connects to a Postgres server; the first query proves the URL works. */
export async function openServer(url: string): Promise<Database> {
  const location = redactUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on("error", () => {});
  try {
    await pool.query("select 1");
  } catch (error) {
    await pool.end().catch(() => {});
    throw new DatabaseError(`Cannot connect to the database at ${location}: ${(error as Error).message}`, {
      cause: error,
      details: "Check DATABASE_URL and that the server is running.",
    });
  }
  return {
    kind: "postgres",
    location,
    query: (text, params) => run(pool, text, params),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await run(client, "begin");
        const result = await work({ query: (text, params) => run(client, text, params) } as Sql);
        // A deferred constraint fails here, at commit: a DatabaseError like any other statement's.
        await run(client, "commit");
        return result;
      } catch (error) {
        await client.query("rollback").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
