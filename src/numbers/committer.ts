/**
 * An ERC-7053 commit on Numbers, made exactly once per idempotency key, by one
 * of two committers behind this interface: `direct` (a transaction to the
 * configured commit contract, sent through the project's transaction engine)
 * and `capture-api` (Numbers' Capture API: register, then update; NUMBERS.md).
 * The asset is an evidence packet: its CID, computed here, is the assetCid.
 */
import type { Hex } from "viem";

export type CommitterKind = "direct" | "capture-api";

/** `commitData`: nit's fields plus ours (`jobDetails`, `gpuJobMetadata`, `packetHash`), written as JSON. */
export type CommitData = Readonly<Record<string, unknown>>;

/** One commit to make. */
export interface CommitRequest {
  /** `gpu-job-{jobId}-{eventType}`: whatever the retries, crashes or replicas, one commit per key. */
  readonly idempotencyKey: string;
  /** The packet's CID (CIDv1 raw, `bafkrei…`), computed locally from `asset`. */
  readonly assetCid: string;
  /** The packet's bytes: the Capture API uploads them; the direct committer checks them against `assetCid`. */
  readonly asset: Uint8Array;
  readonly commitData: CommitData;
}

/** Where a commit stands. `pending`: recorded (and possibly sent), not yet mined or reported mined. */
export type CommitStatus = "pending" | "committed";

export interface CommitReceipt {
  readonly idempotencyKey: string;
  readonly committer: CommitterKind;
  readonly status: CommitStatus;
  /** The CID computed here: the assetCid of the commit. */
  readonly assetCid: string;
  /** The NID Numbers knows the asset by: the assetCid for direct commits, the API's `id` for the Capture API. */
  readonly nid: string;
  /** False when the API answered another NID than the CID computed here: reported, never silently accepted. */
  readonly nidMatchesCid: boolean;
  /** Known once the transaction is mined (the Capture API reports it later, under `integrity_info`). */
  readonly txHash?: Hex;
  readonly blockNumber?: bigint;
  /** The transaction on the chain's explorer, when the chain has one. */
  readonly explorerUrl?: string;
}

export interface Committer {
  readonly kind: CommitterKind;
  /**
   * Records the commit for `request.idempotencyKey` and starts it, once: a repeat (same key) answers
   * the recorded receipt and starts nothing. Answers without waiting for the chain (status `pending`).
   */
  submit(request: CommitRequest): Promise<CommitReceipt>;
  /** Looks the commit up and moves it on (rebroadcast, fee bump, reading the API); `undefined` for an unknown key. */
  settle(idempotencyKey: string): Promise<CommitReceipt | undefined>;
}
