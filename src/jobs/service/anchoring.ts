/**
 * The anchoring worker (decision 028): completed jobs whose two packets are
 * stored are anchored on Base in batches, every `every` jobs or once the
 * oldest has waited `intervalMs`, whichever comes first, each batch one
 * `anchorBatch` (or `anchor` for one job) sent by the batch pipeline
 * (anchorStoredRuns). A job's chainscript is its JobSubmitted and JobCompleted
 * packets, signed with the tenant's key.
 *
 * Exactly once: a batch's jobs are written `pending` (with their chainscript
 * UUIDs) in one transaction before the pipeline starts on them, and a pass
 * finishes the pending batch before it forms another. The pipeline records
 * every step in its own tables, so the batch resumed after a crash or a
 * restart is the same runs at the step they reached: a transaction once
 * recorded is looked up, never sent anew, and no job is lost.
 *
 * Replicas on one database: only the holder of the `anchor` lease
 * (pop_jobs_lease) anchors; it renews the lease while it works, and a replica
 * that dies loses it when it runs out. Were two ever to work at once, the
 * pipeline's step checks and the registry (one anchor per tenant and chain id)
 * would still stop a second anchor.
 */
import { randomUUID } from "node:crypto";
import type { Address, LocalAccount } from "viem";
import { getBlock, getBlockNumber, getTransactionReceipt } from "viem/actions";
import type { AnchorResult } from "../../anchor/pipeline/pipeline.ts";
import { anchorStoredRuns, type StoredRun, storedRunKey } from "../../anchor/pipeline/storedRuns.ts";
import type { RegistryReader } from "../../anchor/registryReads.ts";
import type { Database, Sql } from "../../db/database.ts";
import { decodePacket } from "../../evidence/codec.ts";
import { randomUuidV4 } from "../../evidence/uuid.ts";
import type { Signer } from "../../keys/signer.ts";
import type { ContentProvider } from "../../storage/provider.ts";

/** `finalized`: the chain's finalized block has reached the anchor's; a number: that many confirmations. */
export type Finality = "finalized" | number;

export interface AnchoringOptions {
  readonly db: Database;
  readonly publicClient: RegistryReader;
  /** The chain id the RPC answers. */
  readonly evmChainId: number;
  readonly registry: Address;
  /** Signs the EIP-712 `Anchor`: an anchor signer allowed for every tenant the service serves. */
  readonly anchorSigner: LocalAccount;
  /** Sends and pays for the transactions. */
  readonly relayer: LocalAccount;
  readonly providers: readonly ContentProvider[];
  readonly quorum?: number;
  /** Each tenant's Ed25519 key: it signs the tenant's chainscripts. */
  readonly signers: ReadonlyMap<string, Signer>;
  /** A batch is sent once this many jobs are ready, and holds at most this many. */
  readonly every: number;
  /** …or once the oldest ready job has waited this long (ms). */
  readonly intervalMs: number;
  /** When an anchored job becomes `final`. */
  readonly finality: Finality;
  /** The explorer's base URL for links (jobAnchor.ts baseExplorer); none for local chains unless given. */
  readonly explorerUrl?: string | undefined;
  /** Wait between passes (ms); default 1,000. */
  readonly pollIntervalMs?: number;
  /** Wait after a failed pass (ms); default 10,000. */
  readonly retryDelayMs?: number;
  /** How long the lease is this replica's without renewal (ms); default 120,000. */
  readonly leaseMs?: number;
  /** The pipeline's wait between looks at a sent transaction (ms); default 1,000. */
  readonly txPollingIntervalMs?: number;
  /** Called after each step the pipeline records (as its onStep): tests stop a batch there. */
  readonly onStep?: (step: string) => void | Promise<void>;
  readonly onError?: (error: unknown) => void;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

interface ReadyJob {
  job_id: string;
  tenant_id: string;
  process_id: string;
  due: boolean;
  [column: string]: unknown;
}

interface PendingRow {
  job_id: string;
  tenant_id: string;
  chain_id: string;
  [column: string]: unknown;
}

export const ANCHOR_LEASE = "anchor";

export class AnchorWorker {
  readonly #options: AnchoringOptions;
  readonly #holder = randomUUID();
  #stopped = true;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /** What the last pass failed on (cleared by a pass that succeeds), for health. */
  lastError: string | undefined;

  constructor(options: AnchoringOptions) {
    this.#options = options;
  }

  get settings() {
    const { evmChainId, registry, every, intervalMs, finality } = this.#options;
    return { evmChainId, registry, every, intervalMs, finality };
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#run();
  }

  /** Stops after the current pass and gives the lease up, so another replica (or a restart) takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    await this.#options.db
      .query("delete from pop_jobs_lease where name = $1 and holder = $2", [ANCHOR_LEASE, this.#holder])
      .catch(() => {});
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let pause = this.#options.pollIntervalMs ?? 1_000;
      try {
        await this.runOnce();
        this.lastError = undefined;
      } catch (error) {
        this.lastError = message(error);
        this.#options.onError?.(error);
        pause = this.#options.retryDelayMs ?? 10_000;
      }
      if (this.#stopped) break;
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

  /** Takes or renews the lease; answers whether this replica holds it. */
  async #lease(): Promise<boolean> {
    const rows = await this.#options.db.query(
      `insert into pop_jobs_lease (name, holder, expires_at) values ($1, $2, now() + $3 * interval '1 millisecond')
       on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
       where pop_jobs_lease.holder = excluded.holder or pop_jobs_lease.expires_at < now()
       returning holder`,
      [ANCHOR_LEASE, this.#holder, this.#options.leaseMs ?? 120_000],
    );
    return rows.length === 1;
  }

  /**
   * One pass, if this replica holds the lease: anchored jobs whose block has the finality asked become
   * `final`; the pending batch is finished, or, when none is, a new one is formed if due. Answers how many
   * jobs the pass anchored.
   */
  async runOnce(): Promise<number> {
    if (!(await this.#lease())) return 0;
    // Renewed while a batch is prepared and mined: that can outlast a lease.
    const leaseMs = this.#options.leaseMs ?? 120_000;
    const renewal = setInterval(() => void this.#lease().catch(() => {}), Math.max(50, Math.floor(leaseMs / 3)));
    try {
      await this.#finalise();
      let batch = await this.#pending();
      if (batch.length === 0) batch = await this.#formBatch();
      if (batch.length === 0) return 0;
      const anchored = await this.#anchor(batch);
      await this.#finalise();
      return anchored;
    } finally {
      clearInterval(renewal);
    }
  }

  /** The batch a pass began and did not finish (a crash, a failure): finished before any other. */
  #pending(): Promise<PendingRow[]> {
    const { db, evmChainId, registry } = this.#options;
    return db.query<PendingRow>(
      `select job_id, tenant_id, chain_id from pop_jobs_anchor
       where status = 'pending' and evm_chain_id = $1 and registry = $2 order by created_at, job_id`,
      [evmChainId, registry],
    );
  }

  /**
   * Ready jobs: completed, both packets stored (decision 028: the anchor needs the packets retrievable, not
   * the Numbers commits), of a tenant this service signs for, not yet in a batch. Up to `every` of them, the
   * longest ready first, become the new batch if there are `every`, or if the oldest has waited `intervalMs`.
   */
  async #formBatch(): Promise<PendingRow[]> {
    const { db, every, intervalMs, signers } = this.#options;
    const ready = await db.query<ReadyJob>(
      `select j.job_id, j.tenant_id, j.process_id, max(e.stored_at) + $3 * interval '1 millisecond' <= now() as due
       from pop_jobs_job j join pop_jobs_event e on e.job_id = j.job_id
       where j.status <> 'submitted' and j.tenant_id = any($1::text[]) and e.stored_at is not null
         and not exists (select 1 from pop_jobs_anchor a where a.job_id = j.job_id)
       group by j.job_id, j.tenant_id, j.process_id having count(*) = 2
       order by max(e.stored_at), j.job_id limit $2`,
      [[...signers.keys()], every, intervalMs],
    );
    if (ready.length === 0 || (ready.length < every && !ready.some((job) => job.due))) return [];
    const batch = ready.map((job) => ({ job_id: job.job_id, tenant_id: job.tenant_id, chain_id: randomUuidV4() }));
    const runs = await this.#runs(batch);
    await db.transaction(async (sql) => {
      for (const [i, job] of batch.entries())
        await this.#insertPending(
          sql,
          job,
          storedRunKey(runs[i] as StoredRun, this.#options.evmChainId, this.#options.registry),
        );
    });
    return batch;
  }

  async #insertPending(sql: Sql, job: PendingRow, runKey: string): Promise<void> {
    const { evmChainId, registry, explorerUrl } = this.#options;
    await sql.query(
      `insert into pop_jobs_anchor (job_id, tenant_id, evm_chain_id, registry, run_key, chain_id, status, explorer)
       values ($1, $2, $3, $4, $5, $6, 'pending', $7)`,
      [job.job_id, job.tenant_id, evmChainId, registry, runKey, job.chain_id, explorerUrl ?? null],
    );
  }

  /** Each job's run: its two packets, oldest first, the chainscript signed with its tenant's key. */
  async #runs(batch: readonly PendingRow[]): Promise<StoredRun[]> {
    const rows = await this.#options.db.query<{ job_id: string; event_type: string; packet: Uint8Array }>(
      `select job_id, event_type, packet from pop_jobs_event where job_id = any($1::text[]) order by job_id, id`,
      [batch.map((job) => job.job_id)],
    );
    return batch.map((job) => {
      const events = rows.filter((row) => row.job_id === job.job_id);
      const packets = events.map((row) => ({ stageId: row.event_type, bytes: new Uint8Array(row.packet) }));
      const submitted = packets[0];
      if (packets.length !== 2 || submitted === undefined)
        throw new Error(`Job ${job.job_id} has ${packets.length} recorded event(s); its chainscript needs two.`);
      const first = decodePacket(submitted.bytes).packet;
      const signer = this.#options.signers.get(job.tenant_id);
      if (signer === undefined)
        throw new Error(`No signing key of tenant ${job.tenant_id} is loaded: job ${job.job_id} cannot be anchored.`);
      return {
        label: `job:${job.job_id}`,
        tenantId: job.tenant_id,
        processId: first.processId,
        chainId: job.chain_id,
        packets,
        // The job's input files come from outside the run; the specification (JobSubmitted's output) from inside.
        externalInputs: first.inputs.assetHashes ?? [],
        signer,
      };
    });
  }

  async #anchor(batch: readonly PendingRow[]): Promise<number> {
    const o = this.#options;
    let result: AnchorResult;
    try {
      result = await anchorStoredRuns(
        {
          db: o.db,
          publicClient: o.publicClient,
          registry: o.registry,
          evmChainId: o.evmChainId,
          anchorSigner: o.anchorSigner,
          relayer: o.relayer,
          providers: o.providers,
          ...(o.quorum === undefined ? {} : { quorum: o.quorum }),
          ...(o.onStep === undefined ? {} : { onStep: o.onStep }),
        },
        { runs: await this.#runs(batch), confirmations: 1, pollingIntervalMs: o.txPollingIntervalMs ?? 1_000 },
      );
    } catch (error) {
      await o.db.query(
        "update pop_jobs_anchor set last_error = $2 where job_id = any($1::text[]) and status = 'pending'",
        [batch.map((job) => job.job_id), message(error).slice(0, 2000)],
      );
      throw error;
    }
    for (const run of result.runs) {
      const receipt = run.receipt;
      if (receipt === undefined) continue;
      await o.db.query(
        `update pop_jobs_anchor set status = 'anchored', chainscript_cid = $2, chain_hash = $3, tx_hash = $4,
           block_number = $5, anchored_at = now(), last_error = null
         where job_id = $1 and status = 'pending'`,
        [
          run.manifest.replace(/^job:/, ""),
          receipt.chainscriptCid,
          receipt.chainHash,
          receipt.transaction.hash,
          receipt.transaction.blockNumber,
        ],
      );
    }
    return result.runs.length;
  }

  /** Anchored jobs whose block has the finality asked become `final`; one whose transaction is gone stays. */
  async #finalise(): Promise<void> {
    const { db, publicClient, evmChainId, registry, finality } = this.#options;
    const rows = await db.query<{ job_id: string; tx_hash: string; block_number: string | number }>(
      `select job_id, tx_hash, block_number from pop_jobs_anchor
       where status = 'anchored' and evm_chain_id = $1 and registry = $2`,
      [evmChainId, registry],
    );
    if (rows.length === 0) return;
    const final =
      finality === "finalized"
        ? (await getBlock(publicClient, { blockTag: "finalized" })).number
        : (await getBlockNumber(publicClient, { cacheTime: 0 })) - BigInt(finality) + 1n;
    const checked = new Map<string, bigint | null>();
    for (const row of rows) {
      if (BigInt(row.block_number) > final) continue;
      // The block is final only if the transaction is still in it: a reorganised chain moves or drops it.
      if (!checked.has(row.tx_hash)) {
        const receipt = await getTransactionReceipt(publicClient, { hash: row.tx_hash as `0x${string}` }).catch(
          () => null,
        );
        checked.set(row.tx_hash, receipt?.status === "success" ? receipt.blockNumber : null);
      }
      const block = checked.get(row.tx_hash);
      if (block === null || block === undefined) {
        await db.query("update pop_jobs_anchor set last_error = $2 where job_id = $1", [
          row.job_id,
          `Transaction ${row.tx_hash} is no longer in block ${row.block_number}: the chain was reorganised.`,
        ]);
        continue;
      }
      if (block > final) continue;
      await db.query(
        `update pop_jobs_anchor set status = 'final', block_number = $2, final_at = now(), last_error = null
         where job_id = $1 and status = 'anchored'`,
        [row.job_id, block.toString()],
      );
    }
  }
}
