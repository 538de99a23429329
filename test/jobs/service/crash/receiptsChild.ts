/**
 * The receipts service's work as a process of its own, for fault injection
 * (crash.test.ts spawns it with `process.execPath`): opens the state database,
 * starts the service (`startReceiptsService`, the direct committer on the local
 * Numbers chain the parent serves), posts each job's submit and complete over
 * HTTP with `?wait=commit` (one event at a time, so the steps come in one
 * order), and waits until every event is committed. Every recorded step is
 * printed as `step <name>` on stdout (`event:recorded`, `outbox:stored`,
 * `commit:recorded`, `commit:submitted`, `commit:sent`, `outbox:submitted`,
 * `commit:confirmed`, `outbox:committed`) and, with KILL_AFTER_STEP=k, the
 * process kills itself with SIGKILL right after the k-th: no finally block, no
 * close, no flush beyond what was already written.
 *
 * The parent restarts the work in its own process with {@link runReceiptsWork}:
 * the same requests again (a recorded event answers 409), the same worker.
 *
 * Configuration (environment, all set by the parent):
 *   POP_FAULT_PGLITE_DIR or POP_FAULT_DATABASE_URL  the state database (PGlite directory or Postgres URL)
 *   POP_FAULT_WORK  JSON {@link WorkConfig}: the chain, the committing key, the store, the API key and the jobs
 *   KILL_AFTER_STEP  optional: the step after which to die
 *
 * Loaded as a module (mocha loads every file under test/), it does nothing.
 */
import { writeSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Address, createPublicClient, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Database } from "../../../../src/db/database.ts";
import { openPglite } from "../../../../src/db/pglite.ts";
import { openServer } from "../../../../src/db/server.ts";
import { startReceiptsService } from "../../../../src/jobs/service/server.ts";
import { createDirectCommitter } from "../../../../src/numbers/directCommitter.ts";
import { LocalStore } from "../../../../src/storage/local.ts";
import { call, eventually, FAST_WORKER, SIGNERS } from "../harness.ts";

export interface WorkConfig {
  readonly rpcUrl: string;
  readonly evmChainId: number;
  readonly commitContract: Address;
  /** The committing account's private key. */
  readonly committerKey: Hex;
  /** The local content store's directory. */
  readonly store: string;
  /** An API key of the harness's tenant, created in the database beforehand. */
  readonly apiKey: string;
  /** Request bodies, as harness.ts jobBodies makes them. */
  readonly jobs: readonly { readonly submit: unknown; readonly complete: unknown }[];
}

/**
 * How long a claimed event stays this process's: short, so that a restart takes up at once what a killed
 * process held (one process works on a row at a time, so the lease never runs out under its own feet).
 */
export const CRASH_LEASE_MS = 300;

/** Runs the service until every job's two events are committed; `onStep` hears each recorded step. */
export async function runReceiptsWork(config: WorkConfig, db: Database, onStep: (step: string) => void): Promise<void> {
  const committer = createDirectCommitter({
    db,
    publicClient: createPublicClient({ transport: http(config.rpcUrl) }),
    account: privateKeyToAccount(config.committerKey),
    evmChainId: config.evmChainId,
    commitContract: config.commitContract,
    confirmations: 1,
    pollingIntervalMs: 20,
    onStep: (step) => onStep(`commit:${step}`),
  });
  const service = await startReceiptsService({
    db,
    committer,
    providers: [new LocalStore(config.store)],
    signers: SIGNERS,
    port: 0,
    waitTimeoutMs: 60_000,
    worker: { ...FAST_WORKER, leaseMs: CRASH_LEASE_MS, onStep: (step) => onStep(`outbox:${step}`) },
    onStep: (step) => onStep(`event:${step}`),
  });
  try {
    for (const job of config.jobs)
      for (const [route, body] of [
        ["submit", job.submit],
        ["complete", job.complete],
      ] as const) {
        const answer = await call(service.url, `/api/jobs/${route}?wait=commit`, { key: config.apiKey, body });
        // 409: recorded before a crash (the answer carries its receipt; the worker finishes it).
        if (answer.status !== 200 && answer.status !== 409)
          throw new Error(`POST /api/jobs/${route} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
    const events = config.jobs.length * 2;
    await eventually(
      async () => {
        const [row] = await db.query<{ n: number }>(
          "select count(*)::integer as n from pop_jobs_event where status = 'committed'",
        );
        return row?.n === events;
      },
      `all ${events} events are committed`,
      60_000,
    );
  } finally {
    await service.close();
  }
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.length === 0) throw new Error(`${name} is not set`);
  return value;
}

/** Straight to file descriptor 1: a line printed before the kill is never lost in a buffer. */
const print = (line: string) => writeSync(1, `${line}\n`);

async function main(): Promise<void> {
  const killAfter = process.env.KILL_AFTER_STEP === undefined ? undefined : Number(process.env.KILL_AFTER_STEP);
  if (killAfter !== undefined && !(Number.isInteger(killAfter) && killAfter > 0))
    throw new Error(`KILL_AFTER_STEP must be a positive integer, not ${process.env.KILL_AFTER_STEP}`);
  const url = process.env.POP_FAULT_DATABASE_URL;
  const db: Database =
    url === undefined || url.length === 0 ? await openPglite(required("POP_FAULT_PGLITE_DIR")) : await openServer(url);
  let steps = 0;
  await runReceiptsWork(JSON.parse(required("POP_FAULT_WORK")) as WorkConfig, db, (step) => {
    print(`step ${step}`);
    if (++steps === killAfter) process.kill(process.pid, "SIGKILL");
  });
  await db.close();
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
