import type { Migration } from "../../db/migrate.ts";

/** Namespace of the receipts service's migrations in `pop_migration`. */
export const JOBS_SCHEMA = "jobs";

/**
 * The receipts service's durable state (decision 025).
 *
 * - `pop_jobs_api_key`: per-tenant API keys, kept as the SHA-256 of the secret only.
 * - `pop_jobs_job`: one row per job, created with its JobSubmitted event, holding the submitted
 *   facts the JobCompleted packet repeats. `seq` orders the list route and is its cursor.
 * - `pop_jobs_event`: the outbox. One row per lifecycle event, unique by idempotency key
 *   (`gpu-job-{jobId}-{eventType}`), written with the signed packet in the request's transaction.
 *   The worker moves it recorded → stored → submitted → committed; `next_attempt_at` is both the
 *   retry time and the lease of the replica working on it.
 * - `pop_jobs_anchor` (migration 2, decision 028): a job's Base anchor, one row per job, written
 *   `pending` with its chainscript UUID and the pipeline's run key before the batch is prepared, then
 *   `anchored` (transaction, block) and `final` (the block has the configured finality).
 * - `pop_jobs_lease`: named leases; the replica holding `anchor` is the only one that anchors.
 */
export const JOBS_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "api keys, jobs and their events (the outbox)",
    sql: `
      create table pop_jobs_api_key (
        id text primary key,
        tenant_id text not null,
        key_hash text not null unique,
        created_at timestamptz not null default now(),
        revoked_at timestamptz
      );
      create table pop_jobs_job (
        job_id text primary key,
        seq bigserial not null unique,
        tenant_id text not null,
        task_type text not null,
        executor text not null,
        gpu text not null,
        process_id text not null,
        status text not null check (status in ('submitted', 'succeeded', 'failed')),
        submitted jsonb not null,
        created_at timestamptz not null default now(),
        completed_at timestamptz
      );
      create index pop_jobs_job_list on pop_jobs_job (tenant_id, seq);
      create table pop_jobs_event (
        id bigserial primary key,
        idempotency_key text not null unique,
        job_id text not null references pop_jobs_job (job_id),
        tenant_id text not null,
        event_type text not null check (event_type in ('JobSubmitted', 'JobCompleted')),
        packet bytea not null,
        packet_cid text not null,
        packet_hash text not null,
        commit_data text not null,
        status text not null check (status in ('recorded', 'stored', 'submitted', 'committed')),
        attempts integer not null default 0,
        next_attempt_at timestamptz not null default now(),
        last_error text,
        committer text,
        nid text,
        nid_matches_cid boolean,
        tx_hash text,
        block_number bigint,
        explorer_url text,
        created_at timestamptz not null default now(),
        stored_at timestamptz,
        committed_at timestamptz
      );
      create index pop_jobs_event_due on pop_jobs_event (next_attempt_at) where status <> 'committed';
      create index pop_jobs_event_job on pop_jobs_event (job_id, id);`,
  },
  {
    id: 2,
    name: "jobs' anchors on Base, and the anchoring worker's lease",
    sql: `
      create table pop_jobs_anchor (
        job_id text primary key references pop_jobs_job (job_id),
        tenant_id text not null,
        evm_chain_id integer not null,
        registry text not null,
        run_key text not null unique,
        chain_id text not null,
        status text not null check (status in ('pending', 'anchored', 'final')),
        chainscript_cid text,
        chain_hash text,
        tx_hash text,
        block_number bigint,
        explorer text,
        last_error text,
        created_at timestamptz not null default now(),
        anchored_at timestamptz,
        final_at timestamptz
      );
      create index pop_jobs_anchor_open on pop_jobs_anchor (status) where status <> 'final';
      create table pop_jobs_lease (
        name text primary key,
        holder text not null,
        expires_at timestamptz not null
      );`,
  },
];
