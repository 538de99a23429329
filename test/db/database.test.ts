import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "chai";
import { DatabaseError } from "../../src/db/database.ts";
import { parseHolder } from "../../src/db/lockOwner.ts";
import { type Migration, migrate } from "../../src/db/migrate.ts";
import { openPglite } from "../../src/db/pglite.ts";
import { openServer, redactUrl } from "../../src/db/server.ts";
import { describeEachDatabase, freshDatabaseEach, TEST_DATABASE_URL_VARIABLE } from "../helpers/databases.ts";
import { TEST_NODE_FLAGS } from "../helpers/node.ts";
import { rejection } from "../helpers/rejection.ts";

const notes: Migration[] = [
  { id: 1, name: "notes", sql: "create table note (id integer primary key, body text not null)" },
  {
    id: 2,
    name: "note tags",
    // Needs migration 1 before it, and holds several statements.
    sql: "alter table note add column tag text; insert into note (id, body, tag) values (1, 'first', 'seed')",
  },
];

/** A Postgres server's port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

describeEachDatabase("Database", (target) => {
  const db = freshDatabaseEach(target);

  describe("query", () => {
    it("binds text, integer, bytea and null parameters and answers them back", async () => {
      const bytes = new Uint8Array([0, 1, 127, 128, 255]);
      await db().query("create table item (name text, count integer, data bytea, note text)");
      await db().query("insert into item (name, count, data, note) values ($1, $2, $3, $4)", [
        "héllo ☃ 'quoted'",
        -42,
        bytes,
        null,
      ]);
      const rows = await db().query<{ name: string; count: number; data: Uint8Array; note: null }>(
        "select name, count, data, note from item where name = $1 and count = $2",
        ["héllo ☃ 'quoted'", -42],
      );
      expect(rows).to.have.length(1);
      const [row] = rows as [{ name: string; count: number; data: Uint8Array; note: null }];
      expect(row.name).to.equal("héllo ☃ 'quoted'");
      expect(row.count).to.equal(-42);
      expect(row.data).to.be.instanceOf(Uint8Array);
      expect([...row.data]).to.deep.equal([...bytes]);
      expect(row.note).to.equal(null);
    });

    it("answers an empty list from a statement without rows and from a select matching nothing", async () => {
      expect(await db().query("create table empty (a integer)")).to.deep.equal([]);
      expect(await db().query("select a from empty where a = $1", [1])).to.deep.equal([]);
    });

    it("runs a text of several statements without parameters, answering the last statement's rows", async () => {
      const rows = await db().query(
        "create table counter (n integer); insert into counter values (2), (1); select n from counter order by n",
      );
      expect(rows).to.deep.equal([{ n: 1 }, { n: 2 }]);
      expect(await db().query("select count(*)::integer as n from counter")).to.deep.equal([{ n: 2 }]);
    });

    it("reports a failing statement as a DatabaseError carrying the engine's message", async () => {
      for (const params of [undefined, [1]]) {
        const error = await rejection(db().query("select * from no_such_table where 1 = $1", params));
        expect(error).to.be.instanceOf(DatabaseError);
        expect(error.message).to.include("no_such_table");
        expect(error.cause).to.be.instanceOf(Error);
      }
    });
  });

  describe("transaction", () => {
    beforeEach(() => db().query("create table entry (id integer primary key)"));

    it("commits when the work resolves, answering its result", async () => {
      const result = await db().transaction(async (sql) => {
        await sql.query("insert into entry (id) values ($1)", [1]);
        await sql.query("insert into entry (id) values (2); insert into entry (id) values (3)");
        return (await sql.query<{ n: number }>("select count(*)::integer as n from entry"))[0]?.n;
      });
      expect(result).to.equal(3);
      expect(await db().query("select id from entry order by id")).to.deep.equal([{ id: 1 }, { id: 2 }, { id: 3 }]);
    });

    it("rolls back everything when the work throws, rethrowing the work's own error", async () => {
      const thrown = new Error("work failed");
      const error = await rejection(
        db().transaction(async (sql) => {
          await sql.query("insert into entry (id) values ($1)", [1]);
          await sql.query("create table scratch (a integer); insert into scratch values (1)");
          throw thrown;
        }),
      );
      expect(error).to.equal(thrown);
      expect(await db().query("select id from entry")).to.deep.equal([]);
      expect(await db().query("select to_regclass('scratch') as t")).to.deep.equal([{ t: null }]);
    });

    it("rolls back the statements before a failing one", async () => {
      const error = await rejection(
        db().transaction(async (sql) => {
          await sql.query("insert into entry (id) values ($1)", [1]);
          await sql.query("insert into entry (id) values ($1)", [1]);
        }),
      );
      expect(error).to.be.instanceOf(DatabaseError);
      expect(await db().query("select id from entry")).to.deep.equal([]);
    });

    it("reports a failure at commit (a deferred constraint) as a DatabaseError and keeps nothing", async () => {
      await db().query("create table deferred (a integer unique deferrable initially deferred)");
      const error = await rejection(
        db().transaction(async (sql) => {
          await sql.query("insert into deferred (a) values (1)");
          await sql.query("insert into deferred (a) values (1)");
          return "committed?";
        }),
      );
      expect(error).to.be.instanceOf(DatabaseError);
      expect(error.message).to.include("deferred_a_key");
      expect(await db().query("select a from deferred")).to.deep.equal([]);
      // The database stays usable afterwards.
      await db().transaction((sql) => sql.query("insert into deferred (a) values (1)"));
      expect(await db().query("select a from deferred")).to.deep.equal([{ a: 1 }]);
    });
  });

  describe("migrate", () => {
    const recorded = () =>
      db().query<{ namespace: string; id: number; name: string }>(
        "select namespace, id, name from pop_migration order by namespace, id",
      );

    it("applies the migrations in order, each once, recording each", async () => {
      expect(await migrate(db(), "notes", notes)).to.deep.equal([1, 2]);
      expect(await db().query("select id, body, tag from note")).to.deep.equal([{ id: 1, body: "first", tag: "seed" }]);
      expect(await recorded()).to.deep.equal([
        { namespace: "notes", id: 1, name: "notes" },
        { namespace: "notes", id: 2, name: "note tags" },
      ]);

      expect(await migrate(db(), "notes", notes)).to.deep.equal([]);
      // Migration 2's insert did not run again.
      expect(await db().query("select count(*)::integer as n from note")).to.deep.equal([{ n: 1 }]);

      const third = { id: 3, name: "note index", sql: "create index note_tag on note (tag)" };
      expect(await migrate(db(), "notes", [...notes, third])).to.deep.equal([3]);
      expect(await migrate(db(), "notes", [...notes, third])).to.deep.equal([]);
    });

    it("keeps namespaces apart: each has its own numbering", async () => {
      expect(await migrate(db(), "notes", notes)).to.deep.equal([1, 2]);
      expect(
        await migrate(db(), "audit", [{ id: 1, name: "audit log", sql: "create table audit (at timestamptz)" }]),
      ).to.deep.equal([1]);
      expect((await recorded()).map((r) => `${r.namespace}#${r.id}`)).to.deep.equal(["audit#1", "notes#1", "notes#2"]);
    });

    it("leaves a failing migration's changes and record out, keeping the ones before it", async () => {
      const failing: Migration[] = [
        notes[0] as Migration,
        { id: 2, name: "broken", sql: "create table half (a integer); insert into half values (1); select 1 / 0" },
        { id: 3, name: "never reached", sql: "create table later (a integer)" },
      ];
      const error = await rejection(migrate(db(), "notes", failing));
      expect(error).to.be.instanceOf(DatabaseError);
      expect(error.message).to.include("division by zero");
      expect(
        await db().query("select to_regclass('note') is not null as note, to_regclass('half') as half"),
      ).to.deep.equal([{ note: true, half: null }]);
      expect(await db().query("select to_regclass('later') as later")).to.deep.equal([{ later: null }]);
      expect((await recorded()).map((r) => r.id)).to.deep.equal([1]);

      // Fixed, it applies from where it stopped.
      expect(await migrate(db(), "notes", notes)).to.deep.equal([2]);
    });

    it("refuses migrations not numbered 1, 2, 3, … before touching the database", async () => {
      const gap = [notes[0] as Migration, { ...(notes[1] as Migration), id: 3 }];
      const error = await rejection(migrate(db(), "notes", gap));
      expect(error).to.be.instanceOf(DatabaseError);
      expect(error.message).to.equal("Migration notes #2 is numbered 3.");
      expect((await rejection(migrate(db(), "notes", [{ ...(notes[0] as Migration), id: 0 }]))).message).to.equal(
        "Migration notes #1 is numbered 0.",
      );
      expect(await db().query("select to_regclass('pop_migration') as t, to_regclass('note') as n")).to.deep.equal([
        { t: null, n: null },
      ]);
    });

    it("refuses a database migrated further than the migrations it knows, naming both versions", async () => {
      const three = [...notes, { id: 3, name: "more", sql: "create table more (a integer)" }];
      expect(await migrate(db(), "notes", three)).to.deep.equal([1, 2, 3]);
      const error = await rejection(migrate(db(), "notes", notes));
      expect(error).to.be.instanceOf(DatabaseError);
      expect((error as DatabaseError).shortMessage).to.equal(
        `The database at ${db().location} has notes schema version 3; this version of pop knows 2.`,
      );
      expect((error as DatabaseError).details).to.match(/Upgrade pop/);
      expect((await recorded()).map((r) => r.id)).to.deep.equal([1, 2, 3]);
    });
  });

  if (target.name === "pglite")
    describe("openPglite: one process per directory", () => {
      let dir: string;
      beforeEach(async () => {
        dir = await mkdtemp(join(tmpdir(), "pop-pglite-"));
      });
      afterEach(() => rm(dir, { recursive: true, force: true }));

      it("refuses a second open of a directory this process has open, naming the pid", async () => {
        const first = await openPglite(dir);
        try {
          const error = await rejection(openPglite(dir));
          expect(error).to.be.instanceOf(DatabaseError);
          expect(error.message).to.include(dir).and.include(`pid ${process.pid}`);
          // The refused open left the first one's lock and data alone.
          expect(parseHolder(await readFile(join(dir, "pop.lock"), "utf8"))?.pid).to.equal(process.pid);
          expect(await first.query("select 1 as one")).to.deep.equal([{ one: 1 }]);
        } finally {
          await first.close();
        }
        expect(existsSync(join(dir, "pop.lock"))).to.equal(false);
        await (await openPglite(dir)).close();
      });

      it("refuses a directory another process has open, naming its pid, and takes it over once that process is killed", async function () {
        // The child starts a PGlite of its own, which takes far longer than 30 s on a loaded machine.
        this.timeout(180_000);
        const code = `
          const { openPglite } = await import(process.env.POP_PGLITE_MODULE);
          const db = await openPglite(process.env.POP_DIR);
          await db.query("create table held (a integer); insert into held values (7)");
          process.stdout.write("open\\n");
          setInterval(() => {}, 60_000);`;
        const child: ChildProcess = spawn(process.execPath, [...TEST_NODE_FLAGS, "--input-type=module", "-e", code], {
          env: {
            ...process.env,
            POP_PGLITE_MODULE: pathToFileURL(join(import.meta.dirname, "../../src/db/pglite.ts")).href,
            POP_DIR: dir,
          },
          stdio: ["ignore", "pipe", "pipe"],
        });
        try {
          let stderr = "";
          child.stderr?.on("data", (chunk) => {
            stderr += chunk;
          });
          await new Promise<void>((resolve, reject) => {
            child.stdout?.on("data", (chunk) => String(chunk).includes("open") && resolve());
            child.on("exit", (status) => reject(new Error(`the child exited (${status}): ${stderr}`)));
          });

          const error = await rejection(openPglite(dir));
          expect(error).to.be.instanceOf(DatabaseError);
          expect(error.message).to.include(`in use by another process (pid ${child.pid}) on host ${hostname()} since `);
        } finally {
          child.kill("SIGKILL");
          if (child.exitCode === null && child.signalCode === null) await once(child, "exit");
        }

        const db = await openPglite(dir);
        try {
          expect(parseHolder(await readFile(join(dir, "pop.lock"), "utf8"))?.pid).to.equal(process.pid);
          expect(await db.query("select a from held")).to.deep.equal([{ a: 7 }]);
        } finally {
          await db.close();
        }
      });

      it("takes over a stale lock file: a finished process's pid, or no pid at all", async () => {
        const finished = spawnSync(process.execPath, ["-e", ""]);
        expect(finished.status).to.equal(0);
        for (const stale of [String(finished.pid), "999999999", "", "not a pid"]) {
          await writeFile(join(dir, "pop.lock"), stale);
          const db = await openPglite(dir);
          expect(parseHolder(await readFile(join(dir, "pop.lock"), "utf8"))?.pid).to.equal(process.pid);
          await db.close();
          expect(existsSync(join(dir, "pop.lock"))).to.equal(false);
        }
      });

      it("keeps the data across close and reopen", async () => {
        const first = await openPglite(dir);
        await migrate(first, "notes", notes);
        await first.query("insert into note (id, body) values ($1, $2)", [2, "second"]);
        await first.close();

        const again = await openPglite(dir);
        try {
          expect(await migrate(again, "notes", notes)).to.deep.equal([]);
          expect(await again.query("select id, body from note order by id")).to.deep.equal([
            { id: 1, body: "first" },
            { id: 2, body: "second" },
          ]);
        } finally {
          await again.close();
        }
      });
    });

  if (target.name === "postgres")
    describe("openServer", () => {
      const url = () => process.env[TEST_DATABASE_URL_VARIABLE] as string;

      it("names the server without its password", () => {
        const location = new URL(db().location);
        expect(db().kind).to.equal("postgres");
        expect(location.password).to.be.oneOf(["", "***"]);
      });

      it("refuses a wrong password with a DatabaseError naming the URL without the password", async () => {
        const wrong = new URL(url());
        wrong.password = "wrong-secret-5f1c";
        const error = await rejection(openServer(wrong.toString()));
        expect(error).to.be.instanceOf(DatabaseError);
        expect(error.message).to.include(`Cannot connect to the database at ${redactUrl(wrong.toString())}`);
        expect(error.message).to.include("***").and.not.include("wrong-secret-5f1c");
      });

      it("refuses a port nothing listens on with a DatabaseError naming the URL without the password", async () => {
        const wrong = new URL(url());
        wrong.hostname = "127.0.0.1";
        wrong.port = String(await closedPort());
        wrong.password = "another-secret-9a2e";
        const error = await rejection(openServer(wrong.toString()));
        expect(error).to.be.instanceOf(DatabaseError);
        expect(error.message)
          .to.include(`Cannot connect to the database at postgres://${wrong.username}:***@127.0.0.1:${wrong.port}/`)
          .and.not.include("another-secret-9a2e");
      });
    });
});

describe("redactUrl", () => {
  it("replaces the password and keeps the rest", () => {
    expect(redactUrl("postgres://pop:s3cret@db.example:5433/pop?sslmode=require")).to.equal(
      "postgres://pop:***@db.example:5433/pop?sslmode=require",
    );
    expect(redactUrl("postgres://pop:p%40ss%3Aword@localhost/pop")).to.equal("postgres://pop:***@localhost/pop");
    expect(redactUrl("postgresql:///pop?host=/var/run/postgresql&password=s3cret")).to.equal(
      "postgresql:///pop?host=%2Fvar%2Frun%2Fpostgresql&password=***",
    );
  });

  it("leaves a URL without a password as it is", () => {
    expect(redactUrl("postgres://pop@localhost:5432/pop")).to.equal("postgres://pop@localhost:5432/pop");
    expect(redactUrl("postgres://localhost/pop")).to.equal("postgres://localhost/pop");
  });

  it("answers a placeholder, not the text, for what is not a URL", () => {
    expect(redactUrl("pop:secret at localhost")).to.equal("(unparseable URL)");
    // No scheme: it reads as the scheme "pop:" followed by the password.
    expect(redactUrl("pop:s3cret@localhost:5432/pop")).to.equal("(unparseable URL)");
    expect(redactUrl("host=localhost password=s3cret")).to.equal("(unparseable URL)");
  });
});
