/**
 * The request half of the event flow: validate (done by the route), build and
 * sign the packet, then record the event in one statement (a submit's job row
 * with it) whose unique idempotency key makes every repeat a 409 with the
 * original receipt. Nothing
 * slow happens here: storage and the commit are the outbox worker's (outbox.ts).
 */
import { randomUUID } from "node:crypto";
import { toHex } from "../../bytes.ts";
import type { Database, Sql } from "../../db/database.ts";
import { rawCid } from "../../evidence/cid.ts";
import { InvalidPacketError } from "../../evidence/errors.ts";
import type { Signer } from "../../keys/signer.ts";
import { type JobEventType, jobCommitData } from "../commitData.ts";
import { JobEventError } from "../errors.ts";
import { createJobPacket, type JobCompletedFacts, type JobSubmittedFacts } from "../packets.ts";
import { jobOfAnotherTenant, ServiceError, tenantSigner } from "./errors.ts";
import { completedFacts, type StoredSubmission, storedSubmission, submittedFacts } from "./facts.ts";
import { idempotencyKey, RECEIPT_COLUMNS, type ReceiptRow, receiptOf } from "./receipts.ts";
import type { CompleteBody, Receipt, SubmitBody } from "./schemas.ts";

export interface EventDeps {
  readonly db: Database;
  /** Each tenant's signing key: packets of a tenant are signed with its key only. */
  readonly signers: ReadonlyMap<string, Signer>;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** Called after an event is recorded: wakes the outbox worker. */
  readonly recorded: () => void;
}

interface JobRow {
  tenant_id: string;
  process_id: string;
  submitted: StoredSubmission;
  [column: string]: unknown;
}

async function eventRow(sql: Sql, key: string): Promise<ReceiptRow | undefined> {
  const [row] = await sql.query<ReceiptRow>(
    `select ${RECEIPT_COLUMNS} from pop_jobs_event where idempotency_key = $1`,
    [key],
  );
  return row;
}

function duplicate(row: ReceiptRow): ServiceError {
  return new ServiceError(
    409,
    "duplicate_event",
    `Event ${row.idempotency_key} was already recorded; the answer carries its original receipt.`,
    { extra: { receipt: receiptOf(row) } },
  );
}

/** 403 for another tenant's job, 409 with the receipt when the event is already recorded; one read for both. */
async function refuseTakenOrRepeated(
  sql: Sql,
  tenantId: string,
  jobId: string,
  key: string,
): Promise<JobRow | undefined> {
  const [row] = await sql.query<
    { job_tenant: string; job_process: string; job_submitted: StoredSubmission } & ReceiptRow
  >(
    `select j.tenant_id as job_tenant, j.process_id as job_process, j.submitted as job_submitted, e.*
     from pop_jobs_job j
     left join lateral (select ${RECEIPT_COLUMNS} from pop_jobs_event where idempotency_key = $2) e on true
     where j.job_id = $1`,
    [jobId, key],
  );
  if (row === undefined) return undefined;
  if (row.job_tenant !== tenantId) throw jobOfAnotherTenant(jobId);
  // The event's columns are null when it is not recorded yet (the left join found none).
  if (row.idempotency_key !== null) throw duplicate(row);
  return { tenant_id: row.job_tenant, process_id: row.job_process, submitted: row.job_submitted };
}

/** The error for an event whose insert found its key (or its job) taken by a concurrent request that committed first. */
async function alreadyRecorded(sql: Sql, tenantId: string, jobId: string, key: string): Promise<ServiceError> {
  await refuseTakenOrRepeated(sql, tenantId, jobId, key);
  // Unreachable while a job's row and its JobSubmitted event are written by one statement.
  return new ServiceError(409, "duplicate_event", `Event ${key} conflicts with a job recorded without it.`);
}

/** Signs the event's packet with the tenant's key; a packet the evidence layer refuses is a 400 naming the field. */
async function sign(
  deps: EventDeps,
  tenantId: string,
  processId: string,
  submitted: JobSubmittedFacts,
  event: JobSubmittedFacts | JobCompletedFacts,
) {
  const signer = tenantSigner(deps.signers, tenantId);
  try {
    const signed = await createJobPacket(submitted, event, { tenantId, processId }, signer);
    const packetCid = rawCid(signed.bytes);
    const commitData = JSON.stringify(jobCommitData({ packet: signed, packetCid }));
    return { signed, packetCid, commitData };
  } catch (error) {
    if (error instanceof InvalidPacketError)
      throw new ServiceError(400, "invalid_packet", `The event makes no valid packet: ${error.shortMessage}`, {
        field: error.field,
      });
    if (error instanceof JobEventError) throw new ServiceError(400, "invalid_event", error.shortMessage);
    throw error;
  }
}

type Signed = Awaited<ReturnType<typeof sign>>;

/** The event row's values, $1 to $8, as the inserts below name them. */
const eventValues = (key: string, jobId: string, tenantId: string, eventType: JobEventType, packet: Signed) => [
  key,
  jobId,
  tenantId,
  eventType,
  packet.signed.bytes,
  packet.packetCid,
  toHex(packet.signed.packetHash),
  packet.commitData,
];

const EVENT_COLUMNS =
  "idempotency_key, job_id, tenant_id, event_type, packet, packet_cid, packet_hash, commit_data, status";

/**
 * Records a JobSubmitted event: the job's row and the event's, in one statement.
 *
 * @throws {ServiceError} 409 with the original receipt for a repeat, 403 for another tenant's job id.
 */
export async function submitJob(deps: EventDeps, tenantId: string, body: SubmitBody): Promise<Receipt> {
  const jobId = body.jobId ?? randomUUID();
  const key = idempotencyKey(jobId, "JobSubmitted");
  // A retry answers from the database before signing anything.
  if (body.jobId !== undefined) await refuseTakenOrRepeated(deps.db, tenantId, jobId, key);
  const stored = storedSubmission(body, jobId, deps.now());
  const facts = submittedFacts(stored);
  const packet = await sign(deps, tenantId, stored.processId, facts, facts);
  // One statement (one round trip, atomic): the job's row and, only when that was new, its event's.
  const [row] = await deps.db.query<ReceiptRow>(
    `with job as (
       insert into pop_jobs_job (job_id, tenant_id, task_type, executor, gpu, process_id, status, submitted)
       values ($2, $3, $9, $10, $11, $12, 'submitted', $13::jsonb) on conflict (job_id) do nothing returning job_id)
     insert into pop_jobs_event (${EVENT_COLUMNS})
     select $1, job.job_id, $3, $4, $5, $6, $7, $8, 'recorded' from job
     on conflict (idempotency_key) do nothing
     returning ${RECEIPT_COLUMNS}`,
    [
      ...eventValues(key, jobId, tenantId, "JobSubmitted", packet),
      stored.taskType,
      stored.executor,
      stored.gpu,
      stored.processId,
      JSON.stringify(stored),
    ],
  );
  // The job was there already: a concurrent duplicate, whose statement committed the job and its event together.
  if (row === undefined) throw await alreadyRecorded(deps.db, tenantId, jobId, key);
  deps.recorded();
  return receiptOf(row);
}

/**
 * Records a JobCompleted event of a submitted job.
 *
 * @throws {ServiceError} 404 for a job never submitted, 403 for another tenant's, 409 with the original receipt for a repeat.
 */
export async function completeJob(deps: EventDeps, tenantId: string, body: CompleteBody): Promise<Receipt> {
  const key = idempotencyKey(body.jobId, "JobCompleted");
  const job = await refuseTakenOrRepeated(deps.db, tenantId, body.jobId, key);
  if (job === undefined)
    throw new ServiceError(
      404,
      "unknown_job",
      `Job ${body.jobId} has no JobSubmitted event: a job is completed only after POST /api/jobs/submit recorded it.`,
      { field: "jobId" },
    );
  const submitted = submittedFacts(job.submitted);
  const completed = completedFacts(body, deps.now());
  const packet = await sign(deps, tenantId, job.process_id, submitted, completed);
  // One statement: the event, and the job's status only when the event is new.
  const [row] = await deps.db.query<ReceiptRow>(
    `with event as (
       insert into pop_jobs_event (${EVENT_COLUMNS})
       values ($1, $2, $3, $4, $5, $6, $7, $8, 'recorded')
       on conflict (idempotency_key) do nothing
       returning ${RECEIPT_COLUMNS}),
     job as (
       update pop_jobs_job set status = $9, completed_at = $10
       where job_id = $2 and exists (select 1 from event))
     select * from event`,
    [
      ...eventValues(key, body.jobId, tenantId, "JobCompleted", packet),
      body.exitCode === 0 ? "succeeded" : "failed",
      new Date(completed.completedAt),
    ],
  );
  if (row === undefined) throw await alreadyRecorded(deps.db, tenantId, body.jobId, key);
  deps.recorded();
  return receiptOf(row);
}

/** The receipt of the event `key`, for `?wait=commit` polling. */
export async function receiptByKey(sql: Sql, key: string): Promise<Receipt | undefined> {
  const row = await eventRow(sql, key);
  return row === undefined ? undefined : receiptOf(row);
}
