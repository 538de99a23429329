/**
 * Reads and writes of the pipeline's durable state (schema.ts). Every write
 * that moves a run on checks the step it moves from, so two processes racing
 * on one run cannot both take a step; numbers wider than 2^53 travel as text.
 */
import type { Address, Hex } from "viem";
import type { Database, Sql } from "../../db/database.ts";
import { BaseError } from "../../errors.ts";
import type { AnchorMessage } from "../eip712.ts";

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

export interface AttemptRecord {
  readonly attempt: number;
  readonly hash: Hex;
  /** The signed transaction, ready to broadcast again. */
  readonly raw: Hex;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly createdAt: Date;
  readonly sent: boolean;
}

/** `found`: a transaction not sent from here that anchored runs of ours (see foundState.ts). */
export type SubmissionStatus = "pending" | "confirmed" | "reverted" | "dropped" | "found";

export interface SubmissionRecord {
  readonly id: string;
  readonly evmChainId: number;
  readonly registry: Address;
  readonly sender: Address;
  readonly nonce: number;
  readonly status: SubmissionStatus;
  readonly txHash?: Hex;
  readonly blockNumber?: bigint;
  readonly gasUsed?: bigint;
  readonly fee?: bigint;
  /** How many chains a `found` transaction anchored (for our own: the runs it carries). */
  readonly anchors?: number;
  /** Oldest first; none for a `found` transaction. */
  readonly attempts: readonly AttemptRecord[];
}

/** The state changed under this process: another process works on the same run. */
export class StateConflictError extends BaseError {
  override name = "StateConflictError";
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

export interface NewAttempt {
  readonly hash: Hex;
  readonly raw: Hex;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

/**
 * Allocates the sender's next nonce and records a submission of `runKeys` with
 * its first attempt (`sign` signs the transaction at that nonce), moving the
 * runs to `submitted`, all in one transaction: from here on a re-run looks the
 * transaction up instead of sending another. The nonce is the larger of the
 * chain's pending count and one past this database's pending submissions of
 * the sender, under a lock, so two processes sending from one account on one
 * server never take the same nonce.
 */
export async function recordSubmission(
  db: Database,
  submission: { evmChainId: number; registry: Address; sender: Address; chainNonce: number },
  sign: (nonce: number) => Promise<NewAttempt>,
  runKeys: readonly string[],
): Promise<{ id: string; nonce: number; attempt: NewAttempt }> {
  return db.transaction(async (sql) => {
    await sql.query("select pg_advisory_xact_lock(hashtext($1))", [
      `pop-nonce:${submission.evmChainId}:${submission.sender}`,
    ]);
    const [pending] = await sql.query(
      `select max(nonce)::text as nonce from pop_anchor_submission
       where evm_chain_id = $1 and sender = $2 and status = 'pending'`,
      [submission.evmChainId, submission.sender],
    );
    const ours = pending?.nonce === null || pending?.nonce === undefined ? -1 : Number(pending.nonce);
    const nonce = Math.max(submission.chainNonce, ours + 1);
    const attempt = await sign(nonce);
    const [row] = await sql.query(
      `insert into pop_anchor_submission (evm_chain_id, registry, sender, nonce, status)
       values ($1, $2, $3, $4, 'pending') returning id::text as id`,
      [submission.evmChainId, submission.registry, submission.sender, nonce],
    );
    const id = row?.id as string;
    await insertAttempt(sql, id, 1, attempt);
    for (const runKey of runKeys) await advance(sql, runKey, ["signed"], "submitted", { submission_id: id });
    return { id, nonce, attempt };
  });
}

async function insertAttempt(sql: Sql, submissionId: string, number: number, attempt: NewAttempt) {
  await sql.query(
    `insert into pop_anchor_attempt (submission_id, attempt, hash, raw, max_fee_per_gas, max_priority_fee_per_gas)
     values ($1, $2, $3, $4, $5, $6)`,
    [
      submissionId,
      number,
      attempt.hash,
      attempt.raw,
      attempt.maxFeePerGas.toString(),
      attempt.maxPriorityFeePerGas.toString(),
    ],
  );
}

/** Records a replacement (fee bump) of a pending submission, before it is broadcast. */
export async function recordAttempt(db: Database, submissionId: string, attempt: NewAttempt): Promise<void> {
  await db.transaction(async (sql) => {
    const [row] = await sql.query(
      "select coalesce(max(attempt), 0)::integer as n from pop_anchor_attempt where submission_id = $1",
      [submissionId],
    );
    await insertAttempt(sql, submissionId, Number(row?.n ?? 0) + 1, attempt);
  });
}

export async function recordSent(db: Database, hash: Hex): Promise<void> {
  await db.query("update pop_anchor_attempt set sent_at = coalesce(sent_at, now()) where hash = $1", [hash]);
}

/** The mined transaction: the submission is confirmed and its runs move to `confirmed`. */
export async function recordConfirmed(
  db: Database,
  submissionId: string,
  mined: { txHash: Hex; blockNumber: bigint; gasUsed: bigint; fee: bigint },
): Promise<void> {
  await db.transaction(async (sql) => {
    await sql.query(
      `update pop_anchor_submission set status = 'confirmed', tx_hash = $2, block_number = $3, gas_used = $4, fee = $5
       where id = $1`,
      [submissionId, mined.txHash, mined.blockNumber.toString(), mined.gasUsed.toString(), mined.fee.toString()],
    );
    await sql.query(
      "update pop_anchor_run set step = 'confirmed', updated_at = now() where submission_id = $1 and step = 'submitted'",
      [submissionId],
    );
  });
}

/**
 * A submission that will never anchor (reverted, or its nonce taken by another
 * transaction): its runs go back to `signed`, to be submitted anew.
 */
export async function releaseSubmission(
  db: Database,
  submissionId: string,
  status: "reverted" | "dropped",
  txHash?: Hex,
): Promise<void> {
  await db.transaction((sql) => releaseSubmissionIn(sql, submissionId, status, txHash));
}

/** `releaseSubmission` inside the caller's database transaction. */
export async function releaseSubmissionIn(
  sql: Sql,
  submissionId: string,
  status: "reverted" | "dropped",
  txHash?: Hex,
): Promise<void> {
  await sql.query("update pop_anchor_submission set status = $2, tx_hash = $3 where id = $1", [
    submissionId,
    status,
    txHash ?? null,
  ]);
  await sql.query(
    `update pop_anchor_run set step = 'signed', submission_id = null, updated_at = now()
     where submission_id = $1 and step = 'submitted'`,
    [submissionId],
  );
}

export async function readSubmission(db: Database, id: string): Promise<SubmissionRecord> {
  const [row] = await db.query(
    `select id::text as id, evm_chain_id, registry, sender, nonce::text as nonce, status, tx_hash,
       block_number::text as block_number, gas_used::text as gas_used, fee::text as fee, anchors
     from pop_anchor_submission where id = $1`,
    [id],
  );
  if (row === undefined) throw new StateConflictError(`Submission ${id} is not recorded.`);
  const attempts = await db.query(
    `select attempt, hash, raw, max_fee_per_gas::text as max_fee, max_priority_fee_per_gas::text as max_priority,
       created_at, sent_at from pop_anchor_attempt where submission_id = $1 order by attempt`,
    [id],
  );
  const big = (value: unknown) => (value === null || value === undefined ? undefined : BigInt(value as string));
  const mined = {
    ...(row.tx_hash === null ? {} : { txHash: row.tx_hash as Hex }),
    ...(row.block_number === null ? {} : { blockNumber: big(row.block_number) as bigint }),
    ...(row.gas_used === null ? {} : { gasUsed: big(row.gas_used) as bigint }),
    ...(row.fee === null ? {} : { fee: big(row.fee) as bigint }),
    ...(row.anchors === null ? {} : { anchors: Number(row.anchors) }),
  };
  return {
    id: row.id as string,
    evmChainId: Number(row.evm_chain_id),
    registry: row.registry as Address,
    sender: row.sender as Address,
    nonce: Number(row.nonce),
    status: row.status as SubmissionStatus,
    ...mined,
    attempts: attempts.map((a) => ({
      attempt: Number(a.attempt),
      hash: a.hash as Hex,
      raw: a.raw as Hex,
      maxFeePerGas: BigInt(a.max_fee as string),
      maxPriorityFeePerGas: BigInt(a.max_priority as string),
      createdAt: new Date(a.created_at as string),
      sent: a.sent_at !== null,
    })),
  };
}

/** Every run a submission carries. */
export async function runsOfSubmission(db: Database, submissionId: string): Promise<RunRecord[]> {
  const rows = await db.query(`select ${RUN_COLUMNS} from pop_anchor_run where submission_id = $1 order by run_key`, [
    submissionId,
  ]);
  return rows.map(runFromRow);
}
