import { cpSync, existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { expect } from "chai";
import { createPglite, fromTemplate, TEMPLATE_DIR } from "../../src/db/pgliteTemplate.ts";

const tables = async (db: PGlite) =>
  (
    await db.query<{ name: string }>(
      "select table_name as name from information_schema.tables where table_schema = 'public'",
    )
  ).rows.map((row) => row.name);

describe("new PGlite databases from a kept template", () => {
  let dir: string;
  let template: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-template-"));
    template = join(dir, "cache", "empty");
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("keeps the first new database, still empty, as the template and starts the next ones from it", async () => {
    const first = await createPglite(join(dir, "a"), template);
    await first.exec("create table written_after (id integer)");
    expect(existsSync(join(template, "PG_VERSION"))).to.equal(true);
    const kept = (await stat(join(template, "PG_VERSION"))).mtimeMs;
    const second = await createPglite(join(dir, "b"), template);
    try {
      expect(await tables(second)).to.deep.equal([]);
      await second.exec("create table t (id integer); insert into t values (1)");
      expect((await second.query("select id from t")).rows).to.deep.equal([{ id: 1 }]);
      expect((await stat(join(template, "PG_VERSION"))).mtimeMs, "the template is not rewritten").to.equal(kept);
      expect(await tables(second), "the first database's table is not in the template").to.deep.equal(["t"]);
      expect((await readdir(join(dir, "cache"))).sort(), "nothing left aside").to.deep.equal(["empty"]);
    } finally {
      await second.close();
      await first.close();
    }
  });

  it("opens an existing database as it is, never over it from the template", async () => {
    // The project's own template: this test is about the database, and a new template costs an initdb.
    const db = await createPglite(join(dir, "a"));
    await db.exec("create table kept (id integer)");
    await db.close();
    const again = await createPglite(join(dir, "a"));
    try {
      expect(await tables(again)).to.deep.equal(["kept"]);
      // Its buffer pool is the small one, whose start costs less (pgliteTemplate.ts).
      expect((await again.query("show shared_buffers")).rows).to.deep.equal([{ shared_buffers: "32MB" }]);
    } finally {
      await again.close();
    }
  });

  it("discards a template PGlite cannot start from and keeps a good one in its place", async () => {
    // A copy of the project's template stands in for initdb (3 s of CPU): the subject is what becomes of the bad one.
    await (await createPglite(join(dir, "a"))).close();
    let created = 0;
    const create = async (pgdata: string) => {
      created++;
      cpSync(TEMPLATE_DIR, pgdata, { recursive: true });
    };
    await mkdir(template, { recursive: true });
    await writeFile(join(template, "PG_VERSION"), "not a database\n");
    const db = await fromTemplate(join(dir, "b"), (pgdata) => PGlite.create(pgdata), template, create);
    try {
      expect(created, "kept again once").to.equal(1);
      expect(await tables(db)).to.deep.equal([]);
      expect(await readdir(template), "a good template replaces the bad one").to.include.members(["base", "global"]);
    } finally {
      await db.close();
    }
  });

  it("creates the database the slow way when no template can be kept", async () => {
    await writeFile(join(dir, "cache"), "a file where the cache directory would be");
    const db = await createPglite(join(dir, "b"), template);
    try {
      expect(await tables(db)).to.deep.equal([]);
      expect(existsSync(join(dir, "b", "PG_VERSION"))).to.equal(true);
    } finally {
      await db.close();
    }
  });
});
