/**
 * A job's Base anchor as the service records it (pop_jobs_anchor, written by
 * the anchoring worker, anchoring.ts): what the timeline shows and what a
 * job's artifact carries. One small reader, so every consumer sees the same.
 */
import type { Address, Hex } from "viem";
import type { Sql } from "../../db/database.ts";

/** Explorers of the Base networks (transactions at `/tx/<hash>`, blocks at `/block/<n>`). */
export const BASE_EXPLORERS: Readonly<Record<number, string>> = {
  8453: "https://basescan.org",
  84532: "https://sepolia.basescan.org",
};

/** The explorer base URL for a chain: the configured one, else Basescan on Base networks, else none (local chains). */
export function baseExplorer(evmChainId: number, configured?: string): string | undefined {
  return configured?.replace(/\/+$/, "") ?? BASE_EXPLORERS[evmChainId];
}

export interface JobAnchor {
  /** `pending`: in a batch being prepared or sent; `anchored`: mined; `final`: its block has the configured finality. */
  readonly status: "pending" | "anchored" | "final";
  /** The EVM chain (8453 Base, 84532 Base Sepolia, 31337 the local stand-in) and the registry the anchor is in. */
  readonly evmChainId: number;
  readonly registry: Address;
  readonly tenantId: string;
  /** The chainscript's UUID: with tenantId what `pop verify` and the registry take. */
  readonly chainId: string;
  readonly chainscriptCid: string | null;
  readonly chainHash: Hex | null;
  readonly txHash: Hex | null;
  readonly blockNumber: string | null;
  /** The transaction on the chain's explorer; null where the chain has none configured (local chains). */
  readonly explorerUrl: string | null;
  /** The anchor's block on the explorer, likewise. */
  readonly blockExplorerUrl: string | null;
  readonly anchoredAt: string | null;
  readonly finalAt: string | null;
  /** Why the last attempt to anchor or finalise failed, while it is retried. */
  readonly lastError: string | null;
}

interface AnchorRow {
  status: JobAnchor["status"];
  evm_chain_id: number | string;
  registry: string;
  tenant_id: string;
  chain_id: string;
  chainscript_cid: string | null;
  chain_hash: string | null;
  tx_hash: string | null;
  block_number: string | number | bigint | null;
  explorer: string | null;
  anchored_at: Date | string | null;
  final_at: Date | string | null;
  last_error: string | null;
  [column: string]: unknown;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

function anchorOf(row: AnchorRow): JobAnchor {
  const block = row.block_number === null ? null : String(row.block_number);
  return {
    status: row.status,
    evmChainId: Number(row.evm_chain_id),
    registry: row.registry as Address,
    tenantId: row.tenant_id,
    chainId: row.chain_id,
    chainscriptCid: row.chainscript_cid,
    chainHash: row.chain_hash as Hex | null,
    txHash: row.tx_hash as Hex | null,
    blockNumber: block,
    explorerUrl: row.explorer === null || row.tx_hash === null ? null : `${row.explorer}/tx/${row.tx_hash}`,
    blockExplorerUrl: row.explorer === null || block === null ? null : `${row.explorer}/block/${block}`,
    anchoredAt: iso(row.anchored_at),
    finalAt: iso(row.final_at),
    lastError: row.last_error,
  };
}

/**
 * The Base anchor of `jobId`, or undefined while the job is not in a batch (not completed, its packets not
 * stored yet, or anchoring off).
 *
 * @example
 * const anchor = await jobAnchor(db, jobId);
 * if (anchor?.status === "final") console.log(anchor.evmChainId, anchor.registry, anchor.txHash, anchor.chainId);
 */
export async function jobAnchor(sql: Sql, jobId: string): Promise<JobAnchor | undefined> {
  const [row] = await sql.query<AnchorRow>(
    `select status, evm_chain_id, registry, tenant_id, chain_id, chainscript_cid, chain_hash, tx_hash, block_number,
       explorer, anchored_at, final_at, last_error
     from pop_jobs_anchor where job_id = $1`,
    [jobId],
  );
  return row === undefined ? undefined : anchorOf(row);
}
