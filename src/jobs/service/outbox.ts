/**
 * The outbox worker: takes recorded events from the database and moves each
 * on, recorded → stored (the configured providers, to quorum) → submitted
 * (`committer.submit`, idempotent per key) → committed (`committer.settle`
 * reports it mined). Every step is safe to repeat, so a crash between any two
 * leaves a row that the next pass (this process after a restart, or another
 * replica) simply takes up again.
 *
 * Replicas share the work through the database: a pass claims due rows with
 * `for update skip locked` and pushes their `next_attempt_at` past a lease, so
 * no other replica takes a row while one works on it; a replica that dies
 * holding rows loses them when the lease runs out.
 */
import type { Database } from "../../db/database.ts";
import type { CommitReceipt, Committer } from "../../numbers/committer.ts";
import type { ContentProvider } from "../../storage/provider.ts";
import { replicate } from "../../storage/replicate.ts";

export interface OutboxOptions {
  readonly db: Database;
  readonly committer: Committer;
  readonly providers: readonly ContentProvider[];
  /** Providers that must confirm a packet before it is committed; default all. */
  readonly quorum?: number;
  /** Events claimed per pass; default 32. */
  readonly batchSize?: number;
  /** Events of a pass moved on at once; default 4. */
  readonly concurrency?: number;
  /** Wait between passes that found nothing due; default 500 ms (a recorded event wakes the worker at once). */
  readonly pollIntervalMs?: number;
  /** How long a claimed row is this replica's before another may take it; default 60 s. */
  readonly leaseMs?: number;
  /** Wait between asking the committer about a pending commit; default 1 s. */
  readonly settleIntervalMs?: number;
  /** Wait after a failed step, doubled per attempt up to `maxDelayMs`; default 1 s, at most 5 min. */
  readonly retryDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Attempts and first delay of each provider's write within a step (replicate.ts); default 3 and 200 ms. */
  readonly storeAttempts?: number;
  readonly storeDelayMs?: number;
  /** Failures of the loop itself (the database gone): reported, and the loop carries on. */
  readonly onError?: (error: unknown) => void;
  /**
   * Called after each recorded step of an event (its new status committed to the database by this worker,
   * not already by another replica): `stored`, `submitted`, `committed`. The fault tests kill the process there.
   */
  readonly onStep?: (step: "stored" | "submitted" | "committed") => void | Promise<void>;
}

interface ClaimedRow {
  id: string | number;
  idempotency_key: string;
  status: "recorded" | "stored" | "submitted";
  packet: Uint8Array;
  packet_cid: string;
  commit_data: string;
  attempts: number;
  [column: string]: unknown;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class OutboxWorker {
  readonly #options: OutboxOptions;
  readonly #batchSize: number;
  readonly #concurrency: number;
  #stopped = true;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #woken = false;
  /** What the last pass failed on, for health. */
  lastError: string | undefined;

  constructor(options: OutboxOptions) {
    this.#options = options;
    this.#batchSize = options.batchSize ?? 32;
    this.#concurrency = options.concurrency ?? 4;
  }

  /** Starts the loop; passes run until {@link stop}. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#run();
  }

  /** Cuts the current wait short: an event was recorded. */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /** Stops after the current pass. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const pause = this.#options.pollIntervalMs ?? 500;
    while (!this.#stopped) {
      let claimed = 0;
      this.#woken = false;
      try {
        claimed = await this.runOnce();
      } catch (error) {
        this.lastError = message(error);
        this.#options.onError?.(error);
      }
      if (this.#stopped || claimed === this.#batchSize || this.#woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pause);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** One pass: claims the due events and moves each as far as it goes. Answers how many it claimed. */
  async runOnce(): Promise<number> {
    const { db } = this.#options;
    const rows = await db.transaction((sql) =>
      sql.query<ClaimedRow>(
        `with due as (
           select id from pop_jobs_event
           where status <> 'committed' and next_attempt_at <= now()
           order by next_attempt_at, id limit $1
           for update skip locked)
         update pop_jobs_event e
         set next_attempt_at = now() + $2 * interval '1 millisecond', attempts = e.attempts + 1
         from due where e.id = due.id
         returning e.id, e.idempotency_key, e.status, e.packet, e.packet_cid, e.commit_data, e.attempts`,
        [this.#batchSize, this.#options.leaseMs ?? 60_000],
      ),
    );
    // A few at a time: the commits of one sender queue on its nonce lock anyway, and each one waiting there
    // holds a database connection the request path needs.
    let next = 0;
    const lane = async () => {
      while (next < rows.length) await this.#advance(rows[next++] as ClaimedRow);
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, rows.length) }, lane));
    return rows.length;
  }

  async #advance(row: ClaimedRow): Promise<void> {
    const { db, committer } = this.#options;
    let status: ClaimedRow["status"] | "committed" = row.status;
    try {
      if (status === "recorded") {
        await this.#store(row);
        const moved = await db.query(
          "update pop_jobs_event set status = 'stored', stored_at = now() where id = $1 and status = 'recorded' returning id",
          [row.id],
        );
        status = "stored";
        if (moved.length === 1) await this.#options.onStep?.("stored");
      }
      if (status === "stored") {
        const receipt = await committer.submit({
          idempotencyKey: row.idempotency_key,
          assetCid: row.packet_cid,
          asset: new Uint8Array(row.packet),
          commitData: JSON.parse(row.commit_data) as Record<string, unknown>,
        });
        status = await this.#record(row, receipt);
      } else if (status === "submitted") {
        const receipt = await committer.settle(row.idempotency_key);
        if (receipt === undefined) {
          // The committer lost it (its own state was reset): submitting again is safe, it is idempotent per key.
          await db.query("update pop_jobs_event set status = 'stored' where id = $1 and status = 'submitted'", [
            row.id,
          ]);
          throw new Error(
            `The ${committer.kind} committer does not know ${row.idempotency_key}; it is submitted again.`,
          );
        }
        status = await this.#record(row, receipt);
      }
      if (status !== "committed")
        await db.query(
          "update pop_jobs_event set next_attempt_at = now() + $2 * interval '1 millisecond', last_error = null where id = $1",
          [row.id, this.#options.settleIntervalMs ?? 1_000],
        );
    } catch (error) {
      const base = this.#options.retryDelayMs ?? 1_000;
      const delay = Math.min(base * 2 ** Math.min(row.attempts - 1, 20), this.#options.maxDelayMs ?? 300_000);
      await db.query(
        "update pop_jobs_event set next_attempt_at = now() + $2 * interval '1 millisecond', last_error = $3 where id = $1",
        [row.id, delay, message(error).slice(0, 2000)],
      );
    }
  }

  async #store(row: ClaimedRow): Promise<void> {
    const { providers, quorum } = this.#options;
    const bytes = new Uint8Array(row.packet);
    const result = await replicate(providers, (provider) => provider.put(bytes, row.packet_cid), {
      ...(quorum === undefined ? {} : { quorum }),
      attempts: this.#options.storeAttempts ?? 3,
      baseDelayMs: this.#options.storeDelayMs ?? 200,
    });
    if (!result.stored)
      throw new Error(
        `Storing packet ${row.packet_cid} did not reach the quorum: ${result.statuses
          .map((s) => `${s.provider} ${s.state}${s.error === undefined ? "" : ` (${s.error})`}`)
          .join(", ")}.`,
      );
  }

  /** Writes the committer's receipt into the row; answers the row's new status. */
  async #record(row: ClaimedRow, receipt: CommitReceipt): Promise<"submitted" | "committed"> {
    const status = receipt.status === "committed" ? "committed" : "submitted";
    const moved = await this.#options.db.query(
      `update pop_jobs_event set status = $2, committer = $3, nid = $4, nid_matches_cid = $5, tx_hash = $6,
         block_number = $7, explorer_url = $8, committed_at = case when $2 = 'committed' then now() end, last_error = null
       where id = $1 and status <> 'committed' returning id`,
      [
        row.id,
        status,
        receipt.committer,
        receipt.nid,
        receipt.nidMatchesCid,
        receipt.txHash ?? null,
        receipt.blockNumber === undefined ? null : receipt.blockNumber.toString(),
        receipt.explorerUrl ?? null,
      ],
    );
    // A pending commit settled again records its receipt again: a step only when the status moved.
    if (moved.length === 1 && status !== row.status) await this.#options.onStep?.(status);
    return status;
  }
}
