import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database, Sql } from "../../src/db/database.ts";
import { openPglite } from "../../src/db/pglite.ts";
import { openServer } from "../../src/db/server.ts";

/**
 * The engines the database code runs on, each opening isolated, empty databases:
 * PGlite always (schemas of one shared PGlite in the suites, {@link sharedPgliteTarget}), a Postgres server when POP_TEST_DATABASE_URL names one (.ci/run
 * starts one and sets it).
 */
export interface DatabaseTarget {
  readonly name: "pglite" | "postgres";
  /** A fresh, empty database; closing it removes everything it held. */
  open(): Promise<Database>;
}

export const TEST_DATABASE_URL_VARIABLE = "POP_TEST_DATABASE_URL";

type Env = Readonly<Record<string, string | undefined>>;

/** Closes `db`, then runs `cleanup` even when closing fails. */
function withCleanup(db: Database, cleanup: () => Promise<void>): Database {
  return {
    kind: db.kind,
    location: db.location,
    query: (text, params) => db.query(text, params),
    transaction: (work) => db.transaction(work),
    async close() {
      try {
        await db.close();
      } finally {
        await cleanup();
      }
    },
  };
}

export const pgliteTarget: DatabaseTarget = {
  name: "pglite",
  async open() {
    const dir = await mkdtemp(join(tmpdir(), "pop-db-"));
    const remove = () => rm(dir, { recursive: true, force: true });
    const db = await openPglite(dir).catch(async (error: unknown) => {
      await remove();
      throw error;
    });
    return withCleanup(db, remove);
  },
};

let sharedPglite: Promise<Database> | undefined;

/** One PGlite for this process, opened when first needed and removed when the process exits. */
function sharedInstance(): Promise<Database> {
  sharedPglite ??= mkdtemp(join(tmpdir(), "pop-db-shared-")).then(async (dir) => {
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    return openPglite(dir);
  });
  return sharedPglite;
}

/**
 * PGlite as the tests use it: each open is a new schema of one PGlite per process, dropped on close. Starting a
 * PGlite costs about 2 s of CPU even from the template, and the suites open hundreds; a schema costs a
 * statement. PGlite is one connection, so each statement runs in a transaction of its own that sets the
 * schema first (`set local`), and no other open's statement runs in between: what one open sees is what a
 * PGlite of its own would hold. Tests of PGlite itself (directories, locks, templates) use {@link pgliteTarget}.
 */
export const sharedPgliteTarget: DatabaseTarget = {
  name: "pglite",
  async open() {
    const shared = await sharedInstance();
    const schema = `pop_test_${randomBytes(6).toString("hex")}`;
    await shared.query(`create schema ${schema}`);
    const scoped = <T>(work: (sql: Sql) => Promise<T>) =>
      shared.transaction(async (sql) => {
        await sql.query(`set local search_path to ${schema}`);
        return work(sql);
      });
    let closed = false;
    return {
      kind: shared.kind,
      location: shared.location,
      query: (text, params) => scoped((sql) => sql.query(text, params)),
      transaction: scoped,
      async close() {
        if (closed) return;
        closed = true;
        await shared.query(`drop schema ${schema} cascade`);
      },
    };
  },
};

/**
 * Each open gets its own schema in the server's database, made the connection's
 * only `search_path` through the URL's `options`, and dropped on close: tests
 * share one server database without seeing each other's tables.
 */
export function postgresTarget(url: string): DatabaseTarget {
  return {
    name: "postgres",
    async open() {
      const schema = `pop_test_${randomBytes(6).toString("hex")}`;
      const admin = await openServer(url);
      try {
        await admin.query(`create schema ${schema}`);
        const scoped = new URL(url);
        scoped.searchParams.set("options", `-c search_path=${schema}`);
        const db = await openServer(scoped.toString());
        return withCleanup(db, async () => {
          try {
            await admin.query(`drop schema ${schema} cascade`);
          } finally {
            await admin.close();
          }
        });
      } catch (error) {
        await admin.query(`drop schema if exists ${schema} cascade`).catch(() => {});
        await admin.close();
        throw error;
      }
    },
  };
}

/** The targets available here: PGlite, and Postgres when POP_TEST_DATABASE_URL is set. */
export function databaseTargets(env: Env = process.env): DatabaseTarget[] {
  const url = env[TEST_DATABASE_URL_VARIABLE]?.trim();
  return url === undefined || url.length === 0 ? [sharedPgliteTarget] : [sharedPgliteTarget, postgresTarget(url)];
}

/**
 * Defines the suite `fn` once, on the Postgres server when one is configured and on PGlite otherwise: for
 * suites whose subject does not depend on the engine (a suite of the same system on each engine shows that the
 * engines agree) but that need one, where a second run would only repeat the same checks.
 */
export function describeOneDatabase(title: string, fn: (target: DatabaseTarget) => void, env: Env = process.env) {
  const target = databaseTargets(env).at(-1) as DatabaseTarget;
  describe(`${title} (${target.name})`, () => {
    fn(target);
  });
}

/**
 * Defines the suite `fn` once per engine, titled "<title> (pglite)" and
 * "<title> (postgres)". Without POP_TEST_DATABASE_URL the Postgres suite is
 * pending, or, on CI (CI=true), fails: CI must not pass without having run it.
 */
export function describeEachDatabase(title: string, fn: (target: DatabaseTarget) => void, env: Env = process.env) {
  const targets = databaseTargets(env);
  for (const target of targets)
    describe(`${title} (${target.name})`, () => {
      fn(target);
    });
  if (targets.some((target) => target.name === "postgres")) return;

  const missing = `${TEST_DATABASE_URL_VARIABLE} is not set, so nothing ran against a Postgres server`;
  const unavailable: DatabaseTarget = {
    name: "postgres",
    open: () => Promise.reject(new Error(missing)),
  };
  if (env.CI === "true")
    describe(`${title} (postgres)`, () => {
      it(`needs ${TEST_DATABASE_URL_VARIABLE} on CI`, () => {
        throw new Error(`${missing}: CI must set it (.ci/run starts a server and sets it).`);
      });
    });
  else
    describe(`${title} (postgres: set ${TEST_DATABASE_URL_VARIABLE} to run)`, () => {
      before(function () {
        this.skip();
      });
      fn(unavailable);
    });
}

/**
 * Opens a fresh database of `target` before each test of the enclosing suite and
 * closes it after; the function returned answers the current test's database.
 */
export function freshDatabaseEach(target: DatabaseTarget): () => Database {
  let db: Database | undefined;
  beforeEach(async () => {
    db = await target.open();
  });
  afterEach(async () => {
    const open = db;
    db = undefined;
    await open?.close();
  });
  return () => {
    if (db === undefined) throw new Error("No database is open: call this inside a test.");
    return db;
  };
}
