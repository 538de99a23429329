import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { fromTemplate, pgliteVersion, templateDirectory } from "../../src/db/pgliteTemplate.ts";
import { openServer } from "../../src/db/server.ts";
import { type DatabaseTarget, TEST_DATABASE_URL_VARIABLE } from "./databases.ts";
import { TEST_NODE_FLAGS } from "./node.ts";

/** The Ponder app's directory: `ponder` runs there (its GraphQL middleware writes generated/ relative to the cwd). */
export const INDEXER_DIR = fileURLToPath(new URL("../../indexer/", import.meta.url));
const PONDER_BIN = fileURLToPath(new URL("./bin/ponder.js", import.meta.resolve("ponder")));

/** Latest indexed block per chain, by the config's chain names. */
export type ChainBlocks = Partial<Record<"base" | "numbers", bigint | number>>;

export interface IndexerOptions {
  /** PGlite in a directory of its own, or a schema of its own in POP_TEST_DATABASE_URL's database. */
  readonly database: DatabaseTarget["name"];
  /** What the indexer reads its chains and contracts from (TestNetwork.indexerEnv). */
  readonly env: Readonly<Record<string, string>>;
  /** How long to wait for the HTTP server (default 60 s). */
  readonly startTimeoutMs?: number;
}

export interface IndexerResponse {
  readonly status: number;
  readonly contentType: string;
  /** Parsed JSON when the answer is JSON, else the text. */
  readonly body: unknown;
}

export interface Indexer {
  /** The HTTP server's base URL (may change on restart). */
  readonly url: string;
  /** The database schema the app writes to. */
  readonly schema: string;
  /** Resolves once the running process has indexed (committed) each chain up to at least the block given. */
  waitFor(blocks: ChainBlocks, timeoutMs?: number): Promise<void>;
  /** POSTs to Ponder's GraphQL endpoint; a GraphQL error is thrown with the errors and the log's tail. */
  graphql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T>;
  get(path: string): Promise<IndexerResponse>;
  /** Everything the process (and those before it, across restarts) wrote, one JSON line per log record. */
  logs(): string;
  /** Stops the process (Ponder's own shutdown, SIGINT) and starts a new one on the same database and schema. */
  restart(): Promise<void>;
  /**
   * Starts `ponder serve` (the HTTP API alone, no indexing) on the same Postgres schema: what an API replica
   * is. Its base URL, once /health answers; `stop()` on the indexer stops it too.
   */
  serve(): Promise<{ readonly url: string; stop(): Promise<void> }>;
  /** Stops the process and removes the database (PGlite directory or Postgres schema). */
  stop(): Promise<void>;
}

/** Ponder's log records (`--log-format json`). */
interface LogRecord {
  readonly level?: number;
  readonly msg?: string;
  readonly port?: number;
  readonly [key: string]: unknown;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port free now on 127.0.0.1 (Ponder moves to the next one itself if it is taken by then). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * The environment the process starts with: ours without anything that would choose its database, port or
 * chains, nor a log level that would hide the info records `waitFor` reads (PONDER_LOG_LEVEL=debug or
 * trace is kept: more detail in the log a failing test prints).
 */
function childEnv(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name, value]) =>
        !name.startsWith("POP_") &&
        !name.startsWith("PONDER_RPC_URL_") &&
        !name.startsWith("DATABASE_") &&
        name !== "PORT" &&
        (name !== "PONDER_LOG_LEVEL" || value === "debug" || value === "trace"),
    ),
  );
  return { ...inherited, PONDER_TELEMETRY_DISABLED: "true", ...extra };
}

interface Storage {
  readonly env: Readonly<Record<string, string>>;
  remove(): Promise<void>;
}

/**
 * Removes what Ponder's shared `ponder_sync` schema holds for `chainIds`. The local chains reuse their ids
 * with new contents every run, and although the config sets `disableCache` for them, Ponder 0.16 still
 * writes the blocks and logs of a backfill (blocks more than 30 behind the head) there, keeps the first
 * copy on conflict and reads the events back from it: a later run would index an earlier run's logs.
 */
async function forgetSyncedChains(url: string, chainIds: readonly number[]): Promise<void> {
  if (chainIds.length === 0) return;
  const admin = await openServer(url);
  try {
    const tables = await admin.query<{ table_name: string }>(
      "select table_name from information_schema.columns where table_schema = 'ponder_sync' and column_name = 'chain_id'",
    );
    for (const { table_name } of tables)
      await admin.query(`delete from ponder_sync."${table_name}" where chain_id = any($1::bigint[])`, [chainIds]);
  } finally {
    await admin.close();
  }
}

/** The PGlite Ponder runs on: its own dependency, of another version than the project's. */
const PONDER_PGLITE = createRequire(import.meta.resolve("ponder")).resolve("@electric-sql/pglite");
const PONDER_PGLITE_TEMPLATE = templateDirectory(pgliteVersion(pathToFileURL(PONDER_PGLITE).href));

/** Ponder's empty database, created once and copied for each indexer on PGlite (pgliteTemplate.ts). */
async function ponderPgliteDirectory(dir: string): Promise<void> {
  await fromTemplate(
    dir,
    async () => undefined,
    PONDER_PGLITE_TEMPLATE,
    async (pgdata) => {
      const { PGlite } = createRequire(import.meta.url)(PONDER_PGLITE) as typeof import("@electric-sql/pglite");
      const db = new PGlite(pgdata);
      await db.waitReady;
      await db.close();
    },
  );
}

/** Where the app keeps its tables: a new PGlite directory, or the schema (dropped on stop) in the test server. */
async function storageFor(
  database: DatabaseTarget["name"],
  schema: string,
  env: Readonly<Record<string, string>>,
): Promise<Storage> {
  if (database === "pglite") {
    const dir = await mkdtemp(join(tmpdir(), "pop-indexer-"));
    await ponderPgliteDirectory(dir);
    return { env: { POP_INDEXER_PGLITE_DIR: dir }, remove: () => rm(dir, { recursive: true, force: true }) };
  }
  const url = process.env[TEST_DATABASE_URL_VARIABLE]?.trim();
  if (!url) throw new Error(`${TEST_DATABASE_URL_VARIABLE} is not set: no Postgres server to index into.`);
  const chainIds = Object.keys(env)
    .flatMap((name) => /^PONDER_RPC_URL_(\d+)$/.exec(name)?.[1] ?? [])
    .map(Number);
  await forgetSyncedChains(url, chainIds);
  return {
    env: { DATABASE_URL: url },
    async remove() {
      // Ponder also keeps a shared `ponder_sync` schema: other apps in the database may use it, so it stays.
      const admin = await openServer(url);
      try {
        await admin.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await admin.close();
      }
    },
  };
}

/** One running `ponder start`, its output collected. */
class PonderProcess {
  port: number | undefined;
  /** Per chain, the highest block this process has indexed (committed), from its log. */
  readonly indexed = new Map<string, number>();
  /** Per chain, the finalized block live indexing started from (everything up to it is indexed by then). */
  readonly liveFrom = new Map<string, number>();
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly killOnExit = () => this.child.kill("SIGKILL");

  constructor(args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void) {
    this.child = spawn(process.execPath, [...TEST_NODE_FLAGS, PONDER_BIN, ...args], {
      cwd: INDEXER_DIR,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    // A test process that ends without stopping us must not leave an indexer behind.
    process.once("exit", this.killOnExit);
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code) => {
        process.off("exit", this.killOnExit);
        resolve(code);
      }),
    );
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let pending = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) if (line.trim().length > 0) this.read(line, onLine);
      });
      stream?.on("end", () => {
        if (pending.trim().length > 0) this.read(pending, onLine);
      });
    }
  }

  private read(line: string, onLine: (line: string) => void) {
    onLine(line);
    try {
      const record = JSON.parse(line) as LogRecord;
      const chain = typeof record.chain === "string" ? record.chain : undefined;
      const raise = (map: Map<string, number>, block: unknown) => {
        if (chain !== undefined && typeof block === "number") map.set(chain, Math.max(map.get(chain) ?? -1, block));
      };
      if (record.msg === "Created HTTP server" && typeof record.port === "number") this.port = record.port;
      // Logged after the block's (or range's) transaction has committed.
      else if (record.msg === "Indexed block") raise(this.indexed, record.number);
      else if (record.msg === "Indexed block range" && typeof record.block_range === "string")
        raise(this.indexed, (JSON.parse(record.block_range) as number[])[1]);
      else if (record.msg === "Started live indexing") raise(this.liveFrom, record.finalized_block);
    } catch {
      // Not a log record (a stack trace, say): kept in the log all the same.
    }
  }

  get exitCode(): number | null {
    return this.child.exitCode;
  }

  /**
   * SIGINT, and SIGKILL if Ponder's shutdown has not ended after `graceMs`. Not SIGTERM: Vite's dev server,
   * which Ponder builds the app with, also listens for SIGTERM and calls process.exit() as soon as it has
   * closed, cutting Ponder's shutdown short before it unlocks the schema; a restart then waits ~25 s for
   * the lock's heartbeat to expire. Ponder handles SIGINT the same way, and Vite does not listen for it.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGINT");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Starts the real indexer (`ponder start` in indexer/, JSON logs) on a database
 * of its own and waits until its HTTP server answers. PGlite gets a temporary
 * directory; Postgres a new schema in POP_TEST_DATABASE_URL's database. Call
 * `stop()` to end the process and remove what it stored.
 *
 * @example
 * const indexer = await startIndexer({ database: target.name, env: network.indexerEnv });
 * await indexer.waitFor({ base: 12n, numbers: 3n });
 * const { tenants } = await indexer.graphql("{ tenants { items { id } } }");
 */
export async function startIndexer(options: IndexerOptions): Promise<Indexer> {
  const schema = `pop_idx_${randomBytes(6).toString("hex")}`;
  const storage = await storageFor(options.database, schema, options.env);
  const log: string[] = [];
  let current: PonderProcess | undefined;

  const tail = (lines = 40) => log.slice(-lines).join("\n");
  const errors = () =>
    log
      .filter((line) => {
        try {
          return ((JSON.parse(line) as LogRecord).level ?? 0) >= 50;
        } catch {
          return false;
        }
      })
      .slice(-10);
  /** An error naming what the indexer logged: its errors first, then the log's tail. */
  const failure = (message: string) => {
    const logged = errors();
    return new Error(
      `${message}\n${logged.length > 0 ? `indexer errors:\n${logged.join("\n")}\n` : ""}indexer log (tail):\n${tail()}`,
    );
  };
  const url = () => {
    if (current?.port === undefined) throw new Error("The indexer is not running.");
    return `http://127.0.0.1:${current.port}`;
  };

  /** Spawns `ponder <command>` on this database and schema; resolves once its /health answers. */
  async function spawnPonder(command: "start" | "serve"): Promise<PonderProcess> {
    const port = await freePort();
    const args = [command, "--schema", schema, "--port", String(port), "--hostname", "127.0.0.1"];
    args.push("--log-format", "json");
    const child = new PonderProcess(args, childEnv({ ...options.env, ...storage.env }), (line) => log.push(line));
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    for (;;) {
      if (child.exitCode !== null)
        throw failure(`ponder ${command} exited with code ${child.exitCode} while starting.`);
      if (child.port !== undefined) {
        const ok = await fetch(`http://127.0.0.1:${child.port}/health`).then(
          (response) => response.ok,
          () => false,
        );
        if (ok) return child;
      }
      if (Date.now() > deadline) {
        await child.stop();
        throw failure(`ponder ${command}'s HTTP server did not answer within ${options.startTimeoutMs ?? 60_000} ms.`);
      }
      await sleep(50);
    }
  }

  async function launch(): Promise<void> {
    current = await spawnPonder("start");
  }

  const replicas = new Set<PonderProcess>();

  async function request(path: string, init?: RequestInit): Promise<IndexerResponse> {
    const response = await fetch(`${url()}${path}`, init);
    const contentType = response.headers.get("content-type") ?? "";
    const text = await response.text();
    let body: unknown = text;
    if (contentType.includes("json")) {
      try {
        body = JSON.parse(text);
      } catch {
        // Kept as text: the assertion on it will show what came.
      }
    }
    return { status: response.status, contentType, body };
  }

  try {
    await launch();
  } catch (error) {
    await storage.remove().catch(() => {});
    throw error;
  }

  return {
    get url() {
      return url();
    },
    schema,
    async waitFor(blocks, timeoutMs = 30_000) {
      // Not /status: after a restart it reports the previous process's checkpoints while the unfinalized
      // blocks, reverted by Ponder's crash recovery, are being indexed again. This process's own log says
      // which blocks it has committed.
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const child = current;
        if (child === undefined || child.exitCode !== null)
          throw failure(`The indexer exited with code ${child?.exitCode}.`);
        const behind = Object.entries(blocks).filter(
          ([chain, block]) => Math.max(child.indexed.get(chain) ?? -1, child.liveFrom.get(chain) ?? -1) < Number(block),
        );
        if (behind.length === 0) return;
        if (Date.now() > deadline) {
          const at = Object.fromEntries(behind.map(([chain]) => [chain, child.indexed.get(chain) ?? null]));
          throw failure(
            `The indexer did not reach ${JSON.stringify(Object.fromEntries(behind.map(([c, b]) => [c, Number(b)])))} within ${timeoutMs} ms: indexed up to ${JSON.stringify(at)}.`,
          );
        }
        await sleep(25);
      }
    },
    async graphql<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
      const answer = await request("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(variables === undefined ? { query } : { query, variables }),
      });
      const body = answer.body as { data?: T; errors?: unknown };
      if (answer.status !== 200 || body.errors !== undefined || body.data === undefined)
        throw failure(`GraphQL answered ${answer.status}: ${JSON.stringify(answer.body)}\nquery: ${query}`);
      return body.data;
    },
    get: (path) => request(path),
    logs: () => log.join("\n"),
    async restart() {
      await current?.stop();
      log.push('{"msg":"--- restarted by the test ---"}');
      await launch();
    },
    async serve() {
      if (options.database !== "postgres") throw new Error("ponder serve needs Postgres: PGlite is one process's.");
      const replica = await spawnPonder("serve");
      replicas.add(replica);
      return {
        url: `http://127.0.0.1:${replica.port}`,
        async stop() {
          await replica.stop();
          replicas.delete(replica);
        },
      };
    },
    async stop() {
      try {
        await Promise.all([current?.stop(), ...[...replicas].map((replica) => replica.stop())]);
      } finally {
        await storage.remove();
      }
    },
  };
}
