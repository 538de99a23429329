import type { Migration } from "../db/migrate.ts";

/**
 * Namespace of the direct committer's migrations in `pop_migration`; the Capture API committer has
 * its own ("numbers"), so the two never number each other's migrations.
 */
export const NUMBERS_DIRECT_SCHEMA = "numbers-direct";

/**
 * One row per idempotency key: the commit it stands for, and the submission
 * (the transaction engine's, purpose `numbers-commit`) carrying it. The key is
 * the primary key: whatever the retries, crashes or replicas, one row, and one
 * submission at a time (taken in the engine's recording transaction only while
 * `submission_id` is null). A released submission (dropped) sets it back to
 * null. `origin` says whether the mined transaction was ours (`sent`) or one
 * from our sender found on chain (`found`).
 */
export const NUMBERS_DIRECT_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "direct commits on Numbers, one per idempotency key",
    sql: `
      create table pop_numbers_direct_commit (
        idempotency_key text primary key,
        evm_chain_id integer not null,
        commit_contract text not null,
        sender text not null,
        asset_cid text not null,
        commit_data text not null,
        status text not null check (status in ('pending', 'committed')),
        submission_id bigint references pop_anchor_submission (id),
        tx_hash text,
        block_number bigint,
        origin text check (origin in ('sent', 'found')),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      create index pop_numbers_direct_commit_submission on pop_numbers_direct_commit (submission_id);
      create index pop_numbers_direct_commit_pending on pop_numbers_direct_commit (status) where status = 'pending';`,
  },
];
