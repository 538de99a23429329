/**
 * The `capture-api` committer: an ERC-7053 commit on Numbers through the
 * Capture API, exactly once per idempotency key. Register the packet
 * (`POST /assets/`), then update it with our commitData as custom asset-tree
 * fields (`PATCH /assets/{nid}/`, the commit that carries it), then read it
 * until Numbers reports the transaction. Each step is recorded in
 * `pop_numbers_commit` before its request leaves, by whoever holds the key's
 * lease, so a crash, a retry or a second replica never sends a step twice
 * without first asking the API whether it took effect
 * (docs/decisions/023-capture-api-committer.md).
 */
import { randomUUID } from "node:crypto";
import type { Database } from "../db/database.ts";
import { migrate } from "../db/migrate.ts";
import { contentCid } from "../evidence/cid.ts";
import { ProviderError } from "../storage/errors.ts";
import { sleep } from "../storage/http.ts";
import type { CaptureApi, CaptureAsset } from "./captureApi.ts";
import { type CommitRow, commitRow, loadCommitRow, nidMismatchWarning, receiptOf } from "./commitRows.ts";
import type { CommitReceipt, Committer } from "./committer.ts";
import {
  CommitAmbiguousError,
  CommitInProgressError,
  CommitKeyConflictError,
  InvalidCommitRequestError,
} from "./errors.ts";
import { isCidV1 } from "./nid.ts";
import { NUMBERS_MIGRATIONS, NUMBERS_SCHEMA } from "./schema.ts";

/** Points between recorded steps where a test hook runs; a hook that throws stands for a crash there. */
export type CaptureStep = "before-register" | "before-record-nid" | "before-update" | "before-record-submitted";

export interface CaptureCommitterOptions {
  readonly db: Database;
  readonly api: CaptureApi;
  /** `public_access` of registered assets; default true (receipts are for anyone to audit). */
  readonly publicAccess?: boolean;
  /** How long a claim on a key lasts without being renewed (each recorded step renews it); default 10 min. */
  readonly leaseMs?: number;
  /** How long a repeat waits for the call that holds the key before CommitInProgressError; default 60 s. */
  readonly waitMs?: number;
  /** Pause between looks at a key another call holds; default 100 ms. */
  readonly pollMs?: number;
  /** Told every warning a caller should show (an NID that differs from the CID). */
  readonly onWarning?: (message: string) => void;
  /** Test hook, run at each step; throwing from it leaves the state as a crash there would. */
  readonly hook?: (step: CaptureStep, idempotencyKey: string) => void | Promise<void>;
}

/** How an operator settles a key recorded as ambiguous. */
export type AmbiguityResolution = { readonly nid: string } | { readonly notRegistered: true };

export interface CaptureCommitter extends Committer {
  readonly kind: "capture-api";
  /** Records the operator's answer for a key in `ambiguous`: the NID it was registered under, or that it was not. */
  resolveAmbiguous(idempotencyKey: string, resolution: AmbiguityResolution): Promise<void>;
}

const REGISTER_HEADLINE = "PoP evidence packet";
const UPDATE_HEADLINE = "PoP GPU job receipt";
const registerCaption = (row: CommitRow) =>
  `Proof of Process evidence packet ${row.assetCid} for ${row.idempotencyKey}`;
// Differs from the register caption, so reading the asset tells whether the update took effect.
const updateCaption = (row: CommitRow) => `${registerCaption(row)}, committed`;

const KEY = /^[\x21-\x7e]{1,256}$/;

/**
 * Opens the committer over `db`, applying the "numbers" migrations it lacks.
 *
 * @example
 * const committer = await createCaptureCommitter({ db, api: createCaptureApi(captureApiFromEnv(process.env)) });
 * const receipt = await committer.submit({ idempotencyKey: `gpu-job-${jobId}-JobCompleted`, assetCid, asset, commitData });
 */
export async function createCaptureCommitter(options: CaptureCommitterOptions): Promise<CaptureCommitter> {
  await migrate(options.db, NUMBERS_SCHEMA, NUMBERS_MIGRATIONS);
  const { db, api } = options;
  const leaseMs = options.leaseMs ?? 600_000;
  const waitMs = options.waitMs ?? 60_000;
  const pollMs = options.pollMs ?? 100;
  const hook = async (step: CaptureStep, key: string) => options.hook?.(step, key);

  /** Moves a row this call holds (`claim`) to `status` with `fields`, renewing the lease; fails if the claim was lost. */
  const record = async (key: string, claim: string, status: string, fields: Record<string, unknown> = {}) => {
    const names = Object.keys(fields);
    const sets = names.map((name, i) => `${name} = $${i + 5}`);
    const rows = await db.query(
      `update pop_numbers_commit set status = $3, lease_until = now() + $4 * interval '1 millisecond',
         updated_at = now()${sets.map((s) => `, ${s}`).join("")}
       where idempotency_key = $1 and claim = $2 returning *`,
      [key, claim, status, leaseMs, ...names.map((name) => fields[name])],
    );
    const [row] = rows;
    if (row === undefined) throw new CommitInProgressError(key);
    return commitRow(row);
  };

  /** Ends this call's claim, so the next submit or settle may take the key at once. */
  const release = (key: string, claim: string, status: string, lastError: string | null) =>
    db.query(
      `update pop_numbers_commit set status = $3, last_error = $4, claim = null, lease_until = now(), updated_at = now()
       where idempotency_key = $1 and claim = $2`,
      [key, claim, status, lastError],
    );

  /** Takes the key when nobody holds it (its lease ran out: a crash, or a call that finished). */
  const claimKey = async (key: string): Promise<{ row: CommitRow; claim: string } | undefined> => {
    const claim = randomUUID();
    const [row] = await db.query(
      `update pop_numbers_commit set claim = $2, lease_until = now() + $3 * interval '1 millisecond', updated_at = now()
       where idempotency_key = $1 and committer = 'capture-api' and lease_until <= now()
         and status in ('registering', 'updating', 'unsent') returning *`,
      [key, claim, leaseMs],
    );
    return row === undefined ? undefined : { row: commitRow(row), claim };
  };

  /**
   * Whether an asset not found under its CID was certainly not registered: only
   * when every asset registered here so far got its CID as NID. Until one has,
   * or once one has not, "not found" may mean "registered under another NID".
   */
  const cidLookupTrusted = async () => {
    const [row] = await db.query<{ matched: boolean; mismatched: boolean }>(
      `select coalesce(bool_or(nid_matches), false) as matched, coalesce(bool_or(not nid_matches), false) as mismatched
       from pop_numbers_commit where committer = 'capture-api' and nid is not null`,
    );
    return row?.matched === true && row.mismatched === false;
  };

  /**
   * A probe's own read failing says nothing about the request it probes: its status is
   * dropped, so a 401 on the read is not taken for a refused register (nothing certain is recorded).
   */
  const asProbe = async <T>(read: Promise<T>): Promise<T> => {
    try {
      return await read;
    } catch (error) {
      if (!(error instanceof ProviderError) || error.status === undefined) throw error;
      throw new ProviderError(api.name, `could not tell whether the request took effect (${error.shortMessage})`, {
        retryable: error.retryable,
        cause: error,
      });
    }
  };

  const probeRegistration = async (row: CommitRow, signal?: AbortSignal): Promise<CaptureAsset | "absent"> => {
    const asset = await asProbe(api.find(row.assetCid, signal === undefined ? {} : { signal }));
    if (asset !== undefined) return asset;
    if (await cidLookupTrusted()) return "absent";
    throw new CommitAmbiguousError(
      row.idempotencyKey,
      `A register request for ${row.assetCid} may have reached Numbers (${row.lastError ?? "the process stopped after recording it"}). ` +
        `No asset has that NID, and no asset registered here has yet shown that NIDs equal CIDs. Find the asset in the Numbers account ` +
        `(caption "${registerCaption(row)}") and resolve the key with its NID, or as not registered.`,
    );
  };

  const probeUpdate = async (row: CommitRow, nid: string, signal?: AbortSignal): Promise<true | "absent"> => {
    const asset = await asProbe(api.read(nid, signal === undefined ? {} : { signal }));
    return asset.caption === updateCaption(row) ? true : "absent";
  };

  /** Records how a step failed: refused (nothing happened), ambiguous, or unknown (the next claim asks the API). */
  const failed = async (row: CommitRow, claim: string, error: unknown) => {
    const message = error instanceof Error ? error.message.slice(0, 1000) : String(error);
    if (error instanceof CommitAmbiguousError) return release(row.idempotencyKey, claim, "ambiguous", message);
    const refused = error instanceof ProviderError && error.status !== undefined && error.status < 500;
    return release(row.idempotencyKey, claim, refused ? "unsent" : row.status, message);
  };

  /**
   * Runs `work`; a failure is recorded (refused, ambiguous, or unknown, which the next
   * claim asks the API about) and passed on. Hooks run outside it: a "crash" records nothing.
   */
  const step = async <T>(row: CommitRow, claim: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      await failed(row, claim, error);
      throw error;
    }
  };

  /** Makes the steps of a claimed row up to `submitted`: register (unless the NID is known), then update. */
  const drive = async (start: CommitRow, claim: string, fresh: boolean): Promise<CommitRow> => {
    const key = start.idempotencyKey;
    let row = start;
    // `unsent`: the last request was refused, so it certainly did not take effect.
    let known = fresh || row.status === "unsent";
    if (row.status === "unsent") row = await record(key, claim, row.nid === undefined ? "registering" : "updating");
    if (row.status === "registering") {
      const registering = row;
      const found = known ? "absent" : await step(row, claim, () => probeRegistration(registering));
      await hook("before-register", key);
      const asset =
        found !== "absent"
          ? found
          : await step(row, claim, () =>
              api.register(
                {
                  cid: registering.assetCid,
                  asset: registering.asset,
                  caption: registerCaption(registering),
                  headline: REGISTER_HEADLINE,
                  publicAccess: options.publicAccess ?? true,
                },
                { probe: (signal) => probeRegistration(registering, signal) },
              ),
            );
      await hook("before-record-nid", key);
      row = await record(key, claim, "updating", { nid: asset.nid, nid_matches: asset.nid === row.assetCid });
      known = true;
      const warning = nidMismatchWarning(receiptOf(row));
      if (warning !== undefined) options.onWarning?.(warning);
    }
    if (row.status === "updating") {
      const updating = row;
      const nid = row.nid as string;
      const applied = known ? "absent" : await step(row, claim, () => probeUpdate(updating, nid));
      await hook("before-update", key);
      if (applied === "absent") {
        const data = JSON.parse(row.commitData) as Record<string, unknown>;
        const message = typeof data.abstract === "string" ? data.abstract : `GPU job receipt ${key}`;
        await step(row, claim, () =>
          api.update(
            {
              nid,
              caption: updateCaption(updating),
              headline: UPDATE_HEADLINE,
              commitMessage: message.slice(0, 1000),
              custom: data,
            },
            { probe: (signal) => probeUpdate(updating, nid, signal) },
          ),
        );
      }
      await hook("before-record-submitted", key);
      await release(key, claim, "submitted", null);
    }
    return (await loadCommitRow(db, key)) as CommitRow;
  };

  /** Reads a submitted commit's asset; records the transaction once Numbers reports it. */
  const readCommit = async (row: CommitRow): Promise<CommitRow> => {
    const asset = await api.read(row.nid as string);
    // The update's commit is the asset's latest: the last entry that names a transaction.
    const commit = asset.commits.findLast((entry) => entry.txHash !== undefined);
    if (commit === undefined) return row;
    const [updated] = await db.query(
      `update pop_numbers_commit set status = 'committed', tx_hash = $2, explorer_url = $3, updated_at = now()
       where idempotency_key = $1 and status = 'submitted' returning *`,
      [row.idempotencyKey, commit.txHash, commit.explorerUrl ?? null],
    );
    return updated === undefined ? ((await loadCommitRow(db, row.idempotencyKey)) as CommitRow) : commitRow(updated);
  };

  /** Brings the key to `submitted` (or reports why not), waiting for a call that holds it; reads the API when `read`. */
  const advance = async (key: string, read: boolean): Promise<CommitReceipt> => {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const row = (await loadCommitRow(db, key)) as CommitRow;
      if (row.status === "committed") return receiptOf(row);
      if (row.status === "submitted") return receiptOf(read ? await readCommit(row) : row);
      if (row.status === "ambiguous") throw new CommitAmbiguousError(key, row.lastError ?? "");
      const claimed = await claimKey(key);
      if (claimed !== undefined) {
        await drive(claimed.row, claimed.claim, false);
        continue;
      }
      if (Date.now() >= deadline) throw new CommitInProgressError(key);
      await sleep(pollMs);
    }
  };

  return {
    kind: "capture-api",

    async submit(request) {
      const key = request.idempotencyKey;
      if (!KEY.test(key)) {
        throw new InvalidCommitRequestError(
          "idempotencyKey must be 1 to 256 printable ASCII characters without spaces.",
        );
      }
      const computed = await contentCid(request.asset);
      if (computed !== request.assetCid) {
        throw new InvalidCommitRequestError(`assetCid is ${request.assetCid}, but the asset's CID is ${computed}.`);
      }
      const commitData = JSON.stringify(request.commitData);
      const claim = randomUUID();
      const [inserted] = await db.query(
        `insert into pop_numbers_commit
           (idempotency_key, committer, asset_cid, asset, commit_data, status, claim, lease_until)
         values ($1, 'capture-api', $2, $3, $4, 'registering', $5, now() + $6 * interval '1 millisecond')
         on conflict (idempotency_key) do nothing returning *`,
        [key, request.assetCid, request.asset, commitData, claim, leaseMs],
      );
      if (inserted !== undefined) return receiptOf(await drive(commitRow(inserted), claim, true));
      const recorded = (await loadCommitRow(db, key)) as CommitRow;
      if (recorded.committer !== "capture-api" || recorded.assetCid !== request.assetCid) {
        throw new CommitKeyConflictError(key, `${recorded.assetCid} (${recorded.committer})`, request.assetCid);
      }
      return advance(key, false);
    },

    async settle(key) {
      const row = await loadCommitRow(db, key);
      if (row === undefined) return undefined;
      return advance(key, true);
    },

    async resolveAmbiguous(key, resolution) {
      if ("nid" in resolution && !isCidV1(resolution.nid)) {
        throw new InvalidCommitRequestError(`nid "${resolution.nid.slice(0, 80)}" is not a CIDv1.`);
      }
      const [row] = await db.query(
        `update pop_numbers_commit set status = $2, nid = $3, nid_matches = $3 = asset_cid, last_error = null,
           claim = null, lease_until = now(), updated_at = now()
         where idempotency_key = $1 and committer = 'capture-api' and status = 'ambiguous' returning *`,
        "nid" in resolution ? [key, "updating", resolution.nid] : [key, "unsent", null],
      );
      if (row === undefined) throw new InvalidCommitRequestError(`${key} is not a commit waiting for an operator.`);
    },
  };
}
