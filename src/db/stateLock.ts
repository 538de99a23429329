/**
 * The lock that keeps an embedded state directory to one process (decision 015).
 *
 * `pop.lock` only ever comes into being as a hard link to a temp file that
 * already holds the whole owner record, so it never exists empty or half
 * written, and link(2) fails with EEXIST atomically when the lock is taken.
 * A stale lock (its holder dead) is removed only by the process holding the
 * claim file `pop.lock.takeover-<id of that lock>`, itself created by link:
 * of all processes that saw the same stale lock, one removes it, and none
 * removes a lock taken after it.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  fstatSync,
  linkSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DatabaseError } from "./database.ts";
import { type Liveness, type LockHolder, type LockOwner, liveness, newOwner, parseHolder } from "./lockOwner.ts";

export const LOCK_NAME = "pop.lock";

/** Nested claims only pile up when claimants die mid-takeover, one level per death. */
const MAX_CLAIM_DEPTH = 8;

/** Tokens of the locks this process (this copy of the module) holds. */
const held = new Set<string>();

/** Why a lock could not be taken: the holder is this process, another live one, or one on another host. */
export type LockedBy = Exclude<Liveness, "dead"> | "taking over";

/** The state directory is locked by another holder; `holder` names it as its lock file does. */
export class StateLockedError extends DatabaseError {
  override name = "StateLockedError";
  readonly directory: string;
  readonly holder: LockHolder;
  readonly lockedBy: LockedBy;

  constructor(directory: string, holder: LockHolder, lockedBy: LockedBy) {
    const who = `(pid ${holder.pid})${holder.host === undefined ? "" : ` on host ${holder.host}`}${holder.since === undefined ? "" : ` since ${holder.since}`}`;
    const lockFile = join(directory, LOCK_NAME);
    const sentences: Record<LockedBy, readonly [shortMessage: string, details: string]> = {
      "this process": [
        `The state database ${directory} is already open in this process (pid ${holder.pid}).`,
        "PGlite serves one connection at a time: close the open database first.",
      ],
      alive: [
        `The state database ${directory} is in use by another process ${who}.`,
        "PGlite serves one process at a time: wait for it, or use a Postgres server through DATABASE_URL.",
      ],
      unknown: [
        `The state database ${directory} is in use by another process ${who}.`,
        `That host is not this one (${hostname()}), so pop cannot tell whether the process still runs; if it does not, remove ${lockFile}.`,
      ],
      "taking over": [
        `The state database ${directory} is being taken over from a stale lock by another process ${who}.`,
        "It did not finish in time: try again; if this persists, that process is stuck.",
      ],
    };
    const [shortMessage, details] = sentences[lockedBy];
    super(shortMessage, { details, retryable: lockedBy !== "this process" });
    this.directory = directory;
    this.holder = holder;
    this.lockedBy = lockedBy;
  }
}

/** A held lock; `release` removes the lock file only while it is still this lock's, and only once. */
export interface StateLock {
  readonly path: string;
  readonly owner: LockOwner;
  release(): void;
}

export interface LockStateDirectoryOptions {
  /** How long to wait while another process removes the same stale lock (default 10 s). */
  readonly busyTimeoutMs?: number;
}

interface LockFile {
  readonly holder: LockHolder | undefined;
  /** Our records are named by their token; anything else by its inode and bytes, which no later file shares. */
  readonly id: string;
}

function readLockFile(path: string): LockFile | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const { dev, ino } = fstatSync(fd);
    const text = readFileSync(fd, "utf8");
    const holder = parseHolder(text);
    const id = holder?.token ?? createHash("sha256").update(`${dev}:${ino}:${text}`).digest("hex").slice(0, 32);
    return { holder, id };
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `path` holding `owner`'s record, or answers false when it exists.
 * The record is written to a temp file first and linked to `path`: the name
 * appears with its content, never before it.
 */
function createExclusive(path: string, owner: LockOwner): boolean {
  const temp = `${path}.${owner.token}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(owner)}\n`, { flag: "wx" });
    try {
      linkSync(temp, path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      // NFS may answer a retransmitted link that succeeded with EEXIST: the temp's link count tells (open(2)).
      return statSync(temp).nlink === 2;
    }
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Removes `path` if it is still the file named `id`. */
function removeIfStill(path: string, id: string): void {
  if (readLockFile(path)?.id !== id) return;
  // Nobody else removes or replaces it between this read and the unlink: it is either ours (only we release
  // it) or stale under our claim (only the claim's holder removes it). Decision 015 has the argument.
  unlinkSync(path);
}

/**
 * Removes the stale file at `path` named `staleId`, if it is still there,
 * while holding the claim `pop.lock.takeover-<staleId>`. Answers the live
 * process holding that claim when another process is doing the same right
 * now, else undefined: go round again.
 */
function takeOver(dir: string, path: string, staleId: string, depth: number): LockHolder | undefined {
  const claimPath = join(dir, `${LOCK_NAME}.takeover-${staleId}`);
  const claim = newOwner();
  if (createExclusive(claimPath, claim)) {
    try {
      // Re-read under the claim: another claimant may have removed it already, and a new lock taken its name.
      removeIfStill(path, staleId);
    } finally {
      removeIfStill(claimPath, claim.token);
    }
    return undefined;
  }
  const current = readLockFile(claimPath);
  // Gone: its claimant finished.
  if (current === undefined) return undefined;
  if (current.holder !== undefined && liveness(current.holder, held) !== "dead") return current.holder;
  if (depth >= MAX_CLAIM_DEPTH)
    throw new DatabaseError(`Cannot take over the stale lock in ${dir}: ${depth} claimants died taking it over.`, {
      details: `Remove the files ${LOCK_NAME}* in ${dir} once no pop runs on it.`,
    });
  // Its claimant died mid-takeover: the claim is itself a stale lock, removed the same way under a claim of its own.
  return takeOver(dir, claimPath, current.id, depth + 1);
}

function holding(path: string, owner: LockOwner): StateLock {
  held.add(owner.token);
  let released = false;
  return {
    path,
    owner,
    release() {
      if (released) return;
      released = true;
      try {
        removeIfStill(path, owner.token);
      } finally {
        held.delete(owner.token);
      }
    },
  };
}

/**
 * Locks the state directory `dir` (which must exist) to this process, taking
 * over a lock whose holder is dead; throws StateLockedError when a live
 * process, this one included, holds it.
 *
 * @example
 * const lock = await lockStateDirectory(".pop/state");
 * try { … } finally { lock.release(); }
 */
export async function lockStateDirectory(dir: string, options: LockStateDirectoryOptions = {}): Promise<StateLock> {
  const path = resolve(dir, LOCK_NAME);
  const deadline = Date.now() + (options.busyTimeoutMs ?? 10_000);
  for (;;) {
    const owner = newOwner();
    if (createExclusive(path, owner)) return holding(path, owner);
    const current = readLockFile(path);
    // Released since our link failed: try again at once.
    if (current === undefined) continue;
    if (current.holder !== undefined) {
      const state = liveness(current.holder, held);
      if (state !== "dead") throw new StateLockedError(dir, current.holder, state);
    }
    const claimant = takeOver(dir, path, current.id, 0);
    if (claimant === undefined) continue;
    if (Date.now() >= deadline) throw new StateLockedError(dir, claimant, "taking over");
    // Another process is removing the same stale lock: give it the moment it needs.
    await sleep(5 + Math.random() * 20);
  }
}
