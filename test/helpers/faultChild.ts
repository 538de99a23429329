/**
 * What the fault suites share (test/anchor/pipeline/fault.test.ts, test/jobs/service/crash.test.ts): state
 * databases a child process opens by itself, and a child run to its end or to its SIGKILL after the k-th
 * step it prints (`step <name>` lines on stdout; the child reads KILL_AFTER_STEP).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { cpSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Database } from "../../src/db/database.ts";
import { openPglite } from "../../src/db/pglite.ts";
import { openServer } from "../../src/db/server.ts";
import { type DatabaseTarget, databaseTargets, TEST_DATABASE_URL_VARIABLE } from "./databases.ts";
import { TEST_NODE_FLAGS } from "./node.ts";

/** A state database the child opens by itself and the test opens after the child has gone. */
export interface StateDatabase<T = undefined> {
  /** What the child needs to open it: POP_FAULT_PGLITE_DIR or POP_FAULT_DATABASE_URL. */
  readonly env: Record<string, string>;
  /** What `prepare` answered for it. */
  readonly prepared: T;
  open(): Promise<Database>;
  dispose(): Promise<void>;
}

export interface StateDatabases<T = undefined> {
  fresh(): Promise<StateDatabase<T>>;
  close(): Promise<void>;
}

/**
 * Databases of the target's engine that another process can open, each as `prepare` leaves an empty one
 * (tables, keys): for PGlite a directory (copied from one created and prepared once, since creating one
 * takes seconds), for Postgres a schema of its own on the test server, prepared each time.
 */
export async function stateDatabases<T = undefined>(
  target: DatabaseTarget,
  root: string,
  prepare: (db: Database) => Promise<T> = async () => undefined as T,
): Promise<StateDatabases<T>> {
  if (target.name === "pglite") {
    const template = join(root, "pglite-template");
    const db = await openPglite(template);
    let prepared: T;
    try {
      prepared = await prepare(db);
    } finally {
      await db.close();
    }
    let count = 0;
    return {
      async fresh() {
        const dir = join(root, `pglite-${++count}`);
        // cpSync copies natively: ten times faster than the promise API here (about 1,000 files, 40 MB).
        cpSync(template, dir, { recursive: true });
        return {
          env: { POP_FAULT_PGLITE_DIR: dir },
          prepared,
          open: () => openPglite(dir),
          dispose: () => rm(dir, { recursive: true, force: true }),
        };
      },
      async close() {},
    };
  }
  const url = process.env[TEST_DATABASE_URL_VARIABLE]?.trim();
  if (!url) throw new Error(`${TEST_DATABASE_URL_VARIABLE} is not set`);
  const admin = await openServer(url);
  let count = 0;
  return {
    async fresh() {
      const schema = `pop_fault_${process.pid}_${++count}`;
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.query(`create schema ${schema}`);
      const scoped = new URL(url);
      scoped.searchParams.set("options", `-c search_path=${schema}`);
      const db = await openServer(scoped.toString());
      let prepared: T;
      try {
        prepared = await prepare(db);
      } finally {
        await db.close();
      }
      return {
        env: { POP_FAULT_DATABASE_URL: scoped.toString() },
        prepared,
        open: () => openServer(scoped.toString()),
        dispose: async () => {
          await admin.query(`drop schema if exists ${schema} cascade`);
        },
      };
    },
    close: () => admin.close(),
  };
}

export interface ChildOutcome {
  readonly steps: string[];
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Runs the child script `path` to its end or, with `killAfter`, to its SIGKILL. */
export async function runChild(path: string, env: Record<string, string>, killAfter?: number): Promise<ChildOutcome> {
  const loader = process.features.typescript ? [] : ["--import", "tsx"];
  const child: ChildProcess = spawn(process.execPath, [...TEST_NODE_FLAGS, ...loader, path], {
    env: {
      // Nothing of the child's own configuration is inherited: only what this call passes.
      ...Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !name.startsWith("POP_FAULT_") && name !== "KILL_AFTER_STEP"),
      ),
      ...env,
      ...(killAfter === undefined ? {} : { KILL_AFTER_STEP: String(killAfter) }),
    },
    stdio: ["ignore", "pipe", "pipe"],
    // A child that hangs is ended by SIGTERM, which no assertion mistakes for the injected SIGKILL.
    timeout: 60_000,
    killSignal: "SIGTERM",
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code, signal] = (await once(child, "close")) as [number | null, NodeJS.Signals | null];
  const steps = stdout
    .split("\n")
    .filter((line) => line.startsWith("step "))
    .map((line) => line.slice("step ".length));
  return { steps, code, signal, stderr };
}

/**
 * The k (1-based) after whose step a suite kills its child on `target`. On PGlite a kill point costs several
 * seconds of CPU (the child boots Postgres in WebAssembly, the restart boots it again and recovers from the
 * kill), so where a Postgres server also runs the suite, PGlite kills only after the steps `risky` picks from
 * the run's (those where a lost write would do something twice) and Postgres after every step. Without a
 * server, or with POP_FAULT_ALL_STEPS=1, PGlite kills after every step: each step is killed somewhere.
 */
export function killPoints(
  target: DatabaseTarget,
  steps: readonly string[],
  risky: (steps: readonly string[]) => number[],
): number[] {
  const everyStep =
    target.name === "postgres" ||
    process.env.POP_FAULT_ALL_STEPS === "1" ||
    !databaseTargets().some(({ name }) => name === "postgres");
  return everyStep ? steps.map((_, i) => i + 1) : risky(steps);
}
