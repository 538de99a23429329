/**
 * Where a job's packets were anchored on Base, for its artifact: the one read the artifact makes of the
 * service's anchoring (src/jobs/service/jobAnchor.ts). A job in a batch whose transaction is not mined
 * yet has no anchor to prove anything with, so it counts as not anchored.
 */
import type { Sql } from "../../db/database.ts";
import { jobAnchor } from "../service/jobAnchor.ts";
import type { ArtifactAnchor } from "./format.ts";

/** Looks up a job's Base anchor: null while it has none. */
export type JobAnchorLookup = (sql: Sql, jobId: string) => Promise<ArtifactAnchor | null>;

const CHAIN_NAMES: Readonly<Record<number, string>> = {
  8453: "Base",
  84532: "Base Sepolia",
  31337: "Base (local stand-in)",
};

/** The service's lookup: the job's mined anchor from the anchoring tables, or null. */
export const readJobAnchor: JobAnchorLookup = async (sql, jobId) => {
  const anchor = await jobAnchor(sql, jobId);
  if (anchor === undefined || anchor.status === "pending") return null;
  if (anchor.txHash === null || anchor.blockNumber === null || anchor.chainscriptCid === null) return null;
  return {
    chain: { id: anchor.evmChainId, name: CHAIN_NAMES[anchor.evmChainId] ?? `EVM chain ${anchor.evmChainId}` },
    registry: anchor.registry,
    txHash: anchor.txHash,
    blockNumber: anchor.blockNumber,
    tenantId: anchor.tenantId,
    chainId: anchor.chainId,
    chainscriptCid: anchor.chainscriptCid,
  };
};
