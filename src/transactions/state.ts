/**
 * The transaction engine's durable state: one submission per transaction (one
 * sender, one nonce, one contract call), each of its attempts (the first and
 * every fee bump) recorded, signed, before it is broadcast, so that a re-run
 * can always look up what may already be on the way. The tables were born with
 * the anchoring pipeline and keep its names and migration namespace
 * (schema.ts), so existing state directories keep working; `purpose` says
 * whose submission a row is. Numbers wider than 2^53 travel as text.
 */
import type { Address, Hex } from "viem";
import type { Database, Sql } from "../db/database.ts";
import { BaseError } from "../errors.ts";
import type { MinedTransaction } from "./chainReads.ts";

/** Who sent a submission: the anchoring pipeline, or the direct Numbers committer. */
export type SubmissionPurpose = "anchor" | "numbers-commit";

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

/** `found`: a transaction not sent from here that did what a submission of ours meant to do (anchoring: decision 014). */
export type SubmissionStatus = "pending" | "confirmed" | "reverted" | "dropped" | "found";

export interface SubmissionRecord {
  readonly id: string;
  readonly purpose: SubmissionPurpose;
  readonly evmChainId: number;
  /** The contract called (the anchor registry, the commit contract). */
  readonly contract: Address;
  readonly sender: Address;
  readonly nonce: number;
  readonly status: SubmissionStatus;
  readonly txHash?: Hex;
  readonly blockNumber?: bigint;
  readonly gasUsed?: bigint;
  readonly fee?: bigint;
  /** Oldest first; none for a `found` transaction. */
  readonly attempts: readonly AttemptRecord[];
}

export interface NewAttempt {
  readonly hash: Hex;
  readonly raw: Hex;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

/** The state changed under this process: another process works on the same thing. */
export class StateConflictError extends BaseError {
  override name = "StateConflictError";
}

/** Runs inside the database transaction of a state change, so the caller's own rows change with it or not at all. */
export type InTransaction = (sql: Sql, submissionId: string) => Promise<void>;

/**
 * Allocates the sender's next nonce and records a submission with its first
 * attempt (`sign` signs the transaction at that nonce), and whatever
 * `onRecorded` records with it, all in one transaction: from here on a re-run
 * looks the transaction up instead of sending another. The nonce is the larger
 * of the chain's pending count and one past this database's pending
 * submissions of the sender (whatever their purpose), under an advisory lock,
 * so two processes sending from one account on one server never take the same
 * nonce. `onRecorded` throwing (another process got there first) rolls it all
 * back: nothing is recorded, nothing will be broadcast.
 */
export async function recordSubmission(
  db: Database,
  submission: {
    purpose: SubmissionPurpose;
    evmChainId: number;
    contract: Address;
    sender: Address;
    chainNonce: number;
  },
  sign: (nonce: number) => Promise<NewAttempt>,
  onRecorded?: InTransaction,
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
      `insert into pop_anchor_submission (purpose, evm_chain_id, registry, sender, nonce, status)
       values ($1, $2, $3, $4, $5, 'pending') returning id::text as id`,
      [submission.purpose, submission.evmChainId, submission.contract, submission.sender, nonce],
    );
    const id = row?.id as string;
    await insertAttempt(sql, id, 1, attempt);
    await onRecorded?.(sql, id);
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

/** The mined transaction: the submission is confirmed, with whatever `onConfirmed` records. */
export async function recordConfirmed(
  db: Database,
  submissionId: string,
  mined: MinedTransaction,
  onConfirmed?: InTransaction,
): Promise<void> {
  await db.transaction(async (sql) => {
    await sql.query(
      `update pop_anchor_submission set status = 'confirmed', tx_hash = $2, block_number = $3, gas_used = $4, fee = $5
       where id = $1`,
      [submissionId, mined.txHash, mined.blockNumber.toString(), mined.gasUsed.toString(), mined.fee.toString()],
    );
    await onConfirmed?.(sql, submissionId);
  });
}

/** A submission that will never do its work (reverted, or its nonce taken by another transaction). */
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
}

export async function readSubmission(db: Database, id: string): Promise<SubmissionRecord> {
  const [row] = await db.query(
    `select id::text as id, purpose, evm_chain_id, registry, sender, nonce::text as nonce, status, tx_hash,
       block_number::text as block_number, gas_used::text as gas_used, fee::text as fee
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
  };
  return {
    id: row.id as string,
    purpose: row.purpose as SubmissionPurpose,
    evmChainId: Number(row.evm_chain_id),
    contract: row.registry as Address,
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
