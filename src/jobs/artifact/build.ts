/**
 * Builds a job's artifact from the receipts service's database: the job's
 * event rows (signed packets, CIDs, hashes, Numbers receipts) and its Base
 * anchor, summarised from the packets and signed with the tenant's key.
 */
import { fromBase64Url, toBase64Url } from "../../bytes.ts";
import type { Sql } from "../../db/database.ts";
import { decodePacket } from "../../evidence/codec.ts";
import type { Signer } from "../../keys/signer.ts";
import { ownJob } from "../service/queries.ts";
import type { ReceiptRow } from "../service/receipts.ts";
import { type JobAnchorLookup, readJobAnchor } from "./anchor.ts";
import { ARTIFACT_FORMAT, type ArtifactAnchor, type ArtifactPacket, type JobArtifact } from "./format.ts";
import { signArtifact } from "./sign.ts";
import { summarizeJobPackets } from "./summary.ts";

/** The receipt's columns the artifact carries, with the packet itself. */
type EventRow = Pick<
  ReceiptRow,
  | "event_type"
  | "packet_cid"
  | "packet_hash"
  | "status"
  | "committer"
  | "nid"
  | "nid_matches_cid"
  | "tx_hash"
  | "block_number"
  | "explorer_url"
> & { packet: Uint8Array; [column: string]: unknown };

export interface BuildArtifactParameters {
  readonly tenantId: string;
  readonly jobId: string;
  /** The tenant's key: the packets were signed with it, and so is the artifact. */
  readonly signer: Signer;
  /** Milliseconds since the epoch: the artifact's `issuedAt`. */
  readonly now: number;
  /** Default {@link readJobAnchor}. */
  readonly anchor?: JobAnchorLookup;
}

function packetOf(row: EventRow): ArtifactPacket {
  const committed = row.status === "committed";
  const nid = row.nid ?? row.packet_cid;
  return {
    eventType: row.event_type,
    cid: row.packet_cid,
    packetHash: row.packet_hash,
    // pg answers bytea as a Buffer: copy into a plain Uint8Array for the portable encoder.
    bytes: toBase64Url(new Uint8Array(row.packet)),
    numbers: {
      status: committed ? "committed" : "pending",
      nid,
      nidMatchesCid: row.nid_matches_cid ?? nid === row.packet_cid,
      committer: row.committer,
      txHash: committed ? (row.tx_hash?.toLowerCase() ?? null) : null,
      blockNumber: committed && row.block_number !== null ? String(row.block_number) : null,
      explorerUrl: committed ? row.explorer_url : null,
    },
  };
}

/**
 * The signed artifact of a job of `tenantId`.
 *
 * @example
 * const artifact = await buildJobArtifact(db, { tenantId: "fleet-north", jobId, signer, now: Date.now() });
 * @throws {ServiceError} 404 for an unknown job, 403 for another tenant's.
 */
export async function buildJobArtifact(sql: Sql, parameters: BuildArtifactParameters): Promise<JobArtifact> {
  const { tenantId, jobId } = parameters;
  await ownJob(sql, tenantId, jobId);
  const rows = await sql.query<EventRow>(
    `select event_type, packet, packet_cid, packet_hash, status, committer, nid, nid_matches_cid, tx_hash,
            block_number, explorer_url
     from pop_jobs_event where job_id = $1
     order by case event_type when 'JobSubmitted' then 0 else 1 end`,
    [jobId],
  );
  const anchor = await (parameters.anchor ?? readJobAnchor)(sql, jobId);
  return assembleArtifact({ packets: rows.map(packetOf), anchor, signer: parameters.signer, now: parameters.now });
}

export interface AssembleArtifactParameters {
  /** The JobSubmitted packet, then the JobCompleted one once recorded. */
  readonly packets: readonly ArtifactPacket[];
  readonly anchor: ArtifactAnchor | null;
  readonly signer: Signer;
  readonly now: number;
}

/** Summarises the packets into `job` and `results` and signs the whole. */
export function assembleArtifact(parameters: AssembleArtifactParameters): Promise<JobArtifact> {
  const { packets, anchor } = parameters;
  const { job, results } = summarizeJobPackets(
    packets.map((packet) => decodePacket(fromBase64Url(packet.bytes) as Uint8Array).packet),
  );
  return signArtifact(
    {
      format: ARTIFACT_FORMAT,
      issuedAt: new Date(parameters.now).toISOString(),
      job,
      results,
      proof: { packets: [...packets], anchor },
    },
    parameters.signer,
  );
}
