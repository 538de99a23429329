import type { Migration } from "../db/migrate.ts";

/** Namespace of the Numbers committers' migrations in `pop_migration`. */
export const NUMBERS_SCHEMA = "numbers";

/**
 * One row per idempotency key (`gpu-job-{jobId}-{eventType}`), written before
 * any request leaves, so the key is unique in the database whatever the
 * replicas and crashes. Both committers share the table; `status` values are
 * the committer's own (the capture-api ones are checked here; the direct
 * committer adds its own check and columns in a later migration of this
 * namespace). A row is worked on by whoever holds its lease (`claim`,
 * `lease_until`): the process that inserted it, or one that takes it over once
 * the lease has run out (a crash).
 *
 * capture-api statuses (docs/decisions/023-capture-api-committer.md):
 * - registering: the register request may have been sent; nid unknown.
 * - updating: registered (nid known); the update request may have been sent.
 * - unsent: the last request was refused (insufficient NUM, 401/403, 4xx): it
 *   did not take effect; `nid` says which step to make again.
 * - ambiguous: a register may have taken effect and nothing can tell; an operator decides.
 * - submitted: the update (the commit carrying commitData) was accepted.
 * - committed: Numbers reports the commit's transaction.
 */
export const NUMBERS_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "ERC-7053 commits on Numbers, one per idempotency key",
    sql: `
      create table pop_numbers_commit (
        idempotency_key text primary key,
        committer text not null check (committer in ('direct', 'capture-api')),
        asset_cid text not null,
        asset bytea not null,
        commit_data text not null,
        status text not null,
        nid text,
        nid_matches boolean,
        tx_hash text,
        block_number bigint,
        explorer_url text,
        last_error text,
        claim text,
        lease_until timestamptz not null default now(),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint pop_numbers_commit_capture_status check (committer <> 'capture-api' or status in
          ('registering', 'updating', 'unsent', 'ambiguous', 'submitted', 'committed'))
      );
      create index pop_numbers_commit_open on pop_numbers_commit (committer, status) where status <> 'committed';
      create index pop_numbers_commit_asset on pop_numbers_commit (asset_cid);`,
  },
];
