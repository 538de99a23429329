import type { Migration } from "../../db/migrate.ts";

/** Namespace of the anchoring pipeline's migrations in `pop_migration`. */
export const ANCHOR_SCHEMA = "anchor";

/**
 * The anchoring pipeline's durable state. A run moves through `step`:
 * registered → packets → chained → stored → signed → submitted → confirmed → done,
 * each change committed before the work of the next begins. Packets are rows
 * of their own, committed in chunks. A submission is one transaction (anchor
 * or anchorBatch) from one sender at one nonce; each of its attempts (the
 * first and every fee bump) is recorded, signed, before it is broadcast, so a
 * re-run can always look up what may already be on the way. An anchor found in
 * the registry, put there by a transaction not sent from here, is recorded as
 * a submission with status `found` (migration 2; decision 014). The submission
 * and attempt tables are the transaction engine's (src/transactions/), shared
 * with the direct Numbers committer through `purpose` (migration 3).
 */
export const ANCHOR_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "anchor runs, packets, submissions and attempts",
    sql: `
      create table pop_anchor_submission (
        id bigserial primary key,
        evm_chain_id integer not null,
        registry text not null,
        sender text not null,
        nonce bigint not null,
        status text not null check (status in ('pending', 'confirmed', 'reverted', 'dropped')),
        tx_hash text,
        block_number bigint,
        gas_used numeric,
        fee numeric,
        created_at timestamptz not null default now()
      );
      create index pop_anchor_submission_sender on pop_anchor_submission (evm_chain_id, sender, status);
      create table pop_anchor_attempt (
        submission_id bigint not null references pop_anchor_submission (id),
        attempt integer not null,
        hash text not null unique,
        raw text not null,
        max_fee_per_gas numeric not null,
        max_priority_fee_per_gas numeric not null,
        created_at timestamptz not null default now(),
        sent_at timestamptz,
        primary key (submission_id, attempt)
      );
      create table pop_anchor_run (
        run_key text primary key,
        evm_chain_id integer not null,
        registry text not null,
        manifest_path text not null,
        manifest_sha256 text not null,
        tenant_id text not null,
        process_id text not null,
        chain_id text not null,
        packet_count integer not null check (packet_count > 0),
        step text not null check (step in
          ('registered', 'packets', 'chained', 'stored', 'signed', 'submitted', 'confirmed', 'done')),
        chainscript bytea,
        chainscript_cid text,
        chain_hash text,
        anchor text,
        signature text,
        submission_id bigint references pop_anchor_submission (id),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (evm_chain_id, registry, tenant_id, chain_id)
      );
      create table pop_anchor_packet (
        run_key text not null references pop_anchor_run (run_key),
        sequence integer not null,
        stage_id text not null,
        cid text not null,
        bytes bytea not null,
        primary key (run_key, sequence)
      );`,
  },
  {
    id: 2,
    name: "anchors found in the registry, landed by transactions not sent from here",
    // A run whose anchor some other transaction put in the registry (a relayer that front-ran ours, another
    // process, an earlier attempt an RPC had lost) points at a 'found' submission: that transaction, at its
    // sender's nonce, without attempts. One row per transaction, shared by the runs it anchored. Rows that
    // are not 'pending' never take part in choosing a nonce.
    sql: `
      alter table pop_anchor_submission drop constraint pop_anchor_submission_status_check;
      alter table pop_anchor_submission add constraint pop_anchor_submission_status_check
        check (status in ('pending', 'confirmed', 'reverted', 'dropped', 'found'));
      alter table pop_anchor_submission add column anchors integer;
      create unique index pop_anchor_submission_found on pop_anchor_submission (evm_chain_id, tx_hash)
        where status = 'found';`,
  },
  {
    id: 3,
    name: "submissions of any purpose: the transaction engine shared with the Numbers committer",
    // One nonce sequence per (chain, sender) whoever sends: the engine chooses nonces over every pending row.
    sql: `
      alter table pop_anchor_submission add column purpose text not null default 'anchor'
        check (purpose in ('anchor', 'numbers-commit'));`,
  },
];
