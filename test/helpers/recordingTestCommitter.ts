/**
 * TEST ONLY. A Committer that commits nothing: it records every call, answers
 * `pending` on submit and `committed` (with a made-up transaction) after
 * `settlesAfter` settles. It keeps the Committer contract the receipts service
 * relies on: a repeated submit of one key starts nothing and answers the same
 * commit. Production code never uses it (src/jobs/service/committers.ts).
 */
import { createHash } from "node:crypto";
import type { Hex } from "viem";
import type { CommitReceipt, CommitRequest, Committer } from "../../src/numbers/committer.ts";

export class RecordingTestCommitter implements Committer {
  readonly kind = "direct" as const;
  /** Every submit call, in order (repeats included). */
  readonly submits: CommitRequest[] = [];
  /** Commits started: one per key, whatever the repeats. */
  readonly started = new Map<string, CommitRequest>();
  readonly #settles = new Map<string, number>();
  readonly #settlesAfter: number;
  /** Submits to fail (thrown) before the next one succeeds, to exercise retries. */
  failNext = 0;

  constructor(options: { settlesAfter?: number } = {}) {
    this.#settlesAfter = options.settlesAfter ?? 1;
  }

  #receipt(request: CommitRequest, committed: boolean): CommitReceipt {
    const txHash = `0x${createHash("sha256").update(request.idempotencyKey).digest("hex")}` as Hex;
    return {
      idempotencyKey: request.idempotencyKey,
      committer: this.kind,
      status: committed ? "committed" : "pending",
      assetCid: request.assetCid,
      nid: request.assetCid,
      nidMatchesCid: true,
      ...(committed ? { txHash, blockNumber: 7n, explorerUrl: `http://explorer.test/tx/${txHash}` } : {}),
    };
  }

  async submit(request: CommitRequest): Promise<CommitReceipt> {
    this.submits.push(request);
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error("test committer: submit failed on purpose");
    }
    const first = this.started.get(request.idempotencyKey);
    if (first === undefined) this.started.set(request.idempotencyKey, request);
    return this.#receipt(first ?? request, false);
  }

  async settle(idempotencyKey: string): Promise<CommitReceipt | undefined> {
    const request = this.started.get(idempotencyKey);
    if (request === undefined) return undefined;
    const count = (this.#settles.get(idempotencyKey) ?? 0) + 1;
    this.#settles.set(idempotencyKey, count);
    return this.#receipt(request, count >= this.#settlesAfter);
  }

  /** submit calls per key. */
  submitCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const request of this.submits)
      counts.set(request.idempotencyKey, (counts.get(request.idempotencyKey) ?? 0) + 1);
    return counts;
  }
}
