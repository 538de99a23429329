/**
 * A new PGlite database runs Postgres's initdb inside WebAssembly: 4–8 s of CPU, the
 * largest part of a first `pop anchor` and of every test that needs an empty
 * database. Every new database starts as the same files, so the first one created
 * with this PGlite version is kept as a tarball and later ones are unpacked from it
 * (about 1 s). The copy lives in node_modules/.cache (the conventional place for a
 * tool's cache, gone with the next `npm ci`); when it cannot be read or written, a
 * database is simply created the slow way.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";

/** The installed PGlite's version (its package.json is not exported, so it is read beside its entry point). */
function pgliteVersion(): string {
  const entry = fileURLToPath(import.meta.resolve("@electric-sql/pglite"));
  const root = entry.slice(0, entry.lastIndexOf(`${sep}dist${sep}`));
  return (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
}

const PGLITE_VERSION = pgliteVersion();
export const TEMPLATE_FILE = new URL(
  `../../node_modules/.cache/proof-of-process/pglite-${PGLITE_VERSION}-empty.tar`,
  import.meta.url,
).pathname;

/** The template's bytes; undefined when none is kept yet (or it cannot be read). */
function readTemplate(file: string): Promise<Blob | undefined> {
  return readFile(file).then(
    (bytes) => new Blob([bytes]),
    () => undefined,
  );
}

/** Keeps `db`, just created and still empty, as the template. */
async function keepAsTemplate(db: PGlite, file: string): Promise<void> {
  try {
    const dump = await db.dumpDataDir("none");
    await mkdir(dirname(file), { recursive: true });
    // Written aside and renamed, so a concurrent reader never sees half a tarball.
    const aside = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
    await writeFile(aside, new Uint8Array(await dump.arrayBuffer()));
    await rename(aside, file);
  } catch {
    // A read-only node_modules only costs speed.
  }
}

/**
 * Opens the PGlite database in `pgdata`. A new one is unpacked from the template when one is kept
 * (a template PGlite cannot start from, truncated by a full disk say, is discarded), or else created
 * by initdb and kept as the template.
 */
export async function createPglite(pgdata: string, templateFile = TEMPLATE_FILE): Promise<PGlite> {
  // initdb writes PG_VERSION first thing: without it, the directory holds no database yet.
  if (existsSync(join(pgdata, "PG_VERSION"))) return PGlite.create(pgdata);
  const template = await readTemplate(templateFile);
  if (template !== undefined) {
    try {
      return await PGlite.create(pgdata, { loadDataDir: template });
    } catch {
      await rm(templateFile, { force: true });
      await rm(pgdata, { recursive: true, force: true });
    }
  }
  const db = await PGlite.create(pgdata);
  await keepAsTemplate(db, templateFile);
  return db;
}
