/**
 * Durable record of anchors found in the registry: runs whose anchor a
 * transaction not sent from here put there (a relayer that submitted the
 * signed anchor first, another process), see decision 014. Such a transaction
 * is a submission with status `found` and no attempts, shared by every run it
 * anchored; the runs move to `confirmed` and finish like runs of our own.
 */
import type { Address, Hex } from "viem";
import type { Database, Sql } from "../../db/database.ts";
import type { MinedAnchor } from "./chainReads.ts";
import { advance, releaseSubmissionIn, StateConflictError } from "./state.ts";

/** The transaction that anchored a run, as its receipt tells. */
export interface FoundTransaction extends MinedAnchor {
  /** Who sent (and paid for) it. */
  readonly sender: Address;
  readonly nonce: number;
  /** How many chains it anchored in the registry. */
  readonly anchors: number;
}

export interface FoundAnchor {
  readonly runKey: string;
  readonly transaction: FoundTransaction;
}

/** A submission of ours that can no longer anchor its runs, released in the same database transaction. */
export interface Release {
  readonly submissionId: string;
  readonly status: "reverted" | "dropped";
  readonly txHash?: Hex;
}

async function foundSubmission(
  sql: Sql,
  network: { evmChainId: number; registry: Address },
  transaction: FoundTransaction,
): Promise<string> {
  const values = [
    network.evmChainId,
    network.registry,
    transaction.sender,
    transaction.nonce,
    transaction.txHash,
    transaction.blockNumber.toString(),
    transaction.gasUsed.toString(),
    transaction.fee.toString(),
    transaction.anchors,
  ];
  const [inserted] = await sql.query(
    `insert into pop_anchor_submission
       (evm_chain_id, registry, sender, nonce, status, tx_hash, block_number, gas_used, fee, anchors)
     values ($1, $2, $3, $4, 'found', $5, $6, $7, $8, $9)
     on conflict (evm_chain_id, tx_hash) where status = 'found' do nothing
     returning id::text as id`,
    values,
  );
  if (inserted !== undefined) return inserted.id as string;
  // Another run anchored by the same transaction was recorded first (a batch relayed as a whole).
  const [existing] = await sql.query(
    "select id::text as id from pop_anchor_submission where evm_chain_id = $1 and tx_hash = $2 and status = 'found'",
    [network.evmChainId, transaction.txHash],
  );
  if (existing === undefined)
    throw new StateConflictError(`Found transaction ${transaction.txHash} is neither recorded nor recordable.`);
  return existing.id as string;
}

/**
 * Records each run as anchored by its found transaction (the run moves from
 * `signed` or `submitted` to `confirmed`), and releases `release` in the same
 * database transaction: a crash leaves both recorded or neither, so a re-run
 * never sees a submission whose runs are half taken away.
 */
export async function recordFound(
  db: Database,
  network: { evmChainId: number; registry: Address },
  found: readonly FoundAnchor[],
  release?: Release,
): Promise<void> {
  await db.transaction(async (sql) => {
    for (const { runKey, transaction } of found) {
      const id = await foundSubmission(sql, network, transaction);
      await advance(sql, runKey, ["signed", "submitted"], "confirmed", { submission_id: id });
    }
    if (release !== undefined) await releaseSubmissionIn(sql, release.submissionId, release.status, release.txHash);
  });
}

/** Whether `hash` is one of the transactions this database signed (any submission, any attempt). */
export async function isOwnTransaction(db: Database, hash: Hex): Promise<boolean> {
  const rows = await db.query("select 1 from pop_anchor_attempt where hash = $1", [hash]);
  return rows.length > 0;
}
