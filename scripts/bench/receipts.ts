/**
 * The receipts service under load (issue 12, point 10): 2,000 simulated jobs
 * submitted and completed by 50 concurrent clients over HTTP (on a thread of
 * their own, receiptsClients.ts), every fifth
 * event repeated (409 with the original receipt), the service stopped and
 * started again on the same database halfway, then every commit waited for
 * on the local Numbers chain and counted there and in the database. The local
 * stack is `pop serve`'s: a real HTTP server (startReceiptsService), the
 * outbox worker with its defaults, the direct committer through the
 * transaction engine, a local store, Postgres when POP_BENCH_DATABASE_URL or
 * POP_TEST_DATABASE_URL names one, else PGlite. Baseline, in the same run:
 * GET /api/health (an HTTP round trip and one query) from the same clients.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { type Address, createPublicClient, defineChain, type Hex, http, keccak256, stringToBytes } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getBlockNumber, getContractEvents, getTransactionCount } from "viem/actions";
import { commitRegisterAbi } from "../../src/anchor/abi.ts";
import type { Database } from "../../src/db/database.ts";
import { migrate } from "../../src/db/migrate.ts";
import { completeBodyOf, submitBodyOf } from "../../src/jobs/drive.ts";
import { createApiKey } from "../../src/jobs/service/apiKeys.ts";
import { JOBS_MIGRATIONS, JOBS_SCHEMA } from "../../src/jobs/service/schema.ts";
import { type ReceiptsService, startReceiptsService } from "../../src/jobs/service/server.ts";
import { simulateJob } from "../../src/jobs/simulator.ts";
import { signerFromSeed } from "../../src/keys/fileSigner.ts";
import { createDirectCommitter } from "../../src/numbers/directCommitter.ts";
import { LocalStore } from "../../src/storage/local.ts";
import type { DatabaseTarget } from "../../test/helpers/databases.ts";
import { DEV_KEYS } from "../demo/accounts.ts";
import type { BenchLine } from "./measure.ts";
import { runLoadOnThread } from "./receiptsClients.ts";
import { type LoadJob, type LoadResult, percentile } from "./receiptsLoad.ts";

export interface ReceiptsBenchConfig {
  readonly jobs: number;
  readonly clients: number;
  /** Stop the service halfway and start a new one on the same database. */
  readonly restart: boolean;
  /**
   * The last `waitJobs` jobs are sent after the others are all committed, with `?wait=commit`, all at once:
   * the commit latency of an idle service (behind a backlog of thousands it is the backlog's drain time).
   */
  readonly waitJobs: number;
  /** GET /api/health requests per client for the baseline. */
  readonly healthPerClient: number;
  /** Gives up waiting for the commits after this long. */
  readonly commitTimeoutMs?: number;
}

export const FULL_RUN: ReceiptsBenchConfig = {
  jobs: 2_000,
  clients: 50,
  restart: true,
  waitJobs: 10,
  healthPerClient: 20,
};

export interface ReceiptsBenchResult {
  readonly database: "pglite" | "postgres";
  /** The timed phase: every job but the last `waitJobs`. */
  readonly load: LoadResult;
  /** The `?wait=commit` jobs, after the drain. */
  readonly waited: LoadResult;
  readonly healthMs: number[];
  readonly healthPerSecond: number;
  /** From the first request until the last commit is mined and recorded. */
  readonly commitSeconds: number;
  /** Counted after the run: in the database, on the chain, in the store. */
  readonly counts: {
    readonly events: Record<string, number>;
    readonly committed: Record<string, number>;
    readonly directCommits: number;
    readonly chainCommits: Record<string, number>;
    readonly transactions: number;
    readonly stored: number;
    readonly jobs: number;
  };
  /** This process's CPU (service, worker, clients; not the chain's nor Postgres's) during the timed phase and its drain. */
  readonly cpuSeconds: number;
  /** Errors the service answered 500 for. */
  readonly serviceErrors: readonly unknown[];
}

const TENANT = "fleet-bench";
/** Blocks per log query (each commit is a block of its own on the local chain). */
const LOG_RANGE = 500n;
/** Dev account 1 sends the commits (account 0 deployed the CommitRegister). */
const committerAccount = privateKeyToAccount(DEV_KEYS[1] as Hex);

/** The database the run uses: a fresh schema on the Postgres server named in the environment, else PGlite. */
async function benchDatabase() {
  const { pgliteTarget, postgresTarget } = await import("../../test/helpers/databases.ts");
  const url = (process.env.POP_BENCH_DATABASE_URL ?? process.env.POP_TEST_DATABASE_URL)?.trim();
  const target = url === undefined || url.length === 0 ? pgliteTarget : postgresTarget(url);
  return { name: target.name, db: await target.open() };
}

/** The simulated jobs, made before the clock starts: the clients only send them. */
async function makeJobs(config: ReceiptsBenchConfig): Promise<LoadJob[]> {
  const jobs: LoadJob[] = [];
  const base = BigInt(Date.now());
  for (let i = 0; i < config.jobs; i++) {
    const job = simulateJob({ seed: base + BigInt(i), executor: `bench-worker-${i % config.clients}`, timeScale: 0 });
    jobs.push({
      submit: submitBodyOf(job.submitted),
      complete: completeBodyOf(await job.complete()),
      wait: i >= config.jobs - config.waitJobs,
    });
  }
  return jobs;
}

async function healthBaseline(url: string, clients: number, perClient: number) {
  const times: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < perClient; i++) {
        const at = performance.now();
        const response = await fetch(`${url}/api/health`);
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`GET /api/health answered ${response.status}.`);
        times.push(performance.now() - at);
      }
    }),
  );
  return { times, perSecond: times.length / ((performance.now() - start) / 1000) };
}

/** The local Numbers chain (31338) in a child process: numbersChain.ts. */
async function startChildChain() {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL("numbersChain.ts", import.meta.url))],
    {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, PONDER_TELEMETRY_DISABLED: "true" },
    },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const [line] = (await Promise.race([
    once(createInterface({ input: child.stdout as Readable }), "line"),
    exited.then(() => {
      throw new Error("The local Numbers chain's process exited before it was ready.");
    }),
  ])) as [string];
  const { url, commitRegister } = JSON.parse(line) as { url: string; commitRegister: Address };
  return {
    url,
    commitRegister,
    chain: defineChain({
      id: 31338,
      name: "Numbers (local stand-in)",
      nativeCurrency: { name: "NUM", symbol: "NUM", decimals: 18 },
      rpcUrls: { default: { http: [url] } },
    }),
    async close() {
      child.stdin?.end();
      await exited;
    },
  };
}

const countBy = (rows: readonly { key: string; count: number }[]) =>
  Object.fromEntries(rows.map((row) => [row.key, Number(row.count)]));

export interface ReceiptsBenchSetup {
  /** Default: Postgres from POP_BENCH_DATABASE_URL or POP_TEST_DATABASE_URL, else PGlite. */
  readonly database?: DatabaseTarget;
  /** `in-process` saves a process start (the smoke test); the bench measures with the chain apart. */
  readonly chain?: "child" | "in-process";
}

export async function runReceiptsBench(
  config: ReceiptsBenchConfig,
  setup: ReceiptsBenchSetup = {},
): Promise<ReceiptsBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), "pop-bench-receipts-"));
  const chain =
    setup.chain === "in-process"
      ? await (await import("../../test/helpers/localChain.ts")).startLocalNumbers()
      : await startChildChain();
  let opened: { name: "pglite" | "postgres"; db: Database } | undefined;
  let service: ReceiptsService | undefined;
  try {
    opened =
      setup.database === undefined
        ? await benchDatabase()
        : { name: setup.database.name, db: await setup.database.open() };
    const { db } = opened;
    const store = new LocalStore(join(dir, "store"));
    const publicClient = createPublicClient({ chain: chain.chain, transport: http(chain.url) });
    const signers = new Map([[TENANT, signerFromSeed("fleet-bench-2026", randomBytes(32))]]);
    const serviceErrors: unknown[] = [];
    // A new committer per start, as a restarted `pop serve` builds one: all it knows is in the database.
    const start = (port: number) =>
      startReceiptsService({
        db,
        committer: createDirectCommitter({
          db,
          publicClient,
          account: committerAccount,
          evmChainId: chain.chain.id,
          commitContract: chain.commitRegister,
          confirmations: 1,
        }),
        providers: [store],
        signers,
        port,
        log: (error) => serviceErrors.push(error),
      });
    service = await start(0);
    const url = service.url;
    const port = Number(new URL(url).port);
    await migrate(db, JOBS_SCHEMA, JOBS_MIGRATIONS);
    // Each worker its own key, as a fleet hands them out: the rate limit is per key.
    const apiKeys: string[] = [];
    for (let i = 0; i < config.clients; i++) apiKeys.push((await createApiKey(db, TENANT)).key);
    const jobs = await makeJobs(config);

    await healthBaseline(url, config.clients, config.healthPerClient); // warm-up: the first requests compile the app
    const health = await healthBaseline(url, config.clients, config.healthPerClient);
    const loadStart = performance.now();
    const cpuStart = process.cpuUsage();
    const progress = process.env.POP_BENCH_DEBUG
      ? setInterval(() => {
          void db
            .query("select status, count(*)::integer as n from pop_jobs_event group by status")
            .then((rows) =>
              process.stderr.write(
                `${((performance.now() - loadStart) / 1000).toFixed(0)} s ${JSON.stringify(rows)}\n`,
              ),
            );
        }, 5_000)
      : undefined;
    const timed = jobs.slice(0, config.jobs - config.waitJobs);
    const load = await runLoadOnThread({
      url,
      apiKeys,
      jobs: timed,
      clients: config.clients,
      ...(config.restart
        ? {
            halfway: async () => {
              await service?.close();
              service = await start(port);
            },
          }
        : {}),
    });
    const allCommitted = async (count: number) => {
      const deadline = Date.now() + (config.commitTimeoutMs ?? 600_000);
      for (;;) {
        const [row] = await db.query<{ count: number }>(
          "select count(*)::integer as count from pop_jobs_event where status = 'committed'",
        );
        if (Number(row?.count) >= count) return;
        if (Date.now() > deadline)
          throw new Error(`Only ${row?.count} of ${count} events were committed in time; the rest are lost or stuck.`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await allCommitted(2 * timed.length);
    const commitSeconds = (performance.now() - loadStart) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    clearInterval(progress);
    const waited = await runLoadOnThread({
      url,
      apiKeys,
      jobs: jobs.slice(timed.length),
      clients: Math.max(1, Math.min(config.clients, config.waitJobs)),
    });
    await allCommitted(2 * config.jobs);
    await service.close();
    service = undefined;

    const events = countBy(
      await db.query("select event_type as key, count(*)::integer as count from pop_jobs_event group by event_type"),
    );
    const committed = countBy(
      await db.query(
        `select event_type as key, count(distinct tx_hash)::integer as count from pop_jobs_event
         where status = 'committed' and tx_hash is not null group by event_type`,
      ),
    );
    const [direct] = await db.query<{ count: number }>(
      "select count(*)::integer as count from pop_numbers_direct_commit where status = 'committed'",
    );
    const [jobRows] = await db.query<{ count: number }>("select count(*)::integer as count from pop_jobs_job");
    const rows = await db.query<{ idempotency_key: string; packet_cid: string; event_type: string }>(
      "select idempotency_key, packet_cid, event_type from pop_jobs_event",
    );
    // Nothing lost: every receipt a client was given is an event in the database, with the same packet.
    const byKey = new Map(rows.map((row) => [row.idempotency_key, row]));
    for (const [key, receipt] of [...load.receipts, ...waited.receipts])
      if (byKey.get(key)?.packet_cid !== receipt.packetCid)
        throw new Error(`The receipt of ${key} given to a client is not in the database as answered.`);
    let stored = 0;
    for (const row of rows) if (await store.has(row.packet_cid)) stored += 1;

    // On the chain: every Commit our account made, by event type (commitData names it) and by CID.
    // In ranges: 4,000 commitData strings are more than an RPC answer may hold.
    const logs = [];
    const head = await getBlockNumber(publicClient, { cacheTime: 0 });
    for (let from = 0n; from <= head; from += LOG_RANGE)
      logs.push(
        ...(await getContractEvents(publicClient, {
          address: chain.commitRegister,
          abi: commitRegisterAbi,
          eventName: "Commit",
          args: { recorder: committerAccount.address },
          fromBlock: from,
          toBlock: from + LOG_RANGE - 1n < head ? from + LOG_RANGE - 1n : head,
        })),
      );
    const chainCommits: Record<string, number> = {};
    const cidTopics = new Set(rows.map((row) => keccak256(stringToBytes(row.packet_cid))));
    for (const log of logs) {
      const data = JSON.parse(log.args.commitData ?? "{}") as { jobDetails?: { eventType?: string } };
      const type = cidTopics.has(log.topics[2] as Hex) ? (data.jobDetails?.eventType ?? "unknown") : "foreign CID";
      chainCommits[type] = (chainCommits[type] ?? 0) + 1;
    }
    const transactions = await getTransactionCount(publicClient, { address: committerAccount.address });
    return {
      database: opened.name,
      load,
      waited,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      healthMs: health.times,
      healthPerSecond: health.perSecond,
      commitSeconds,
      counts: {
        events,
        committed,
        directCommits: Number(direct?.count),
        chainCommits,
        transactions,
        stored,
        jobs: Number(jobRows?.count),
      },
      serviceErrors,
    };
  } finally {
    await service?.close();
    await opened?.db.close();
    await chain.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * What must hold after any run: exactly one packet and one commit per event, on the chain and in the
 * database, every packet stored, no 5xx, no 500 logged. Answers the problems found (none: empty).
 */
export function receiptsProblems(config: ReceiptsBenchConfig, result: ReceiptsBenchResult): string[] {
  const problems: string[] = [];
  const expect = (what: string, actual: unknown, expected: unknown) => {
    if (JSON.stringify(actual) !== JSON.stringify(expected))
      problems.push(`${what}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  };
  const n = config.jobs;
  const both = { JobSubmitted: n, JobCompleted: n };
  const sorted = (record: Record<string, number>) =>
    Object.fromEntries(Object.entries(record).sort(([a], [b]) => b.localeCompare(a)));
  expect("packets (events) in the database", sorted(result.counts.events), both);
  expect("committed events (distinct transactions)", sorted(result.counts.committed), both);
  expect("direct committer's commits", result.counts.directCommits, 2 * n);
  expect("Commit events on the chain", sorted(result.counts.chainCommits), both);
  expect("transactions sent by the committer", result.counts.transactions, 2 * n);
  expect("packets in the store", result.counts.stored, 2 * n);
  expect("jobs", result.counts.jobs, n);
  expect("events recorded as answered to the clients", result.load.accepted + result.waited.accepted, 2 * n);
  expect("receipts the clients hold", result.load.receipts.size + result.waited.receipts.size, 2 * n);
  expect("?wait=commit answers", result.waited.waitMs.length, 2 * config.waitJobs);
  const fivexx = [...result.load.statuses, ...result.waited.statuses].filter(([status]) => status >= 500);
  expect("5xx answers", fivexx, []);
  expect("errors the service answered 500 for", result.serviceErrors.map(String), []);
  return problems;
}

const ms = (values: readonly number[], p: number) => percentile(values, p);

export async function benchReceipts(config: ReceiptsBenchConfig = FULL_RUN): Promise<BenchLine[]> {
  const result = await runReceiptsBench(config);
  const problems = receiptsProblems(config, result);
  if (problems.length > 0) throw new Error(`The receipts run is wrong:\n  ${problems.join("\n  ")}`);
  const { load, database } = result;
  const events = 2 * (config.jobs - config.waitJobs);
  const postgres = database === "postgres";
  const eventsPerSecond = load.accepted / load.seconds;
  const submitP95 = ms(load.submitMs, 95);
  const healthP95 = ms(result.healthMs, 95);
  const statuses = [...load.statuses]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status === 0 ? "conn. error" : status} ×${count}`)
    .join(", ");
  const latency = (name: string, values: readonly number[]) => ({
    name: `  ${name}: p50 / p95 / p99`,
    value: ms(values, 50),
    unit: `/ ${ms(values, 95).toFixed(1)} / ${ms(values, 99).toFixed(1)} ms (${values.length} calls)`,
  });
  const where = `${database}${config.restart ? ", restarted once" : ""}`;
  return [
    {
      name: `baseline: GET /api/health, ${config.clients} clients (${database})`,
      value: result.healthPerSecond,
      unit: `req/s, p50 ${ms(result.healthMs, 50).toFixed(1)} ms, p95 ${healthP95.toFixed(1)} ms`,
    },
    {
      name: `${config.jobs} jobs, ${config.clients} clients, 20% repeats (${where})`,
      value: eventsPerSecond,
      unit: `accepted events/s (${load.accepted} in ${load.seconds.toFixed(2)} s)`,
      ...(postgres
        ? {
            target: {
              text: `≥ 500/s on Postgres: ${(eventsPerSecond / 500).toFixed(2)}×`,
              met: eventsPerSecond >= 500,
            },
          }
        : {}),
    },
    {
      ...latency("submit (202)", load.submitMs),
      ...(postgres
        ? {
            target: {
              text: `p95 ≤ 50 ms on Postgres: ${(submitP95 / 50).toFixed(2)}× (${(submitP95 / healthP95).toFixed(1)}× health p95)`,
              met: submitP95 <= 50,
            },
          }
        : {}),
    },
    latency("complete (202)", load.completeMs),
    latency(`repeat, 409 with the original receipt (${load.duplicates})`, load.duplicateMs),
    latency(`?wait=commit, ${config.waitJobs} jobs after the drain (200 once mined)`, result.waited.waitMs),
    {
      name: "  commits mined (direct committer, local chain)",
      value: events / result.commitSeconds,
      unit: `commits/s (${events}: the last one ${result.commitSeconds.toFixed(2)} s after the first request)`,
    },
    {
      name: "  CPU of this process (service, worker, clients) per event",
      value: (1000 * result.cpuSeconds) / events,
      unit: `ms (the chain runs in a child process${postgres ? ", Postgres in its own" : "; PGlite in this one"})`,
    },
    {
      name: "  HTTP attempts by status",
      value: Number.NaN,
      unit: `${statuses}; ${load.recoveredByRetry} recorded before a lost answer (409 on retry)`,
    },
  ];
}
