/** The read routes: a tenant's jobs, newest first, by opaque cursor; one job's events and stages, oldest first. */
import type { Row, Sql } from "../../db/database.ts";
import { invalidField, jobOfAnotherTenant, ServiceError } from "./errors.ts";
import { type JobAnchor, jobAnchor } from "./jobAnchor.ts";
import { RECEIPT_COLUMNS, type ReceiptRow, receiptOf } from "./receipts.ts";
import type { EVENT_STATUSES, JOB_STATUSES, Receipt } from "./schemas.ts";

export const DEFAULT_PAGE = 50;

export interface ListFilters {
  readonly status?: (typeof JOB_STATUSES)[number] | undefined;
  readonly taskType?: string | undefined;
  readonly executor?: string | undefined;
  readonly limit?: number | undefined;
  readonly cursor?: string | undefined;
}

interface JobListRow {
  job_id: string;
  seq: string | number;
  task_type: string;
  executor: string;
  gpu: string;
  status: (typeof JOB_STATUSES)[number];
  created_at: Date | string;
  completed_at: Date | string | null;
  [column: string]: unknown;
}

/** The cursor is the last row's `seq`, wrapped so clients treat it as opaque (its form may change). */
function encodeCursor(seq: string | number): string {
  return Buffer.from(JSON.stringify({ v: 1, before: String(seq) })).toString("base64url");
}

function decodeCursor(cursor: string): string {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { v?: unknown; before?: unknown };
    if (value.v === 1 && typeof value.before === "string" && /^[0-9]{1,19}$/.test(value.before)) return value.before;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  throw invalidField("cursor", "cursor must be the nextCursor of an earlier page, as it was answered.");
}

export async function listJobs(sql: Sql, tenantId: string, filters: ListFilters) {
  const limit = filters.limit ?? DEFAULT_PAGE;
  const where = ["tenant_id = $1"];
  const params: unknown[] = [tenantId];
  const add = (condition: string, value: unknown) => {
    params.push(value);
    where.push(condition.replace("?", `$${params.length}`));
  };
  if (filters.status !== undefined) add("status = ?", filters.status);
  if (filters.taskType !== undefined) add("task_type = ?", filters.taskType);
  if (filters.executor !== undefined) add("executor = ?", filters.executor);
  if (filters.cursor !== undefined) add("seq < ?::bigint", decodeCursor(filters.cursor));
  params.push(limit + 1);
  const rows = await sql.query<JobListRow>(
    `select job_id, seq, task_type, executor, gpu, status, created_at, completed_at from pop_jobs_job
     where ${where.join(" and ")} order by seq desc limit $${params.length}`,
    params,
  );
  const page = rows.slice(0, limit);
  const events = await sql.query<{ job_id: string; event_type: string; packet_cid: string; status: string }>(
    "select job_id, event_type, packet_cid, status from pop_jobs_event where job_id = any($1::text[]) order by id",
    [page.map((row) => row.job_id)],
  );
  const last = page.at(-1);
  return {
    jobs: page.map((row) => ({
      jobId: row.job_id,
      taskType: row.task_type,
      executor: row.executor,
      gpu: row.gpu,
      status: row.status,
      submittedAt: new Date(row.created_at).toISOString(),
      completedAt: row.completed_at === null ? null : new Date(row.completed_at).toISOString(),
      events: events
        .filter((event) => event.job_id === row.job_id)
        .map((event) => ({
          eventType: event.event_type,
          packetCid: event.packet_cid,
          status: event.status as (typeof EVENT_STATUSES)[number],
        })),
    })),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.seq) : null,
  };
}

/**
 * The job's `tenant_id` and `columns`: 404 when no job `jobId` was submitted, 403 when it is another tenant's.
 */
export async function ownJob<R extends Row>(
  sql: Sql,
  tenantId: string,
  jobId: string,
  columns?: string,
): Promise<R & { tenant_id: string }> {
  const [job] = await sql.query<R & { tenant_id: string }>(
    `select tenant_id${columns === undefined ? "" : `, ${columns}`} from pop_jobs_job where job_id = $1`,
    [jobId],
  );
  if (job === undefined)
    throw new ServiceError(404, "unknown_job", `No job ${jobId} was submitted.`, { field: "jobId" });
  if (job.tenant_id !== tenantId) throw jobOfAnotherTenant(jobId);
  return job;
}

/**
 * A job's events, oldest first, as receipts.
 *
 * @throws {ServiceError} 404 for an unknown job, 403 for another tenant's.
 */
export async function jobTimeline(sql: Sql, tenantId: string, jobId: string) {
  const job = await ownJob<{ status: (typeof JOB_STATUSES)[number] }>(sql, tenantId, jobId, "status");
  const rows = await sql.query<ReceiptRow>(
    `select ${RECEIPT_COLUMNS} from pop_jobs_event where job_id = $1 order by id`,
    [jobId],
  );
  const events = rows.map(receiptOf);
  const anchor = (await jobAnchor(sql, jobId)) ?? null;
  return { jobId, status: job.status, events, stages: stagesOf(events, anchor), anchor };
}

/** The stages a job has reached, oldest first: its events (with their Numbers commits), then its Base anchor. */
function stagesOf(events: readonly Receipt[], anchor: JobAnchor | null) {
  const stages: {
    stage: "submitted" | "completed" | "anchored" | "final";
    at: string;
    chain: "numbers" | "base";
    txHash: string | null;
    blockNumber: string | null;
    explorerUrl: string | null;
  }[] = events.map((event) => ({
    stage: event.eventType === "JobSubmitted" ? "submitted" : "completed",
    at: event.recordedAt,
    chain: "numbers",
    txHash: event.commit?.txHash ?? null,
    blockNumber: event.commit?.blockNumber ?? null,
    explorerUrl: event.commit?.explorerUrl ?? null,
  }));
  if (anchor?.anchoredAt) {
    const base = { chain: "base" as const, txHash: anchor.txHash, blockNumber: anchor.blockNumber };
    stages.push({ stage: "anchored", at: anchor.anchoredAt, ...base, explorerUrl: anchor.explorerUrl });
    if (anchor.finalAt)
      stages.push({ stage: "final", at: anchor.finalAt, ...base, explorerUrl: anchor.blockExplorerUrl });
  }
  return stages;
}
