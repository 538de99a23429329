/** An event's row as the answer of every route: the receipt. */
import type { JobEventType } from "../commitData.ts";
import type { Receipt } from "./schemas.ts";

/** `gpu-job-{jobId}-{eventType}`: unique in the database, and the committer's idempotency key. */
export function idempotencyKey(jobId: string, eventType: JobEventType): string {
  return `gpu-job-${jobId}-${eventType}`;
}

/** The columns of `pop_jobs_event` a receipt is made of. */
export const RECEIPT_COLUMNS = `job_id, event_type, idempotency_key, packet_cid, packet_hash, status, created_at,
  committer, nid, nid_matches_cid, tx_hash, block_number, explorer_url, committed_at, last_error`;

export interface ReceiptRow {
  job_id: string;
  event_type: JobEventType;
  idempotency_key: string;
  packet_cid: string;
  packet_hash: string;
  status: Receipt["status"];
  created_at: Date | string;
  committer: string | null;
  nid: string | null;
  nid_matches_cid: boolean | null;
  tx_hash: string | null;
  block_number: string | number | bigint | null;
  explorer_url: string | null;
  committed_at: Date | string | null;
  last_error: string | null;
  [column: string]: unknown;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

export function receiptOf(row: ReceiptRow): Receipt {
  return {
    jobId: row.job_id,
    eventType: row.event_type,
    idempotencyKey: row.idempotency_key,
    packetCid: row.packet_cid,
    // Until a committer answers, the NID is the CID computed here (the Capture API may answer another).
    nid: row.nid ?? row.packet_cid,
    packetHash: row.packet_hash,
    status: row.status,
    recordedAt: iso(row.created_at) as string,
    commit:
      row.committer === null
        ? null
        : {
            committer: row.committer,
            nidMatchesCid: row.nid_matches_cid ?? true,
            txHash: row.tx_hash,
            blockNumber: row.block_number === null ? null : String(row.block_number),
            explorerUrl: row.explorer_url,
            committedAt: iso(row.committed_at),
          },
    lastError: row.last_error,
  };
}
