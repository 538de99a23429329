/**
 * Rows of `pop_numbers_commit` (schema.ts) and the receipts they stand for.
 * Both engines answer `bigint` and `bytea` in their own types; these helpers
 * read either.
 */
import type { Hex } from "viem";
import type { Row, Sql } from "../db/database.ts";
import type { CommitReceipt, CommitterKind } from "./committer.ts";

export interface CommitRow {
  readonly idempotencyKey: string;
  readonly committer: CommitterKind;
  readonly assetCid: string;
  readonly asset: Uint8Array;
  readonly commitData: string;
  readonly status: string;
  readonly nid: string | undefined;
  readonly nidMatches: boolean | undefined;
  readonly txHash: Hex | undefined;
  readonly blockNumber: bigint | undefined;
  readonly explorerUrl: string | undefined;
  readonly lastError: string | undefined;
}

const orUndefined = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);

export function commitRow(row: Row): CommitRow {
  const block = row.block_number;
  return {
    idempotencyKey: row.idempotency_key as string,
    committer: row.committer as CommitterKind,
    assetCid: row.asset_cid as string,
    asset: new Uint8Array(row.asset as Uint8Array),
    commitData: row.commit_data as string,
    status: row.status as string,
    nid: orUndefined(row.nid as string | null),
    nidMatches: orUndefined(row.nid_matches as boolean | null),
    txHash: orUndefined(row.tx_hash as Hex | null),
    blockNumber: block === null || block === undefined ? undefined : BigInt(String(block)),
    explorerUrl: orUndefined(row.explorer_url as string | null),
    lastError: orUndefined(row.last_error as string | null),
  };
}

export async function loadCommitRow(sql: Sql, idempotencyKey: string): Promise<CommitRow | undefined> {
  const [row] = await sql.query("select * from pop_numbers_commit where idempotency_key = $1", [idempotencyKey]);
  return row === undefined ? undefined : commitRow(row);
}

/** The receipt of a row whose NID is known (`submitted` or `committed` for the Capture API). */
export function receiptOf(row: CommitRow): CommitReceipt {
  if (row.nid === undefined) throw new Error(`The commit for ${row.idempotencyKey} has no NID yet (${row.status}).`);
  return {
    idempotencyKey: row.idempotencyKey,
    committer: row.committer,
    status: row.status === "committed" ? "committed" : "pending",
    assetCid: row.assetCid,
    nid: row.nid,
    nidMatchesCid: row.nidMatches ?? row.nid === row.assetCid,
    ...(row.txHash === undefined ? {} : { txHash: row.txHash }),
    ...(row.blockNumber === undefined ? {} : { blockNumber: row.blockNumber }),
    ...(row.explorerUrl === undefined ? {} : { explorerUrl: row.explorerUrl }),
  };
}

/**
 * The sentence a caller shows when Numbers knows the packet by another NID
 * than its CID; undefined when they agree. Proofs that look the packet up by
 * its CID will not find the Numbers asset under it.
 */
export function nidMismatchWarning(receipt: CommitReceipt): string | undefined {
  if (receipt.nidMatchesCid) return undefined;
  return `Numbers registered the packet for ${receipt.idempotencyKey} under the NID ${receipt.nid}, not under its CID ${receipt.assetCid}: look it up on Numbers by that NID, and do not take the NID for the packet's CID.`;
}
