/**
 * The JSON the REST routes answer with, built from indexed rows. Pure: every
 * bigint becomes a decimal string, times are given both as the chain or
 * packet gives them and as ISO 8601, and string ids (tenant name, chain UUID)
 * are shown only when they hash to the on-chain id they stand for.
 */
import type { Hex } from "viem";
import { toOnchainId } from "../../../src/anchor/ids.ts";
import type { anchor, commit, entry } from "../../ponder.schema.ts";
import { tokenIdHex } from "./params.ts";

export type AnchorRow = typeof anchor.$inferSelect;
/** An anchor without its verification report, for answers that do not show it. */
export type AnchorSummary = Omit<AnchorRow, "report">;
export type EntryRow = typeof entry.$inferSelect;
export type CommitRow = typeof commit.$inferSelect;

/** `candidate` when keccak256 of it is `id` (so a chainscript cannot name another tenant or chain); else null. */
export function nameFor(id: Hex, candidate: string | null | undefined): string | null {
  if (candidate === null || candidate === undefined) return null;
  return toOnchainId(candidate) === id.toLowerCase() ? candidate : null;
}

/** Unix seconds (a block time) as ISO 8601. */
export function secondsIso(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString();
}

/** Milliseconds since the epoch (a packet time) as ISO 8601. */
export function millisIso(ms: bigint): string {
  return new Date(Number(ms)).toISOString();
}

export function tenantView(tenantId: Hex, name: string | null | undefined) {
  return { id: tenantId, name: nameFor(tenantId, name) };
}

/** The anchored run: tenant, chain ids and what its chainscript says (null until it is resolved). */
export function chainView(row: AnchorSummary) {
  return {
    anchorId: row.id,
    tenant: tenantView(row.tenantId, row.tenantName),
    id: row.chainId,
    uuid: nameFor(row.chainId, row.chainUuid),
    processId: row.processId,
    chainHash: row.chainHash,
    chainscriptCid: row.ipfsCid,
    entryCount: row.entryCount,
  };
}

/** The anchoring transaction on Base. */
export function anchorTxView(row: AnchorSummary, evmChainId: number) {
  return {
    evmChainId,
    blockNumber: row.blockNumber.toString(),
    transactionHash: row.transactionHash,
    logIndex: row.logIndex,
    timestamp: row.timestamp.toString(),
    time: secondsIso(row.timestamp),
    submitter: row.submitter,
    signer: row.signer,
  };
}

export function verificationSummary(row: AnchorSummary) {
  return { status: row.status, failedCheck: row.failedCheck };
}

/** The path of a certificate's ERC-1155 metadata on this API. */
export function metadataPath(certificateId: bigint): string {
  return `/metadata/${tokenIdHex(certificateId)}.json`;
}

/** GET /api/anchors/:tenant/:chainId */
export function anchorDetailView(row: AnchorRow, evmChainId: number) {
  return {
    chain: chainView(row),
    anchor: { ...anchorTxView(row, evmChainId), sequence: row.sequence },
    certificate: { id: row.certificateId.toString(), metadata: metadataPath(row.certificateId) },
    verification: {
      ...verificationSummary(row),
      attempts: row.attempts,
      verifiedBlock: row.verifiedBlock?.toString() ?? null,
      report: row.report ?? null,
    },
  };
}

/** The facts of one evidence packet, as indexed from it. */
export function packetView(row: EntryRow) {
  return {
    cid: row.packetCid,
    hash: row.packetHash,
    assetHash: row.assetHash,
    assetSize: row.assetSize.toString(),
    mimeType: row.mimeType,
    processId: row.processId,
    modelId: row.modelId,
    deviceClass: row.deviceClass,
    durationMs: row.durationMs.toString(),
    signingKeyId: row.signingKeyId,
    createdAt: row.createdAt.toString(),
    time: millisIso(row.createdAt),
  };
}

/** One place an asset hash was produced: GET /api/assets/:sha256 lists these. */
export function provenanceView(row: { entry: EntryRow; anchor: AnchorSummary }, evmChainId: number) {
  return {
    packet: packetView(row.entry),
    stage: { id: row.entry.stageId, sequence: row.entry.sequence },
    chain: chainView(row.anchor),
    anchor: anchorTxView(row.anchor, evmChainId),
    verification: verificationSummary(row.anchor),
  };
}
