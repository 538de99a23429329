/**
 * A new PGlite database runs Postgres's initdb inside WebAssembly: 3–8 s of CPU, the
 * largest part of a first `pop anchor` and of every test that needs an empty
 * database. Every new database starts as the same files, so the first one created
 * with a PGlite version is kept, closed and still empty, as a directory, and later
 * ones are copied from it (opening the copy then costs about 1 s of CPU; unpacking a
 * tarball with PGlite's loadDataDir cost twice that). The copy lives in
 * node_modules/.cache (the conventional place for a tool's cache, gone with the next
 * `npm ci`); when it cannot be written or started from, a database is simply created
 * the slow way.
 */
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";

/** The version of the PGlite package that `entry` (a resolved module URL) belongs to. */
export function pgliteVersion(entry: string): string {
  const path = fileURLToPath(entry);
  const root = path.slice(0, path.lastIndexOf(`${sep}dist${sep}`));
  return (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
}

const CACHE = new URL("../../node_modules/.cache/proof-of-process/", import.meta.url).pathname;

/** Where the empty database of the PGlite version given is kept. */
export const templateDirectory = (version: string) => join(CACHE, `pglite-${version}-empty`);

export const TEMPLATE_DIR = templateDirectory(pgliteVersion(import.meta.resolve("@electric-sql/pglite")));

/** An engine's own way to create an empty database in a directory and close it (initdb, then a clean shutdown). */
export type CreateEmpty = (pgdata: string) => Promise<void>;

const createEmpty: CreateEmpty = async (pgdata) => {
  const db = await PGlite.create(pgdata);
  await db.close();
};

/** A sibling of `path` that no other process picks: work is done there and renamed into place whole. */
const aside = (path: string) => `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;

/** Keeps a new empty database as the template; false when it cannot be written (a read-only node_modules). */
async function keepTemplate(templateDir: string, create: CreateEmpty): Promise<boolean> {
  const building = aside(templateDir);
  try {
    mkdirSync(dirname(templateDir), { recursive: true });
    await create(building);
    renameSync(building, templateDir);
  } catch {
    // Another process may have kept one meanwhile: theirs is as good.
    rmSync(building, { recursive: true, force: true });
  }
  return existsSync(templateDir);
}

/**
 * Starts `open` (the engine) on `pgdata`. A directory that holds no database yet first becomes a copy of the
 * template, which is kept first when there is none. A template whose copy the engine cannot start (truncated by
 * a full disk, say) is discarded and kept again; when none can be kept, `open` creates the database the slow way.
 */
export async function fromTemplate<T>(
  pgdata: string,
  open: (pgdata: string) => Promise<T>,
  templateDir: string,
  create: CreateEmpty,
): Promise<T> {
  // initdb writes PG_VERSION first thing: without it, the directory holds no database yet.
  if (existsSync(join(pgdata, "PG_VERSION"))) return open(pgdata);
  for (let attempt = 1; attempt <= 2; attempt++) {
    if (!existsSync(templateDir) && !(await keepTemplate(templateDir, create))) break;
    // Copied aside and renamed: a crash mid-copy leaves no directory that looks like a database.
    const copy = aside(pgdata);
    try {
      cpSync(templateDir, copy, { recursive: true });
      rmSync(pgdata, { recursive: true, force: true });
      renameSync(copy, pgdata);
      return await open(pgdata);
    } catch {
      rmSync(copy, { recursive: true, force: true });
      rmSync(pgdata, { recursive: true, force: true });
      rmSync(templateDir, { recursive: true, force: true });
    }
  }
  return open(pgdata);
}

/**
 * Postgres's buffer pool, inside PGlite's WebAssembly memory, is allocated and zeroed at every start: at the
 * default 128 MB, about 0.4 s of the 1.2–1.5 s of CPU that opening a database costs each `pop` command. The
 * state databases are small, and their files stay in the operating system's cache all the same.
 */
const START_PARAMS = [...PGlite.defaultStartParams, "-c", "shared_buffers=32MB"];

/** Opens the PGlite database in `pgdata`, an empty one copied from the template when there is none yet. */
export function createPglite(pgdata: string, templateDir = TEMPLATE_DIR): Promise<PGlite> {
  return fromTemplate(pgdata, (dir) => PGlite.create(dir, { startParams: START_PARAMS }), templateDir, createEmpty);
}
