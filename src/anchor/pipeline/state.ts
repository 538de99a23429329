/**
 * Reads and writes of the pipeline's durable state (schema.ts). Every write
 * that moves a run on checks the step it moves from, so two processes racing
 * on one run cannot both take a step; numbers wider than 2^53 travel as text.
 * Submissions and their attempts are the transaction engine's
 * (src/transactions/state.ts): here they carry runs.
 */
import type { Address, Hex } from "viem";
import type { Database, Sql } from "../../db/database.ts";
import {
  type SubmissionRecord as EngineSubmissionRecord,
  type NewAttempt,
  readSubmission as readEngineSubmission,
  recordSubmission as recordEngineSubmission,
  releaseSubmissionIn as releaseEngineSubmissionIn,
  StateConflictError,
} from "../../transactions/state.ts";
import type { AnchorMessage } from "../eip712.ts";

export {
  type AttemptRecord,
  type NewAttempt,
  recordAttempt,
  recordSent,
  StateConflictError,
  type SubmissionStatus,
} from "../../transactions/state.ts";

export type RunStep = "registered" | "packets" | "chained" | "stored" | "signed" | "submitted" | "confirmed" | "done";

export interface RunRecord {
  readonly runKey: string;
  readonly evmChainId: number;
  readonly registry: Address;
  readonly manifestPath: string;
  readonly manifestSha256: string;
  readonly tenantId: string;
  readonly processId: string;
  /** The chainscript's UUID. */
  readonly chainId: string;
  readonly packetCount: number;
  readonly step: RunStep;
  readonly chainscriptCid?: string;
  readonly chainHash?: Hex;
  readonly anchor?: AnchorMessage;
  readonly signature?: Hex;
  readonly submissionId?: string;
}

export interface PacketRecord {
  readonly sequence: number;
  readonly stageId: string;
  readonly cid: string;
  readonly bytes: Uint8Array;
}

/** An anchoring submission: the engine's record, with the registry it calls and what it anchored. */
export interface SubmissionRecord extends EngineSubmissionRecord {
  readonly registry: Address;
  /** How many chains a `found` transaction anchored (for our own: the runs it carries). */
  readonly anchors?: number;
}

// Not the chainscript's bytes: megabytes for a large run, and a run is read at every step (see readChainscript).
const RUN_COLUMNS = `run_key, evm_chain_id, registry, manifest_path, manifest_sha256, tenant_id, process_id, chain_id,
  packet_count, step, chainscript_cid, chain_hash, anchor, signature, submission_id::text as submission_id`;

function toBytes(value: unknown): Uint8Array {
  // pg answers Buffers, PGlite Uint8Arrays: one type for the rest of the code.
  const bytes = value as Uint8Array;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function anchorToText(anchor: AnchorMessage): string {
  return JSON.stringify({ ...anchor, amount: anchor.amount.toString(), deadline: anchor.deadline.toString() });
}

function anchorFromText(text: string): AnchorMessage {
  const json = JSON.parse(text) as Record<string, string>;
  return {
    ...(json as unknown as AnchorMessage),
    amount: BigInt(json.amount ?? 0),
    deadline: BigInt(json.deadline ?? 0),
  };
}

function runFromRow(row: Record<string, unknown>): RunRecord {
  const optional = <T>(name: string, value: unknown, convert: (v: unknown) => T) =>
    value === null || value === undefined ? {} : { [name]: convert(value) };
  return {
    runKey: row.run_key as string,
    evmChainId: Number(row.evm_chain_id),
    registry: row.registry as Address,
    manifestPath: row.manifest_path as string,
    manifestSha256: row.manifest_sha256 as string,
    tenantId: row.tenant_id as string,
    processId: row.process_id as string,
    chainId: row.chain_id as string,
    packetCount: Number(row.packet_count),
    step: row.step as RunStep,
    ...optional("chainscriptCid", row.chainscript_cid, String),
    ...optional("chainHash", row.chain_hash, (v) => v as Hex),
    ...optional("anchor", row.anchor, (v) => anchorFromText(v as string)),
    ...optional("signature", row.signature, (v) => v as Hex),
    ...optional("submissionId", row.submission_id, String),
  };
}

export type NewRun = Omit<RunRecord, "step" | "chainscriptCid" | "chainHash" | "anchor" | "signature">;

/** The run recorded under `run.runKey`, created (step `registered`) if there is none. */
export async function findOrCreateRun(db: Database, run: NewRun): Promise<{ run: RunRecord; created: boolean }> {
  const inserted = await db.query(
    `insert into pop_anchor_run (run_key, evm_chain_id, registry, manifest_path, manifest_sha256, tenant_id,
       process_id, chain_id, packet_count, step)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'registered') on conflict (run_key) do nothing returning run_key`,
    [
      run.runKey,
      run.evmChainId,
      run.registry,
      run.manifestPath,
      run.manifestSha256,
      run.tenantId,
      run.processId,
      run.chainId,
      run.packetCount,
    ],
  );
  return { run: await readRun(db, run.runKey), created: inserted.length === 1 };
}

export async function readRun(sql: Sql, runKey: string): Promise<RunRecord> {
  const [row] = await sql.query(`select ${RUN_COLUMNS} from pop_anchor_run where run_key = $1`, [runKey]);
  if (row === undefined) throw new StateConflictError(`Run ${runKey} is not recorded.`);
  return runFromRow(row);
}

/** Moves a run from `from` to `to`, setting `fields` (column → value) too; refuses if it is no longer at `from`. */
export async function advance(
  sql: Sql,
  runKey: string,
  from: readonly RunStep[],
  to: RunStep,
  fields: Record<string, unknown> = {},
): Promise<void> {
  const names = Object.keys(fields);
  const sets = names.map((name, i) => `, ${name} = $${i + 4}`).join("");
  const rows = await sql.query(
    `update pop_anchor_run set step = $2, updated_at = now()${sets}
     where run_key = $1 and step = any($3::text[]) returning run_key`,
    [runKey, to, from, ...Object.values(fields)],
  );
  if (rows.length !== 1)
    throw new StateConflictError(`Run ${runKey} is no longer at step ${from.join(" or ")}: another process moved it.`, {
      details: "Run pop anchor again once the other process has finished.",
    });
}

export async function readPackets(db: Database, runKey: string): Promise<PacketRecord[]> {
  const rows = await db.query(
    "select sequence, stage_id, cid, bytes from pop_anchor_packet where run_key = $1 order by sequence",
    [runKey],
  );
  return rows.map((row) => ({
    sequence: Number(row.sequence),
    stageId: row.stage_id as string,
    cid: row.cid as string,
    bytes: toBytes(row.bytes),
  }));
}

/** The packets' CIDs in sequence order, without their bytes. */
export async function readPacketCids(db: Database, runKey: string): Promise<string[]> {
  const rows = await db.query("select cid from pop_anchor_packet where run_key = $1 order by sequence", [runKey]);
  return rows.map((row) => row.cid as string);
}

/** The run's recorded chainscript, read only where its bytes are needed (storage). */
export async function readChainscript(db: Database, runKey: string): Promise<Uint8Array | undefined> {
  const [row] = await db.query("select chainscript from pop_anchor_run where run_key = $1", [runKey]);
  return row?.chainscript === null || row?.chainscript === undefined ? undefined : toBytes(row.chainscript);
}

export async function countPackets(db: Database, runKey: string): Promise<number> {
  const [row] = await db.query("select count(*)::integer as n from pop_anchor_packet where run_key = $1", [runKey]);
  return Number(row?.n ?? 0);
}

/** Records a chunk of packets in one transaction; the chunk that completes the run also moves it to `packets`. */
export async function recordPackets(
  db: Database,
  run: RunRecord,
  packets: readonly PacketRecord[],
  complete: boolean,
): Promise<void> {
  await db.transaction(async (sql) => {
    // One statement per chunk: unnest takes the columns as arrays.
    const inserted = await sql.query(
      `insert into pop_anchor_packet (run_key, sequence, stage_id, cid, bytes)
       select $1, * from unnest($2::integer[], $3::text[], $4::text[], $5::bytea[])
       on conflict do nothing returning sequence`,
      [
        run.runKey,
        packets.map((p) => p.sequence),
        packets.map((p) => p.stageId),
        packets.map((p) => p.cid),
        packets.map((p) => p.bytes),
      ],
    );
    if (inserted.length !== packets.length)
      throw new StateConflictError(`Run ${run.runKey}: another process is creating the same packets.`, {
        details: "Run pop anchor again once the other process has finished.",
      });
    if (complete) await advance(sql, run.runKey, ["registered"], "packets");
  });
}

export function recordChainscript(
  db: Database,
  runKey: string,
  chain: { bytes: Uint8Array; cid: string; chainHash: Hex },
): Promise<void> {
  return advance(db, runKey, ["packets"], "chained", {
    chainscript: chain.bytes,
    chainscript_cid: chain.cid,
    chain_hash: chain.chainHash,
  });
}

export function recordStored(db: Database, runKey: string): Promise<void> {
  return advance(db, runKey, ["chained"], "stored");
}

/** Records the signed anchor; a run already signed (its signature about to expire) may be signed again. */
export function recordSigned(db: Database, runKey: string, anchor: AnchorMessage, signature: Hex): Promise<void> {
  return advance(db, runKey, ["stored", "signed"], "signed", { anchor: anchorToText(anchor), signature });
}

export function recordDone(db: Database, runKey: string): Promise<void> {
  return advance(db, runKey, ["confirmed", "done"], "done");
}

/**
 * Allocates the sender's next nonce and records a submission of `runKeys` with
 * its first attempt (`sign` signs the transaction at that nonce), moving the
 * runs to `submitted`, all in one transaction (the engine's recordSubmission,
 * which says how the nonce is chosen): from here on a re-run looks the
 * transaction up instead of sending another.
 */
export function recordSubmission(
  db: Database,
  submission: { evmChainId: number; registry: Address; sender: Address; chainNonce: number },
  sign: (nonce: number) => Promise<NewAttempt>,
  runKeys: readonly string[],
): Promise<{ id: string; nonce: number; attempt: NewAttempt }> {
  const { registry, ...rest } = submission;
  return recordEngineSubmission(db, { purpose: "anchor", contract: registry, ...rest }, sign, async (sql, id) => {
    for (const runKey of runKeys) await advance(sql, runKey, ["signed"], "submitted", { submission_id: id });
  });
}

/** The runs of a confirmed submission move to `confirmed` (in the engine's confirming transaction). */
export async function confirmRunsIn(sql: Sql, submissionId: string): Promise<void> {
  await sql.query(
    "update pop_anchor_run set step = 'confirmed', updated_at = now() where submission_id = $1 and step = 'submitted'",
    [submissionId],
  );
}

/**
 * A submission that will never anchor (reverted, or its nonce taken by another
 * transaction), released inside the caller's database transaction: its runs go
 * back to `signed`, to be submitted anew.
 */
export async function releaseSubmissionIn(
  sql: Sql,
  submissionId: string,
  status: "reverted" | "dropped",
  txHash?: Hex,
): Promise<void> {
  await releaseEngineSubmissionIn(sql, submissionId, status, txHash);
  await releaseRunsIn(sql, submissionId);
}

/** The runs of a released submission go back to `signed` (in the engine's releasing transaction). */
export async function releaseRunsIn(sql: Sql, submissionId: string): Promise<void> {
  await sql.query(
    `update pop_anchor_run set step = 'signed', submission_id = null, updated_at = now()
     where submission_id = $1 and step = 'submitted'`,
    [submissionId],
  );
}

export async function readSubmission(db: Database, id: string): Promise<SubmissionRecord> {
  const submission = await readEngineSubmission(db, id);
  const [row] = await db.query("select anchors from pop_anchor_submission where id = $1", [id]);
  return {
    ...submission,
    registry: submission.contract,
    ...(row?.anchors === null || row?.anchors === undefined ? {} : { anchors: Number(row.anchors) }),
  };
}

/** Every run a submission carries. */
export async function runsOfSubmission(db: Database, submissionId: string): Promise<RunRecord[]> {
  const rows = await db.query(`select ${RUN_COLUMNS} from pop_anchor_run where submission_id = $1 order by run_key`, [
    submissionId,
  ]);
  return rows.map(runFromRow);
}
