/**
 * The reads the REST routes make, as one interface: the routes' logic runs
 * against any implementation (the tests give it rows), and createStore runs
 * these reads on Ponder's read-only database.
 */
import { and, asc, count, eq, inArray, isNotNull, type ReadonlyDrizzle, sql } from "ponder";
import type { Hex } from "viem";
import type * as Schema from "../../ponder.schema.ts";
import type { AnchorRow, AnchorSummary, CommitRow, EntryRow } from "./views.ts";

export type Status = (typeof Schema.verificationStatus.enumValues)[number];
export type TenantRow = typeof Schema.tenant.$inferSelect;

export interface Store {
  anchor(id: string): Promise<AnchorRow | undefined>;
  tenant(id: Hex): Promise<TenantRow | undefined>;
  /** String ids the tenant's chainscripts give (to show a tenant named by its on-chain id); a few at most. */
  tenantNames(id: Hex): Promise<string[]>;
  /** Indexed anchors of a tenant by verification status. */
  anchorCounts(tenantId: Hex): Promise<Record<Status, number>>;
  /** Packets whose output is the asset, with their anchors, in anchoring order: the first `limit`. */
  assetEntries(assetHash: Hex, limit: number): Promise<{ entry: EntryRow; anchor: AnchorSummary }[]>;
  /** Numbers commits naming the job in their commitData, oldest first (time, block, log): the first `limit`. */
  jobCommits(jobId: string, limit: number): Promise<CommitRow[]>;
  /**
   * For each of these CIDs, and each of these hashes, the first packet (oldest anchor) with it, with its
   * anchor: one row each at most, however many anchors repeat a packet.
   */
  packets(cids: readonly string[], hashes: readonly Hex[]): Promise<{ entry: EntryRow; anchor: AnchorSummary }[]>;
  anchorByCertificate(id: bigint): Promise<AnchorRow | undefined>;
}

export function createStore(db: ReadonlyDrizzle<typeof Schema>, schema: typeof Schema): Store {
  const { anchor, commit, entry, tenant } = schema;
  // Answers that list anchors show their summaries: a report is kilobytes of JSON an anchor.
  const anchorSummary = anchorSummaryColumns(anchor);
  const anchoringOrder = [asc(anchor.blockNumber), asc(anchor.logIndex), asc(entry.sequence)] as const;
  // The asset-provenance query, the API's busiest, built once: building a join's SQL with drizzle costs as
  // much as running it, and on Postgres the named statement is also parsed and planned once per connection.
  const assetEntries = db
    .select({ entry, anchor: anchorSummary })
    .from(entry)
    .innerJoin(anchor, eq(entry.anchorId, anchor.id))
    .where(eq(entry.assetHash, sql.placeholder("assetHash")))
    .orderBy(...anchoringOrder)
    .limit(sql.placeholder("limit"))
    .prepare("pop_asset_entries");
  // Nothing stops a chainscript from listing packets another already lists, so a packet may sit under any
  // number of anchors: DISTINCT ON keeps the oldest, and a job's timeline reads one row per packet it names.
  const firstPackets = (column: typeof entry.packetCid | typeof entry.packetHash, values: readonly string[]) =>
    db
      .selectDistinctOn([column], { entry, anchor: anchorSummary })
      .from(entry)
      .innerJoin(anchor, eq(entry.anchorId, anchor.id))
      .where(inArray(column, [...values]))
      .orderBy(asc(column), ...anchoringOrder);
  return {
    async anchor(id) {
      const [row] = await db.select().from(anchor).where(eq(anchor.id, id)).limit(1);
      return row;
    },
    async tenant(id) {
      const [row] = await db.select().from(tenant).where(eq(tenant.id, id)).limit(1);
      return row;
    },
    async tenantNames(id) {
      const rows = await db
        .selectDistinct({ name: anchor.tenantName })
        .from(anchor)
        .where(and(eq(anchor.tenantId, id), isNotNull(anchor.tenantName)))
        .limit(4);
      return rows.flatMap((row) => (row.name === null ? [] : [row.name]));
    },
    async anchorCounts(tenantId) {
      const rows = await db
        .select({ status: anchor.status, n: count() })
        .from(anchor)
        .where(eq(anchor.tenantId, tenantId))
        .groupBy(anchor.status);
      const counts: Record<Status, number> = { valid: 0, invalid: 0, unresolved: 0, pending: 0 };
      for (const row of rows) counts[row.status] = Number(row.n);
      return counts;
    },
    async assetEntries(assetHash, limit) {
      return assetEntries.execute({ assetHash, limit });
    },
    async jobCommits(jobId, limit) {
      return db
        .select()
        .from(commit)
        .where(eq(commit.jobId, jobId))
        .orderBy(asc(commit.timestamp), asc(commit.blockNumber), asc(commit.logIndex))
        .limit(limit);
    },
    async packets(cids, hashes) {
      const [byCid, byHash] = await Promise.all([
        cids.length > 0 ? firstPackets(entry.packetCid, cids) : [],
        hashes.length > 0 ? firstPackets(entry.packetHash, hashes) : [],
      ]);
      return [...byCid, ...byHash];
    },
    async anchorByCertificate(id) {
      const [row] = await db.select().from(anchor).where(eq(anchor.certificateId, id)).limit(1);
      return row;
    },
  };
}

/** Every column of the anchor table but the report (kilobytes of JSON an anchor). */
function anchorSummaryColumns(anchor: typeof Schema.anchor) {
  return {
    id: anchor.id,
    tenantId: anchor.tenantId,
    chainId: anchor.chainId,
    chainHash: anchor.chainHash,
    ipfsCid: anchor.ipfsCid,
    timestamp: anchor.timestamp,
    blockNumber: anchor.blockNumber,
    transactionHash: anchor.transactionHash,
    logIndex: anchor.logIndex,
    submitter: anchor.submitter,
    signer: anchor.signer,
    certificateId: anchor.certificateId,
    sequence: anchor.sequence,
    tenantName: anchor.tenantName,
    chainUuid: anchor.chainUuid,
    processId: anchor.processId,
    entryCount: anchor.entryCount,
    status: anchor.status,
    failedCheck: anchor.failedCheck,
    attempts: anchor.attempts,
    verifiedBlock: anchor.verifiedBlock,
  } satisfies Record<keyof AnchorSummary, unknown>;
}
