/**
 * GET /api/jobs/:jobId/timeline?limit= — a GPU job's Numbers commits (those
 * whose commitData names the job; the oldest `limit`, and whether there were
 * more) and the Base anchors of the packets they commit, oldest first. A commit is joined to its packet by CID (the commit's assetCid
 * is the packet's CID) or, when the CID could not be recovered, by the
 * packetHash its commitData carries.
 */
import type { Hex } from "viem";
import type { ApiDeps } from "./deps.ts";
import { ApiError, parseJobId, parseLimit, quote } from "./params.ts";
import {
  type AnchorSummary,
  anchorTxView,
  type CommitRow,
  chainView,
  type EntryRow,
  secondsIso,
  verificationSummary,
} from "./views.ts";

type Packet = { entry: EntryRow; anchor: AnchorSummary };

interface Sortable {
  readonly order: readonly [bigint, number, bigint, number];
}

function commitEvent(row: CommitRow, packet: Packet | undefined) {
  return {
    kind: "commit" as const,
    evmChainId: row.chainId,
    blockNumber: row.blockNumber.toString(),
    transactionHash: row.transactionHash,
    logIndex: row.logIndex,
    timestamp: row.timestamp.toString(),
    time: secondsIso(row.timestamp),
    recorder: row.recorder,
    eventType: row.eventType,
    assetCid: row.assetCid,
    packetHash: row.packetHash,
    commitDataValid: row.commitDataValid,
    packet:
      packet === undefined
        ? null
        : {
            cid: packet.entry.packetCid,
            hash: packet.entry.packetHash,
            anchorId: packet.anchor.id,
            stage: { id: packet.entry.stageId, sequence: packet.entry.sequence },
            assetHash: packet.entry.assetHash,
          },
  };
}

function anchorEvent(row: AnchorSummary, evmChainId: number) {
  return {
    kind: "anchor" as const,
    ...anchorTxView(row, evmChainId),
    chain: chainView(row),
    verification: verificationSummary(row),
  };
}

/** Oldest first: block time, then commits before anchors (Numbers, then Base), then block and log order. */
function compare(a: Sortable, b: Sortable): number {
  for (let i = 0; i < 4; i++) {
    const x = a.order[i] as bigint | number;
    const y = b.order[i] as bigint | number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export async function jobTimeline(deps: ApiDeps, jobParam: string, limitParam: readonly string[] | undefined) {
  const jobId = parseJobId(jobParam);
  const limit = parseLimit(limitParam);
  // One more than answered: whether the list was cut, without counting it.
  const read = await deps.store.jobCommits(jobId, limit + 1);
  if (read.length === 0) throw new ApiError(404, `jobId ${quote(jobId)} is not named by any indexed Numbers commit.`);
  const commits = read.slice(0, limit);
  const cids = [...new Set(commits.flatMap((c) => (c.assetCid === null ? [] : [c.assetCid])))];
  const hashes = [
    ...new Set(commits.flatMap((c) => (c.assetCid === null && c.packetHash !== null ? [c.packetHash] : []))),
  ];
  const packets = (await deps.store.packets(cids, hashes)).sort(
    (a, b) =>
      Number(a.anchor.blockNumber - b.anchor.blockNumber) ||
      a.anchor.logIndex - b.anchor.logIndex ||
      a.entry.sequence - b.entry.sequence,
  );
  const byCid = new Map<string, Packet>();
  const byHash = new Map<Hex, Packet>();
  for (const packet of packets) {
    if (!byCid.has(packet.entry.packetCid)) byCid.set(packet.entry.packetCid, packet);
    if (!byHash.has(packet.entry.packetHash)) byHash.set(packet.entry.packetHash, packet);
  }
  const anchors = new Map<string, AnchorSummary>();
  const events: (Sortable & { event: ReturnType<typeof commitEvent> | ReturnType<typeof anchorEvent> })[] = [];
  for (const row of commits) {
    const packet =
      (row.assetCid === null ? undefined : byCid.get(row.assetCid)) ??
      (row.assetCid === null && row.packetHash !== null ? byHash.get(row.packetHash) : undefined);
    if (packet !== undefined) anchors.set(packet.anchor.id, packet.anchor);
    events.push({
      order: [row.timestamp, 0, row.blockNumber, row.logIndex],
      event: commitEvent(row, packet),
    });
  }
  for (const row of anchors.values())
    events.push({
      order: [row.timestamp, 1, row.blockNumber, row.logIndex],
      event: anchorEvent(row, deps.baseChainId),
    });
  return { jobId, events: events.sort(compare).map((e) => e.event), truncated: read.length > limit };
}
