/**
 * The `direct` committer: `commit(assetCid, commitData)` on the configured
 * ERC-7053 commit contract (Numbers' own on Numbers Mainnet, the
 * CommitRegister on the local 31338 stand-in), sent from our own account
 * through the transaction engine shared with the anchoring pipeline
 * (src/transactions/engine.ts; decision 024). Exactly once per idempotency
 * key: the key is recorded first (a repeat answers the recorded receipt and
 * sends nothing); the commit's one submission is taken in the engine's
 * recording transaction, signed, recorded, and only then broadcast; settling
 * looks the recorded attempts up, rebroadcasts the same bytes, bumps fees at
 * the same nonce. Whether the commit already landed by a transaction not
 * recorded here is read from the contract (`getCommits`, then the block's
 * `Commit` log from our sender), never guessed.
 */
import { type Address, encodeFunctionData, type Hex, type LocalAccount } from "viem";
import { estimateGas, getBlockNumber, getContractEvents, getTransactionCount, readContract } from "viem/actions";
import { commitRegisterAbi } from "../anchor/abi.ts";
import type { Database, Sql } from "../db/database.ts";
import { migrate } from "../db/migrate.ts";
import { contentCid } from "../evidence/cid.ts";
import { sleep } from "../storage/http.ts";
import type { ChainClient } from "../transactions/chainReads.ts";
import {
  broadcast,
  currentFees,
  type SenderContext,
  type SendOptions,
  type SettleHooks,
  settleSubmission,
  signAttempt,
  type Wording,
} from "../transactions/engine.ts";
import { TransactionError } from "../transactions/errors.ts";
import { migrateTransactions } from "../transactions/schema.ts";
import { recordSubmission, releaseSubmissionIn, StateConflictError } from "../transactions/state.ts";
import type { CommitReceipt, CommitRequest, Committer } from "./committer.ts";
import { NUMBERS_DIRECT_MIGRATIONS, NUMBERS_DIRECT_SCHEMA } from "./directSchema.ts";

/** Numbers Mainnet's explorer (Blockscout): transactions at `/tx/<hash>`. */

/** A direct commit failed, or cannot be settled for now; `details` says what to do. */
export class DirectCommitError extends TransactionError {
  override name = "DirectCommitError";
}

export interface DirectCommitterOptions extends SendOptions {
  readonly db: Database;
  readonly publicClient: ChainClient;
  /** Sends and pays for the commits: the `recorder` of their Commit events. */
  readonly account: LocalAccount;
  /** The chain id the RPC answers (10507 Numbers Mainnet, 31338 the local stand-in). */
  readonly evmChainId: number;
  /** The ERC-7053 commit contract. */
  readonly commitContract: Address;
  /** The explorer's base URL (env.ts NUMBERS_NETWORKS has Numbers' own); none for local chains. */
  readonly explorerUrl?: string;
  /** Called after each recorded step (state committed). */
  readonly onStep?: (step: string) => void | Promise<void>;
}

interface CommitRow {
  readonly idempotencyKey: string;
  readonly assetCid: string;
  readonly commitData: string;
  readonly status: "pending" | "committed";
  readonly submissionId?: string;
  readonly txHash?: Hex;
  readonly blockNumber?: bigint;
}

const COMMIT_WORDING: Wording = {
  again: "settle the commit again",
  payer: "committer",
  afterRevert: "The commit is released: settle it again to send it anew.",
  error: (message, options) => new DirectCommitError(message, options),
};

/** Gas estimates are exact for this call; the margin covers state changing between estimate and inclusion. */
const gasWithMargin = (gas: bigint) => gas + gas / 5n;

/**
 * A committer that sends its own `commit` transactions.
 *
 * @example
 * const committer = createDirectCommitter({ db, publicClient, account, evmChainId: 10507,
 *   commitContract: "0x7EC2F14ABE8b0Ea2F657bBb62b6fEfDe161c9001", explorerUrl: "https://mainnet.num.network", confirmations: 1 });
 * await committer.submit(request); // pending
 * await committer.settle(request.idempotencyKey); // committed, with txHash and explorerUrl
 */
export function createDirectCommitter(options: DirectCommitterOptions): DirectCommitter {
  return new DirectCommitter(options);
}

export class DirectCommitter implements Committer {
  readonly kind = "direct" as const;
  // Plain fields, not parameter properties: Node runs these sources by stripping types, which those are not.
  private readonly options: DirectCommitterOptions;
  private readonly context: SenderContext;
  private migrated: Promise<void> | undefined;

  constructor(options: DirectCommitterOptions) {
    this.options = options;
    this.context = {
      db: options.db,
      publicClient: options.publicClient,
      sender: options.account,
      evmChainId: options.evmChainId,
      wording: COMMIT_WORDING,
      ...(options.onStep ? { onStep: options.onStep } : {}),
    };
  }

  private ready(): Promise<void> {
    // The engine's tables first: commits refer to its submissions.
    this.migrated ??= migrateTransactions(this.options.db).then(async () => {
      await migrate(this.options.db, NUMBERS_DIRECT_SCHEMA, NUMBERS_DIRECT_MIGRATIONS);
    });
    return this.migrated;
  }

  /**
   * Records the key and sends its commit, once. A repeat of a recorded key answers the recorded receipt
   * (whatever its request carries now) and sends nothing; a key recorded but not yet sent (a crash, or
   * another process sending it right now) is sent by `settle`.
   *
   * @throws {DirectCommitError} when `asset` does not hash to `assetCid`, or the committer cannot pay.
   */
  async submit(request: CommitRequest): Promise<CommitReceipt> {
    const computed = await contentCid(request.asset);
    if (computed !== request.assetCid)
      throw new DirectCommitError(`The asset of commit ${request.idempotencyKey} does not hash to its assetCid.`, {
        details: `assetCid is ${request.assetCid}, the asset's bytes are ${computed}.`,
      });
    await this.ready();
    const { db, evmChainId, commitContract, account } = this.options;
    const inserted = await db.query(
      `insert into pop_numbers_direct_commit
         (idempotency_key, evm_chain_id, commit_contract, sender, asset_cid, commit_data, status)
       values ($1, $2, $3, $4, $5, $6, 'pending') on conflict (idempotency_key) do nothing returning idempotency_key`,
      [
        request.idempotencyKey,
        evmChainId,
        commitContract,
        account.address,
        request.assetCid,
        JSON.stringify(request.commitData),
      ],
    );
    const recorded = (await this.read(request.idempotencyKey)) as CommitRow;
    if (inserted.length === 1) {
      await this.options.onStep?.("recorded");
      await this.send(recorded);
    }
    return this.receipt((await this.read(request.idempotencyKey)) as CommitRow);
  }

  /**
   * Moves the commit on until it is mined with the configured confirmations: sends a recorded key that
   * has no transaction yet, rebroadcasts, bumps fees, sends anew after a drop. `undefined` for an unknown key.
   *
   * @throws {DirectCommitError} when it cannot be settled for now (settle again: nothing is sent twice).
   */
  async settle(idempotencyKey: string): Promise<CommitReceipt | undefined> {
    await this.ready();
    for (let drops = 0; drops < 3; ) {
      const row = await this.read(idempotencyKey);
      if (row === undefined) return undefined;
      if (row.status === "committed") return this.receipt(row);
      if (row.submissionId === undefined) {
        await this.send(row);
        continue;
      }
      const mined = await settleSubmission(this.context, row.submissionId, this.hooks(row), this.options);
      // Released: dropped (the key has no submission again), or the commit was found on chain (committed).
      if (mined === null) drops++;
    }
    throw new DirectCommitError(`The commit of ${idempotencyKey} was dropped three times.`, {
      details: `Another process is sending from ${this.options.account.address}; stop it, then settle the commit again.`,
      retryable: true,
    });
  }

  /** Keys recorded and not yet committed, oldest first: what a service settles after a restart. */
  async pendingKeys(): Promise<string[]> {
    await this.ready();
    const rows = await this.options.db.query<{ idempotency_key: string }>(
      "select idempotency_key from pop_numbers_direct_commit where status = 'pending' order by created_at, idempotency_key",
    );
    return rows.map((row) => row.idempotency_key);
  }

  /**
   * Signs and records the commit's transaction (taking the key's one submission in the same database
   * transaction), then broadcasts it. Sends nothing when another process took the key first.
   */
  private async send(row: CommitRow): Promise<void> {
    const { db, publicClient, account, evmChainId, commitContract } = this.options;
    const data = encodeFunctionData({
      abi: commitRegisterAbi,
      functionName: "commit",
      args: [row.assetCid, row.commitData],
    });
    const gas = await estimateGas(publicClient, { account, to: commitContract, data });
    const call = { to: commitContract, data, gas: gasWithMargin(gas) };
    const chainNonce = await getTransactionCount(publicClient, { address: account.address, blockTag: "pending" });
    const fees = await currentFees(publicClient);
    let recorded: Awaited<ReturnType<typeof recordSubmission>>;
    try {
      recorded = await recordSubmission(
        db,
        { purpose: "numbers-commit", evmChainId, contract: commitContract, sender: account.address, chainNonce },
        (nonce) => signAttempt(this.context, call, nonce, fees),
        (sql, id) => takeKey(sql, row.idempotencyKey, id),
      );
    } catch (error) {
      if (error instanceof StateConflictError) return; // recorded by another process: settled as theirs
      throw error;
    }
    await this.options.onStep?.("submitted");
    await broadcast(this.context, recorded.attempt.raw, recorded.attempt.hash);
    await this.options.onStep?.("sent");
  }

  private hooks(row: CommitRow): SettleHooks {
    return {
      landed: (submission, release) => this.landed(row, submission, release),
      onConfirmed: async (sql, submissionId) => {
        await sql.query(
          `update pop_numbers_direct_commit set status = 'committed', tx_hash = s.tx_hash,
             block_number = s.block_number, origin = 'sent', updated_at = now()
           from pop_anchor_submission s
           where s.id = $1 and pop_numbers_direct_commit.submission_id = s.id`,
          [submissionId],
        );
      },
      onReleased: async (sql, submissionId) => {
        await sql.query(
          `update pop_numbers_direct_commit set submission_id = null, updated_at = now()
           where submission_id = $1 and status = 'pending'`,
          [submissionId],
        );
      },
    };
  }

  /**
   * Whether the contract holds this CID committed by our sender: by one of the submission's attempts
   * (`ours`: the RPC lags), by another transaction of ours (`released`: the commit is recorded with it, the
   * submission released, both at once), or not at all (`absent`).
   */
  private async landed(
    row: CommitRow,
    submission: Parameters<NonNullable<SettleHooks["landed"]>>[0],
    release: Parameters<NonNullable<SettleHooks["landed"]>>[1],
  ): Promise<"ours" | "absent" | "released"> {
    const { publicClient, commitContract, account } = this.options;
    const blocks = await readContract(publicClient, {
      address: commitContract,
      abi: commitRegisterAbi,
      functionName: "getCommits",
      args: [row.assetCid],
    });
    const logs = [];
    // The contract lists the blocks of every commit of the CID: only those blocks are read, no range is scanned.
    for (const block of new Set(blocks)) {
      logs.push(
        ...(await getContractEvents(publicClient, {
          address: commitContract,
          abi: commitRegisterAbi,
          eventName: "Commit",
          args: { recorder: account.address, assetCid: row.assetCid },
          fromBlock: block,
          toBlock: block,
        })),
      );
    }
    if (logs.length === 0) return "absent";
    const attempts = new Set(submission.attempts.map((attempt) => attempt.hash.toLowerCase()));
    if (logs.some((log) => attempts.has(log.transactionHash.toLowerCase()))) return "ours";
    const [found] = logs as [(typeof logs)[number]];
    await this.awaitConfirmations(found.blockNumber, found.transactionHash);
    await this.options.db.transaction(async (sql) => {
      await releaseSubmissionIn(sql, submission.id, release.status, release.txHash);
      await sql.query(
        `update pop_numbers_direct_commit set status = 'committed', tx_hash = $2, block_number = $3, origin = 'found',
           submission_id = null, updated_at = now()
         where idempotency_key = $1 and status = 'pending'`,
        [row.idempotencyKey, found.transactionHash, found.blockNumber.toString()],
      );
    });
    await this.options.onStep?.("found");
    return "released";
  }

  /** Waits until `block` has the configured confirmations (a found commit is trusted no sooner than our own). */
  private async awaitConfirmations(block: bigint, hash: Hex): Promise<void> {
    const { publicClient, confirmations } = this.options;
    const giveUpAt = Date.now() + (this.options.timeoutMs ?? 600_000);
    while ((await getBlockNumber(publicClient, { cacheTime: 0 })) - block + 1n < BigInt(confirmations)) {
      if (Date.now() >= giveUpAt)
        throw new DirectCommitError(
          `The commit found in transaction ${hash} has fewer than ${confirmations} confirmations yet.`,
          {
            details: "Nothing was sent for it: settle the commit again to go on waiting.",
            retryable: true,
          },
        );
      await sleep(this.options.pollingIntervalMs ?? 1_000);
    }
  }

  private async read(idempotencyKey: string): Promise<CommitRow | undefined> {
    const [row] = await this.options.db.query(
      `select idempotency_key, asset_cid, commit_data, status, submission_id::text as submission_id, tx_hash,
         block_number::text as block_number
       from pop_numbers_direct_commit where idempotency_key = $1`,
      [idempotencyKey],
    );
    if (row === undefined) return undefined;
    return {
      idempotencyKey: row.idempotency_key as string,
      assetCid: row.asset_cid as string,
      commitData: row.commit_data as string,
      status: row.status as CommitRow["status"],
      ...(row.submission_id === null ? {} : { submissionId: row.submission_id as string }),
      ...(row.tx_hash === null ? {} : { txHash: row.tx_hash as Hex }),
      ...(row.block_number === null ? {} : { blockNumber: BigInt(row.block_number as string) }),
    };
  }

  private receipt(row: CommitRow): CommitReceipt {
    const base = this.options.explorerUrl?.replace(/\/+$/, "");
    return {
      idempotencyKey: row.idempotencyKey,
      committer: "direct",
      status: row.status,
      assetCid: row.assetCid,
      nid: row.assetCid,
      nidMatchesCid: true,
      ...(row.status === "committed" && row.txHash !== undefined
        ? {
            txHash: row.txHash,
            ...(row.blockNumber === undefined ? {} : { blockNumber: row.blockNumber }),
            ...(base === undefined ? {} : { explorerUrl: `${base}/tx/${row.txHash}` }),
          }
        : {}),
    };
  }
}

/** Takes the key's one submission, inside the engine's recording transaction; another process's earlier take wins. */
async function takeKey(sql: Sql, idempotencyKey: string, submissionId: string): Promise<void> {
  const taken = await sql.query(
    `update pop_numbers_direct_commit set submission_id = $2, updated_at = now()
     where idempotency_key = $1 and submission_id is null and status = 'pending' returning idempotency_key`,
    [idempotencyKey, submissionId],
  );
  if (taken.length !== 1)
    throw new StateConflictError(`Commit ${idempotencyKey} is already being sent by another process.`);
}
