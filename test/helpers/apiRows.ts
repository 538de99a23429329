/**
 * Indexed rows of one tenant's anchor, packets and a job's commits, a Store
 * over arrays answering as createStore's SQL does, and the REST app over them:
 * the routes' logic tested without Ponder or a chain.
 */
import { type Hex, keccak256, stringToBytes, zeroAddress } from "viem";
import { createApiApp } from "../../indexer/src/api/app.ts";
import type { ApiDeps, RegistryReader } from "../../indexer/src/api/deps.ts";
import type { Status, Store, TenantRow } from "../../indexer/src/api/store.ts";
import type { AnchorRow, CommitRow, EntryRow } from "../../indexer/src/api/views.ts";
import { certificateId } from "../../src/anchor/certificate.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";

export const TENANT = "studio-aurora";
export const TENANT_ID = toOnchainId(TENANT);
export const UUID = "3b241101-e2bb-4255-8caf-4136c566a962";
export const CHAIN_ID = toOnchainId(UUID);
export const ANCHOR_ID = `${TENANT_ID}-${CHAIN_ID}`;
export const CERTIFICATE = certificateId(TENANT_ID, CHAIN_ID);
export const ASSET = `0x${"ab".repeat(32)}` as Hex;
export const TX = `0x${"11".repeat(32)}` as Hex;

export function anchorRow(overrides: Partial<AnchorRow> = {}): AnchorRow {
  return {
    id: ANCHOR_ID,
    tenantId: TENANT_ID,
    chainId: CHAIN_ID,
    chainHash: `0x${"cd".repeat(32)}`,
    ipfsCid: "bafkreichainscript",
    timestamp: 1_767_225_600n,
    blockNumber: 12n,
    transactionHash: TX,
    logIndex: 1,
    submitter: "0x90f79bf6eb2c4f870365e785982e1f101e93b906",
    signer: "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc",
    certificateId: CERTIFICATE,
    sequence: 1,
    tenantName: TENANT,
    chainUuid: UUID,
    processId: "lighthouse-v1",
    entryCount: 3,
    status: "valid",
    failedCheck: null,
    report: { verdict: "valid", checks: [] },
    attempts: 1,
    verifiedBlock: 12n,
    ...overrides,
  };
}

export function entryRow(sequence: number, overrides: Partial<EntryRow> = {}): EntryRow {
  return {
    id: `${ANCHOR_ID}-${sequence}`,
    anchorId: ANCHOR_ID,
    sequence,
    stageId: ["generate", "upscale", "watermark"][sequence] ?? "step",
    packetCid: `bafkreipacket${sequence}`,
    packetHash: `0x${String(sequence).repeat(64)}` as Hex,
    assetHash: ASSET,
    assetSize: 1024n,
    mimeType: "image/png",
    processId: "lighthouse-v1",
    modelId: "sdxl@1",
    deviceClass: "H100",
    durationMs: 100n,
    signingKeyId: "studio-key-2026",
    createdAt: 1_767_225_500_000n + BigInt(sequence),
    ...overrides,
  };
}

export function commitRow(logIndex: number, overrides: Partial<CommitRow> = {}): CommitRow {
  return {
    id: `31338-${TX}-${logIndex}`,
    logIndex,
    chainId: 31338,
    recorder: "0xa0ee7a142d267c1f36714e4a8f75612f20a79720",
    assetCidHash: keccak256(stringToBytes("bafkreipacket0")),
    assetCid: "bafkreipacket0",
    commitData: "{}",
    commitDataValid: true,
    commitJson: {},
    jobId: "job-7",
    eventType: "started",
    packetHash: null,
    blockNumber: 5n,
    timestamp: 1_767_225_500n,
    transactionHash: TX,
    ...overrides,
  };
}

export interface Rows {
  anchors?: AnchorRow[];
  entries?: EntryRow[];
  commits?: CommitRow[];
  tenants?: Hex[];
}

const anchoringOrder = (a: { entry: EntryRow; anchor: AnchorRow }, b: { entry: EntryRow; anchor: AnchorRow }) =>
  Number(a.anchor.blockNumber - b.anchor.blockNumber) ||
  a.anchor.logIndex - b.anchor.logIndex ||
  a.entry.sequence - b.entry.sequence;

/** A Store over arrays, answering as createStore's SQL does (order, limits, one packet per CID or hash). */
export function memoryStore(rows: Rows): Store {
  const anchors = rows.anchors ?? [];
  const entries = rows.entries ?? [];
  const withAnchor = (entry: EntryRow) => {
    const anchor = anchors.find((a) => a.id === entry.anchorId);
    return anchor === undefined ? [] : [{ entry, anchor }];
  };
  /** The oldest packet for each value of `key` among `values`. */
  const firstBy = (key: "packetCid" | "packetHash", values: readonly string[]) => {
    const first = new Map<string, { entry: EntryRow; anchor: AnchorRow }>();
    for (const row of entries
      .filter((e) => values.includes(e[key]))
      .flatMap(withAnchor)
      .sort(anchoringOrder))
      if (!first.has(row.entry[key])) first.set(row.entry[key], row);
    return [...first.values()];
  };
  return {
    anchor: async (id) => anchors.find((a) => a.id === id),
    tenant: async (id) =>
      (rows.tenants ?? []).includes(id)
        ? ({ id, admin: zeroAddress, pendingAdmin: null, registeredBlock: 1n, anchorCount: 0 } as TenantRow)
        : undefined,
    tenantNames: async (id) =>
      anchors.flatMap((a) => (a.tenantId === id && a.tenantName !== null ? [a.tenantName] : [])),
    anchorCounts: async (tenantId) => {
      const counts: Record<Status, number> = { valid: 0, invalid: 0, unresolved: 0, pending: 0 };
      for (const a of anchors) if (a.tenantId === tenantId) counts[a.status]++;
      return counts;
    },
    assetEntries: async (hash, limit) =>
      entries
        .filter((e) => e.assetHash === hash)
        .flatMap(withAnchor)
        .sort(anchoringOrder)
        .slice(0, limit),
    jobCommits: async (jobId, limit) =>
      (rows.commits ?? [])
        .filter((c) => c.jobId === jobId)
        .sort(
          (a, b) =>
            Number(a.timestamp - b.timestamp) || Number(a.blockNumber - b.blockNumber) || a.logIndex - b.logIndex,
        )
        .slice(0, limit),
    packets: async (cids, hashes) => [...firstBy("packetCid", cids), ...firstBy("packetHash", hashes)],
    anchorByCertificate: async (id) => anchors.find((a) => a.certificateId === id),
  };
}

/** A registry whose anchorCount is `anchorCount` at block 40, counting the reads. */
export function registryAt(anchorCount: bigint): RegistryReader & { reads: number } {
  const registry = {
    reads: 0,
    async anchorCount() {
      registry.reads++;
      return { blockNumber: 40n, anchorCount };
    },
  };
  return registry;
}

export interface ApiOptions {
  readonly registry?: RegistryReader;
  readonly store?: Store;
  readonly statementTimeoutMs?: number;
  readonly publicUrl?: string;
  readonly log?: (error: unknown) => void;
}

/** The REST app over `rows`, as a function from path (and request init) to status and parsed JSON body. */
export function api(rows: Rows, options: ApiOptions = {}) {
  const deps: ApiDeps = {
    store: options.store ?? memoryStore(rows),
    registry: options.registry ?? registryAt(0n),
    baseChainId: 31337,
    statementTimeoutMs: options.statementTimeoutMs ?? 5_000,
    publicUrl: options.publicUrl,
  };
  const app = createApiApp(deps, options.log);
  return async (path: string, init?: RequestInit) => {
    const response = await app.request(`http://api.test${path}`, init);
    return { status: response.status, body: (await response.json()) as unknown };
  };
}
