/**
 * Verification of indexed anchors with the verifier library (src/verify):
 * steps 2 to 4 of the protocol for a log Ponder delivered, reading the
 * registry through `context.client` (reads without a block number are at the
 * block being indexed, so a retry judges by the registry as it is then), fetching
 * content from POP_GATEWAYS with short timeouts so that a missing chainscript
 * costs seconds, not the indexer's progress. What a report comes to in the
 * `anchor` and `entry` tables is decided here, without Ponder, so it can be
 * tested; index.ts only writes it.
 */
import { type Address, bytesToHex, type Hex } from "viem";
import { toOnchainId } from "../../src/anchor/ids.ts";
import type { Chainscript } from "../../src/chainscript/chainscript.ts";
import type { CheckFailure, CheckResult, VerificationReport } from "../../src/chainscript/report.ts";
import { BaseError } from "../../src/errors.ts";
import { decodePacket } from "../../src/evidence/codec.ts";
import type { EvidencePacket } from "../../src/evidence/packet.ts";
import { cacheFromEnv, gatewaysFromEnv } from "../../src/storage/config.ts";
import type { FsBlockstore } from "../../src/storage/fsBlockstore.ts";
import type { ViewClient } from "../../src/verify/registryView.ts";
import {
  type AnchoredLog,
  type AnchorVerificationReport,
  describe,
  verifyAnchored,
} from "../../src/verify/verifyAnchored.ts";
import type { anchor, anchorKey, entry } from "../ponder.schema.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** A verification setting in the environment is wrong. */
export class VerificationConfigError extends BaseError {
  override name = "VerificationConfigError";
}

export interface VerificationSettings {
  /** Trustless gateways (POP_GATEWAYS, comma-separated). */
  readonly gateways: readonly string[];
  /** One gateway's time for one fetch (POP_INDEXER_FETCH_TIMEOUT_MS, default 3000). */
  readonly fetchTimeoutMs: number;
  /** One anchor's time for all its fetches (POP_INDEXER_VERIFY_BUDGET_MS, default 15000); the rest counts as unavailable. */
  readonly budgetMs: number;
  /** Unresolved anchors retried per VerificationRetry beat, all at once (POP_INDEXER_RETRY_BATCH, default 8). */
  readonly retryBatch: number;
  /** Verified blocks kept on disk (POP_INDEXER_CACHE_DIR; none by default): content-addressed, so no indexing state. */
  readonly cache?: FsBlockstore;
}

function positiveInteger(env: Env, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new VerificationConfigError(`${name} must be a positive integer, got "${text}".`);
  return value;
}

/**
 * The indexer's verification settings from the environment.
 *
 * @example
 * const settings = verificationSettings({ POP_GATEWAYS: "http://127.0.0.1:8080", POP_INDEXER_FETCH_TIMEOUT_MS: "2000" });
 */
export function verificationSettings(env: Env = process.env): VerificationSettings {
  const cacheDir = env.POP_INDEXER_CACHE_DIR;
  return {
    gateways: gatewaysFromEnv(env),
    fetchTimeoutMs: positiveInteger(env, "POP_INDEXER_FETCH_TIMEOUT_MS", 3_000),
    budgetMs: positiveInteger(env, "POP_INDEXER_VERIFY_BUDGET_MS", 15_000),
    retryBatch: positiveInteger(env, "POP_INDEXER_RETRY_BATCH", 8),
    ...(cacheDir ? { cache: cacheFromEnv({ ...env, POP_CACHE_DIR: cacheDir }) } : {}),
  };
}

/**
 * Registry reads remembered for the block being indexed. Every anchor of an
 * `anchorBatch` is in one block and reads the same records (the tenant's
 * anchorCount and signer at that block, the same key): through Ponder's
 * `context.client` each read is a query of its RPC cache table, about 1.5 ms
 * on PGlite, four an anchor, close to the rest of its verification. The memory is
 * keyed by the block's hash and dropped when another block comes, so it
 * holds nothing Ponder's tables should (a reorganised block has another
 * hash); a failed read is forgotten, so the next anchor tries again.
 *
 * @example
 * const reads = blockScopedReads();
 * const report = await verifyIndexedAnchor(reads(context.client, event.block.hash), row, registry, settings);
 */
export function blockScopedReads(): (client: ViewClient, blockHash: Hex) => ViewClient {
  let scope: { client: ViewClient; blockHash: Hex; reads: Map<string, Promise<unknown>> } | undefined;
  return (client, blockHash) => {
    if (scope?.client !== client || scope.blockHash !== blockHash) scope = { client, blockHash, reads: new Map() };
    const { reads } = scope;
    return {
      readContract(parameters) {
        const { address, functionName, args, blockNumber } = parameters;
        const key = `${address}:${functionName}:${args.join(",")}@${blockNumber ?? "indexed"}`;
        let read = reads.get(key);
        if (read === undefined) {
          const made = client.readContract(parameters);
          made.catch(() => {
            if (reads.get(key) === made) reads.delete(key);
          });
          reads.set(key, made);
          read = made;
        }
        return read;
      },
    };
  };
}

/** The facts of an anchor row that verification needs (those of its log, and the signer of its AnchorAuthorised). */
export interface IndexedAnchor {
  readonly tenantId: Hex;
  readonly chainId: Hex;
  readonly chainHash: Hex;
  readonly ipfsCid: string;
  readonly timestamp: bigint;
  readonly blockNumber: bigint;
  readonly transactionHash: Hex;
  readonly signer: Address | null;
}

/**
 * Runs the verifier on an indexed anchor, within the settings' time budget.
 * Never throws for a failure to reach the chain or the gateways: that is an
 * `incomplete` report (the anchor stays unresolved and is retried).
 *
 * @example
 * const report = await verifyIndexedAnchor(context.client, row, registry, settings);
 */
export async function verifyIndexedAnchor(
  client: ViewClient,
  indexed: IndexedAnchor,
  registry: Address,
  settings: VerificationSettings,
): Promise<AnchorVerificationReport> {
  const { tenantId, chainId, chainHash, ipfsCid, timestamp, blockNumber, transactionHash, signer } = indexed;
  const log: AnchoredLog = {
    tenantId,
    chainId,
    chainHash,
    ipfsCid,
    timestamp,
    blockNumber,
    transactionHash,
    ...(signer === null ? {} : { signer }),
  };
  try {
    return await verifyAnchored(client, log, {
      registry,
      gateways: settings.gateways,
      fetchTimeoutMs: settings.fetchTimeoutMs,
      signal: AbortSignal.timeout(settings.budgetMs),
      ...(settings.cache ? { cache: settings.cache } : {}),
    });
  } catch (error) {
    if (!(error instanceof BaseError)) throw error;
    const failure: CheckFailure = { message: describe(error) };
    const reachable: CheckResult = {
      id: "rpc.reachable",
      description: "every RPC endpoint answered",
      status: "fail",
      checked: 1,
      skipped: 0,
      failed: 1,
      failures: [failure],
    };
    return { verdict: "incomplete", checks: [reachable], firstFailure: { check: reachable.id, ...failure } };
  }
}

export type AnchorVerification = Pick<
  typeof anchor.$inferInsert,
  "status" | "failedCheck" | "report" | "tenantName" | "chainUuid" | "processId" | "entryCount"
>;
export type EntryRow = typeof entry.$inferInsert;
export type AnchorKeyRow = typeof anchorKey.$inferInsert;

/** What a verification comes to: the anchor's verification columns, and its entries and keys when the verdict is final. */
export interface VerificationOutcome {
  readonly anchor: AnchorVerification & { readonly status: "valid" | "invalid" | "unresolved" };
  /** Empty while unresolved: entries are written once, with the final verdict, so retries never repeat them. */
  readonly entries: EntryRow[];
  /** The keys the chainscript and its entries' packets name, written with the entries. */
  readonly keys: AnchorKeyRow[];
}

/** The report as stored (JSON): verdict, every check, the first failure. */
export function storedReport(report: VerificationReport): VerificationReport {
  return {
    verdict: report.verdict,
    checks: report.checks,
    ...(report.firstFailure ? { firstFailure: report.firstFailure } : {}),
  };
}

/** The check a verdict turns on: the first failed one, or (incomplete with nothing failed) the first not run. */
function decidingCheck(report: VerificationReport): string | null {
  if (report.verdict === "valid") return null;
  return (
    report.firstFailure?.check ?? report.checks.find((check) => check.status === "skip" && !check.optional)?.id ?? null
  );
}

/**
 * One entry row per chain entry whose packet was fetched and decodes (an
 * invalid chain's unreadable packets have no facts to store): its id is the
 * anchor's and the entry's position, so the same chain always gives the same rows.
 */
export function entryRows(
  anchorId: string,
  chainscript: Chainscript,
  packets: ReadonlyMap<string, Uint8Array>,
): EntryRow[] {
  const rows: EntryRow[] = [];
  for (const [position, chainEntry] of chainscript.entries.entries()) {
    const bytes = packets.get(chainEntry.packetCid);
    if (bytes === undefined) continue;
    let packet: EvidencePacket;
    try {
      packet = decodePacket(bytes).packet;
    } catch (error) {
      if (!(error instanceof BaseError)) throw error;
      continue; // the report names it (packets.canonical)
    }
    rows.push({
      id: `${anchorId}-${position}`,
      anchorId,
      sequence: position,
      stageId: chainEntry.stageId,
      packetCid: chainEntry.packetCid,
      packetHash: `0x${chainEntry.packetHash}`,
      assetHash: bytesToHex(packet.outputs.assetHash),
      assetSize: BigInt(packet.outputs.assetSize),
      mimeType: packet.outputs.mimeType,
      processId: packet.processId,
      modelId: packet.inputs.modelId,
      deviceClass: packet.execution.deviceClass,
      durationMs: BigInt(packet.execution.durationMs),
      signingKeyId: packet.signingKeyId,
      createdAt: BigInt(packet.timestamp),
    });
  }
  return rows;
}

/**
 * The keys an anchor's content names, by on-chain id: the chainscript's (its
 * chainSignature's) and each entry's packet's, once each. What a key
 * revocation looks up to find the anchors it may invalidate.
 */
export function anchorKeyRows(
  anchorId: string,
  tenantId: Hex,
  chainscript: Chainscript,
  entries: readonly EntryRow[],
): AnchorKeyRow[] {
  const names = new Set([chainscript.signingKeyId, ...entries.map((row) => row.signingKeyId)]);
  return [...names].map((name): AnchorKeyRow => ({ anchorId, tenantId, keyId: toOnchainId(name) }));
}

/**
 * The anchor's verification columns, entry and key rows for a report: `valid`,
 * `invalid` with the first failed check, or `unresolved` (content or chain
 * not available) with the check that could not complete. The string ids are
 * kept only when they hash to the anchored ones: a chainscript cannot name
 * the anchor after another tenant or chain.
 *
 * @example
 * const { anchor, entries, keys } = verificationOutcome(id, row, report);
 */
export function verificationOutcome(
  anchorId: string,
  anchored: { readonly tenantId: Hex; readonly chainId: Hex },
  report: AnchorVerificationReport,
): VerificationOutcome {
  const status = report.verdict === "incomplete" ? "unresolved" : report.verdict;
  const { chainscript } = report;
  const final = status !== "unresolved" && chainscript !== undefined;
  const entries = final ? entryRows(anchorId, chainscript, report.packets ?? new Map()) : [];
  return {
    anchor: {
      status,
      failedCheck: decidingCheck(report),
      report: storedReport(report),
      tenantName: chainscript && toOnchainId(chainscript.tenantId) === anchored.tenantId ? chainscript.tenantId : null,
      chainUuid: chainscript && toOnchainId(chainscript.chainId) === anchored.chainId ? chainscript.chainId : null,
      processId: chainscript?.processId ?? null,
      entryCount: chainscript?.entries.length ?? null,
    },
    entries,
    keys: final ? anchorKeyRows(anchorId, anchored.tenantId, chainscript, entries) : [],
  };
}
