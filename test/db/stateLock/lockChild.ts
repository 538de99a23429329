/**
 * A process that takes the state-directory lock, for the racing tests
 * (stateLockRace.test.ts spawns many at once with `process.execPath`). Each
 * prints `ready`, waits for the line `go` on stdin so that all start together,
 * then, by POP_LOCK_MODE:
 *   hold   takes the lock POP_LOCK_ROUNDS times (retrying while another holds
 *          it), each time appending `acquire <name>` and `release <name>` to
 *          POP_LOCK_LOG around a short hold, plus `stolen <name>` if the lock
 *          file stops naming it meanwhile;
 *   once   tries once: prints `won`, keeps the lock until stdin ends, or prints
 *          `locked <json of lockedBy and holder>`;
 *   crash  takes the lock and kills itself with SIGKILL, leaving it stale.
 * Lines go to the log with O_APPEND, so each lands whole and in the order written.
 *
 * Loaded as a module (mocha loads every file under test/), it does nothing.
 */
import { appendFileSync, readFileSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseHolder } from "../../../src/db/lockOwner.ts";
import { LOCK_NAME, lockStateDirectory, type StateLock, StateLockedError } from "../../../src/db/stateLock.ts";

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.length === 0) throw new Error(`${name} is not set`);
  return value;
}

/** Straight to file descriptor 1: a line printed before a SIGKILL is never lost in a buffer. */
const print = (line: string) => writeSync(1, `${line}\n`);

/** Resolves at the line `go`; `ended` resolves when stdin closes. */
function stdinSignals(): { go: Promise<void>; ended: Promise<void> } {
  const lines = createInterface({ input: process.stdin });
  const go = new Promise<void>((resolve) => lines.on("line", (line) => line === "go" && resolve()));
  const ended = new Promise<void>((resolve) => lines.on("close", resolve));
  return { go, ended };
}

/**
 * A claimant descheduled for seconds on a loaded machine must not turn a
 * verdict into "taking over": the tests assert who holds, not how fast.
 */
const patient = { busyTimeoutMs: 150_000 };

/** Takes the lock, waiting out other holders: only StateLockedError means "someone else has it". */
async function takeEventually(dir: string): Promise<StateLock> {
  for (;;) {
    try {
      return await lockStateDirectory(dir, patient);
    } catch (error) {
      if (!(error instanceof StateLockedError) || !error.retryable) throw error;
      await sleep(Math.random() * 10);
    }
  }
}

async function hold(dir: string, name: string, signals: { go: Promise<void> }): Promise<void> {
  const log = required("POP_LOCK_LOG");
  const rounds = Number(process.env.POP_LOCK_ROUNDS ?? "1");
  const holdMs = Number(process.env.POP_LOCK_HOLD_MS ?? "10");
  const stillMine = (lock: StateLock) => {
    try {
      return parseHolder(readFileSync(resolve(dir, LOCK_NAME), "utf8"))?.token === lock.owner.token;
    } catch (error) {
      // Removed under its holder: as stolen as a lock another process replaced.
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
  };
  await signals.go;
  for (let round = 0; round < rounds; round++) {
    const lock = await takeEventually(dir);
    appendFileSync(log, `acquire ${name}\n`);
    if (!stillMine(lock)) appendFileSync(log, `stolen ${name}\n`);
    await sleep(holdMs);
    if (!stillMine(lock)) appendFileSync(log, `stolen ${name}\n`);
    appendFileSync(log, `release ${name}\n`);
    lock.release();
  }
}

async function once(dir: string, signals: { go: Promise<void>; ended: Promise<void> }): Promise<void> {
  await signals.go;
  let lock: StateLock;
  try {
    lock = await lockStateDirectory(dir, patient);
  } catch (error) {
    if (!(error instanceof StateLockedError)) throw error;
    print(`locked ${JSON.stringify({ lockedBy: error.lockedBy, pid: error.holder.pid })}`);
    return;
  }
  print("won");
  await signals.ended;
  lock.release();
}

async function main(): Promise<void> {
  const dir = required("POP_LOCK_DIR");
  const mode = required("POP_LOCK_MODE");
  if (mode === "crash") {
    await lockStateDirectory(dir);
    print("held");
    process.kill(process.pid, "SIGKILL");
    return;
  }
  const signals = stdinSignals();
  print("ready");
  if (mode === "hold") await hold(dir, required("POP_LOCK_NAME"), signals);
  else if (mode === "once") await once(dir, signals);
  else throw new Error(`unknown POP_LOCK_MODE ${mode}`);
  // stdin stays open in "hold" mode: exit rather than wait for the parent to close it.
  process.exit(0);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
