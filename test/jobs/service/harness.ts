/** What the receipts service tests share: a running service over a test database, keys, and request bodies from the simulator. */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toHex } from "../../../src/bytes.ts";
import type { Database } from "../../../src/db/database.ts";
import { migrate } from "../../../src/db/migrate.ts";
import { openServer } from "../../../src/db/server.ts";
import type { JobFileFacts } from "../../../src/jobs/packets.ts";
import { createApiKey } from "../../../src/jobs/service/apiKeys.ts";
import { JOBS_MIGRATIONS, JOBS_SCHEMA } from "../../../src/jobs/service/schema.ts";
import {
  type ReceiptsService,
  type ReceiptsServiceOptions,
  startReceiptsService,
} from "../../../src/jobs/service/server.ts";
import { type SimulateJobParameters, simulateJob } from "../../../src/jobs/simulator.ts";
import { signerFromSeed } from "../../../src/keys/fileSigner.ts";
import { LocalStore } from "../../../src/storage/local.ts";
import { type DatabaseTarget, TEST_DATABASE_URL_VARIABLE } from "../../helpers/databases.ts";
import { RecordingTestCommitter } from "../../helpers/recordingTestCommitter.ts";

export const TENANT = "fleet-north";
export const OTHER_TENANT = "fleet-south";

const seed = (label: string) => new Uint8Array(createHash("sha256").update(label).digest());
export const SIGNERS = new Map([
  [TENANT, signerFromSeed("fleet-north-2026", seed("north"))],
  [OTHER_TENANT, signerFromSeed("fleet-south-2026", seed("south"))],
]);

/** Fast loops, so tests wait milliseconds for the worker. */
export const FAST_WORKER = {
  pollIntervalMs: 10,
  settleIntervalMs: 10,
  retryDelayMs: 10,
  maxDelayMs: 50,
  storeDelayMs: 5,
};

export interface Running {
  readonly service: ReceiptsService;
  readonly url: string;
  readonly committer: RecordingTestCommitter;
  readonly store: LocalStore;
  close(): Promise<void>;
}

/** Starts a service on a free port of 127.0.0.1 over `db`; the caller closes it. */
export async function startService(
  db: Database,
  options: Partial<ReceiptsServiceOptions> & { committer?: RecordingTestCommitter; store?: LocalStore } = {},
): Promise<Running> {
  const dir = options.store === undefined ? await mkdtemp(join(tmpdir(), "pop-serve-")) : undefined;
  const store = options.store ?? new LocalStore(dir as string);
  const committer = options.committer ?? new RecordingTestCommitter();
  const service = await startReceiptsService({
    db,
    committer,
    providers: [store],
    signers: SIGNERS,
    port: 0,
    worker: FAST_WORKER,
    ...options,
  });
  return {
    service,
    url: service.url,
    committer,
    store,
    async close() {
      await service.close();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh API key of `tenant` (the tables are migrated first, as the service would). */
export async function apiKey(db: Database, tenant = TENANT): Promise<string> {
  await migrate(db, JOBS_SCHEMA, JOBS_MIGRATIONS);
  return (await createApiKey(db, tenant)).key;
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field in assertions.
  readonly body: any;
}

/** One request with the API key (unless `key` is null), JSON in and out. */
export async function call(
  url: string,
  path: string,
  options: { key?: string | null; method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined && options.key !== null) headers.authorization = `Bearer ${options.key}`;
  if (options.body !== undefined) headers["content-type"] ??= "application/json";
  const response = await fetch(`${url}${path}`, {
    method: options.method ?? (options.body === undefined ? "GET" : "POST"),
    headers,
    ...(options.body === undefined
      ? {}
      : { body: typeof options.body === "string" ? options.body : JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text.length === 0 ? undefined : JSON.parse(text) };
}

const fileBody = (file: JobFileFacts) => ({
  fileName: file.fileName,
  mimeType: file.mimeType,
  sha256: toHex(file.sha256),
  size: file.size,
  ...(file.resolution === undefined ? {} : { resolution: file.resolution }),
});

/** Submit and complete bodies of one simulated job, as a worker would post them. */
export async function jobBodies(parameters: Partial<SimulateJobParameters> = {}) {
  const job = simulateJob({ seed: 5n, executor: "worker-1", timeScale: 0, failureRate: 0, ...parameters });
  const s = job.submitted;
  const submit = {
    jobId: s.jobId,
    taskType: s.taskType.id,
    executor: s.executor,
    gpu: s.gpu.id,
    modelId: s.modelId,
    prompt: s.prompt,
    seed: s.seed.toString(),
    parameters: s.parameters,
    inputs: s.inputs.map(fileBody),
    submittedAt: s.submittedAt,
    simulated: true,
  };
  const c = await job.complete();
  const complete = {
    jobId: c.jobId,
    exitCode: c.exitCode,
    durationMs: c.durationMs,
    gpuUtilization: c.gpuUtilization,
    memoryUsedGb: c.memoryUsedGb,
    ...(c.output === undefined ? {} : { output: fileBody(c.output) }),
    ...(c.errorLog === undefined ? {} : { errorLog: fileBody(c.errorLog) }),
    ...(c.failureReason === undefined ? {} : { failureReason: c.failureReason }),
    completedAt: c.completedAt,
    timeScale: c.timeScale,
  };
  return { submit, complete, jobId: s.jobId };
}

/** Polls `check` until it holds (the worker runs in the background), failing after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A second connection to the database `db` of `target`, as a second replica would open it: for Postgres
 * another pool on the same schema; PGlite is one process's database, so replicas there share the handle.
 */
export async function openTwin(
  target: DatabaseTarget,
  db: Database,
): Promise<{ db: Database; close(): Promise<void> }> {
  if (target.name === "pglite") return { db, close: async () => {} };
  const url = process.env[TEST_DATABASE_URL_VARIABLE] as string;
  const [row] = await db.query<{ schema: string }>("select current_schema() as schema");
  const scoped = new URL(url);
  scoped.searchParams.set("options", `-c search_path=${row?.schema}`);
  const twin = await openServer(scoped.toString());
  return { db: twin, close: () => twin.close() };
}
