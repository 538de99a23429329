/**
 * Who holds a lock file (stateLock.ts), and whether that holder still runs.
 * Decision 015 explains why each field is there.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";

/** What a lock file says about its holder; every field but `pid` is missing from a lock an older pop wrote. */
export interface LockHolder {
  readonly pid: number;
  readonly host?: string;
  /** When the lock was taken (ISO 8601). */
  readonly since?: string;
  /** `<boot id>:<start time in clock ticks>` on Linux: tells a reused pid from the process that took the lock. */
  readonly start?: string;
  /** Random and unique to one lock file: release and takeover act only on the lock file they read. */
  readonly token?: string;
}

/** The record this process writes: complete, so a lock file it creates always names its holder in full. */
export type LockOwner = Required<Pick<LockHolder, "pid" | "host" | "since" | "token">> & Pick<LockHolder, "start">;

/**
 * "this process" (a lock it holds), "alive", "dead" (its lock is stale), or
 * "unknown" when it ran on another host sharing the directory: nothing here
 * can tell whether it still runs, so it is never taken for dead.
 */
export type Liveness = "this process" | "alive" | "dead" | "unknown";

const TOKEN = /^[0-9a-f]{32}$/;
// Linux's pid_max is at most 2^22; anything past 2^31 is no pid, and process.kill(0 or negative) would signal groups.
const MAX_PID = 2 ** 31 - 1;

const isPid = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value > 0 && value <= MAX_PID;

/** Answers undefined where /proc does not exist (macOS, Windows) or hides the file; other failures are real. */
function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "EACCES" || code === "ESRCH") return undefined;
    throw error;
  }
}

let boot: { readonly id: string | undefined } | undefined;
/** The kernel's id of this boot: a start time in ticks since boot means nothing across a reboot without it. */
function bootId(): string | undefined {
  boot ??= { id: readProc("/proc/sys/kernel/random/boot_id")?.trim() };
  return boot.id;
}

/** A process's scheduler state and start identity from /proc/<pid>/stat, or undefined off Linux or once it is gone. */
export function processStart(pid: number): { readonly state: string; readonly start: string } | undefined {
  const id = bootId();
  const stat = id === undefined ? undefined : readProc(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces and parentheses itself: count from the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const [state, ticks] = [fields[0], fields[19]];
  if (state === undefined || ticks === undefined) return undefined;
  return { state, start: `${id}:${ticks}` };
}

/** A new owner record for this process, with a fresh token. */
export function newOwner(): LockOwner {
  const start = processStart(process.pid)?.start;
  return {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    ...(start === undefined ? {} : { start }),
    token: randomBytes(16).toString("hex"),
  };
}

/**
 * Reads a lock file's text: this version's JSON record, or the bare pid an
 * older pop wrote. Anything else (empty, truncated, foreign) holds no holder.
 */
export function parseHolder(text: string): LockHolder | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const pid = Number(trimmed);
    return isPid(pid) ? { pid } : undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { pid, host, since, start, token } = value as Record<string, unknown>;
  // The token names takeover files, so it must be exactly what newOwner draws.
  if (!isPid(pid) || typeof host !== "string" || typeof since !== "string" || typeof token !== "string")
    return undefined;
  if (!TOKEN.test(token)) return undefined;
  return { pid, host, since, ...(typeof start === "string" ? { start } : {}), token };
}

/** Whether `holder` still runs; `held` is the tokens of the locks this process holds. */
export function liveness(holder: LockHolder, held: ReadonlySet<string>): Liveness {
  if (holder.host !== undefined && holder.host !== hostname()) return "unknown";
  if (holder.token !== undefined && held.has(holder.token)) return "this process";
  if (holder.start !== undefined) {
    const [bootOfHolder] = holder.start.split(":");
    const current = bootId();
    if (current !== undefined && bootOfHolder !== current) return "dead";
  }
  if (holder.pid === process.pid) {
    // Our pid on a lock we did not take: another copy of this module in this process (a worker, a second loader)
    // if the start matches, else a process before us that had our pid (a restarted container's pid 1).
    const own = processStart(process.pid)?.start;
    return holder.start !== undefined && holder.start === own ? "this process" : "dead";
  }
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ESRCH") return "dead";
    // EPERM: the pid runs, under another user.
    if (code !== "EPERM") throw error;
  }
  const now = processStart(holder.pid);
  if (now === undefined) return "alive";
  // A zombie answers signal 0 but holds nothing any more; a different start is a reused pid.
  if (now.state === "Z" || now.state === "X") return "dead";
  return holder.start === undefined || holder.start === now.start ? "alive" : "dead";
}
