import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as yieldToEvents } from "node:timers/promises";
import { expect } from "chai";
import { parseHolder } from "../../src/db/lockOwner.ts";
import { LOCK_NAME, lockStateDirectory, StateLockedError } from "../../src/db/stateLock.ts";
import { rejection } from "../helpers/rejection.ts";
import { type ChildExit, type LockChild, raceChildren, spawnLockChild } from "./stateLock/children.ts";

/** Enough processes to race on every step of the protocol; few enough for a loaded 2-core machine. */
const RACERS = 12;

describe("lockStateDirectory across processes", function () {
  // Only a bound for a machine under load: no assertion below depends on how long anything takes.
  this.timeout(180_000);

  let dir: string;
  let log: string;
  let spawned: LockChild[] = [];
  const lockFile = () => join(dir, LOCK_NAME);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-lock-"));
    log = join(dir, "holds.log");
    spawned = [];
  });
  afterEach(async () => {
    for (const child of spawned) child.kill();
    await Promise.all(spawned.map((child) => child.exit));
    await rm(dir, { recursive: true, force: true });
  });

  const race = async (count: number, env: (index: number) => Record<string, string>) => {
    const children = await raceChildren(count, (index) => ({ POP_LOCK_DIR: dir, ...env(index) }));
    spawned.push(...children);
    return children;
  };

  const succeeded = (exits: ChildExit[]) =>
    expect(exits.filter((exit) => exit.code !== 0).map((exit) => exit.stderr || String(exit.signal))).to.deep.equal([]);

  /** A lock whose holder was killed holding it, as a crash leaves it; answers the dead holder's pid. */
  async function leaveStaleLock(): Promise<number> {
    const child = spawnLockChild({ POP_LOCK_DIR: dir, POP_LOCK_MODE: "crash" });
    spawned.push(child);
    const exit = await child.exit;
    expect(exit.signal, exit.stderr).to.equal("SIGKILL");
    expect(parseHolder(await readFile(lockFile(), "utf8"))?.pid).to.equal(child.pid);
    return child.pid;
  }

  /**
   * The holds log, checked to be `acquire X`, `release X` pairs one after the
   * other: a hold overlapping another would put a line of one between the
   * other's two, and a lock taken from its holder writes `stolen`.
   */
  async function expectOneHolderAtATime(names: string[], rounds: number): Promise<void> {
    const lines = (await readFile(log, "utf8")).trimEnd().split("\n");
    expect(lines.filter((line) => line.startsWith("stolen"))).to.deep.equal([]);
    expect(lines).to.have.length(names.length * rounds * 2);
    for (let i = 0; i < lines.length; i += 2) {
      const name = lines[i]?.replace(/^acquire /, "");
      expect([lines[i], lines[i + 1]], `holds ${i / 2} and after`).to.deep.equal([
        `acquire ${name}`,
        `release ${name}`,
      ]);
    }
    const holds = lines.filter((line) => line.startsWith("acquire ")).map((line) => line.slice("acquire ".length));
    expect([...holds].sort()).to.deep.equal(names.flatMap((name) => Array<string>(rounds).fill(name)).sort());
  }

  it("lets one process at a time hold the lock, starting from a stale lock that all of them find", async () => {
    await leaveStaleLock();
    const names = Array.from({ length: RACERS }, (_, index) => `racer-${index}`);
    const children = await race(RACERS, (index) => ({
      POP_LOCK_MODE: "hold",
      POP_LOCK_LOG: log,
      POP_LOCK_NAME: names[index] ?? "",
      POP_LOCK_ROUNDS: "2",
      POP_LOCK_HOLD_MS: "5",
    }));
    succeeded(await Promise.all(children.map((child) => child.exit)));
    await expectOneHolderAtATime(names, 2);
    // The last release removed the lock, and no takeover claim or temp file was left behind.
    expect(await readdir(dir)).to.deep.equal(["holds.log"]);
  });

  it("lets exactly one of many processes that find the same stale lock take it over; the others name it", async () => {
    const dead = await leaveStaleLock();
    const children = await race(RACERS, () => ({ POP_LOCK_MODE: "once" }));
    // Nobody lets go before every verdict is in, so a second "won" can only be a second holder.
    const verdicts = await Promise.all(children.map((child) => child.line(/^(won|locked .*)$/)));
    const winners = children.filter((_, index) => verdicts[index] === "won");
    expect(winners.map((child) => child.pid)).to.have.length(1);
    const [winner] = winners as [LockChild];
    const refusals = verdicts.filter((verdict) => verdict !== "won").map((verdict) => JSON.parse(verdict.slice(7)));
    expect(refusals).to.deep.equal(Array(RACERS - 1).fill({ lockedBy: "alive", pid: winner.pid }));
    expect(parseHolder(await readFile(lockFile(), "utf8"))?.pid)
      .to.equal(winner.pid)
      .and.not.equal(dead);

    winner.endInput();
    succeeded(await Promise.all(children.map((child) => child.exit)));
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it("never shows the lock file empty or half written while processes take and release it", async () => {
    const names = Array.from({ length: 8 }, (_, index) => `churn-${index}`);
    const children = await race(names.length, (index) => ({
      POP_LOCK_MODE: "hold",
      POP_LOCK_LOG: log,
      POP_LOCK_NAME: names[index] ?? "",
      POP_LOCK_ROUNDS: "8",
      POP_LOCK_HOLD_MS: "0",
    }));
    let running = true;
    const exits = Promise.all(children.map((child) => child.exit)).finally(() => {
      running = false;
    });
    const incomplete: string[] = [];
    let reads = 0;
    while (running) {
      for (let i = 0; i < 500; i++) {
        let text: string;
        try {
          text = readFileSync(lockFile(), "utf8");
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
          throw error;
        }
        reads++;
        if (parseHolder(text)?.token === undefined) incomplete.push(text);
      }
      // Let the children's exits through between bursts of reads.
      await yieldToEvents();
    }
    succeeded(await exits);
    expect(incomplete).to.deep.equal([]);
    // The loop did see locks: it is not vacuous.
    expect(reads).to.be.greaterThan(0);
    await expectOneHolderAtATime(names, 8);
  });

  it("refuses a directory a live process holds, naming the directory, its pid, its host and since when", async () => {
    const [holder] = (await race(1, () => ({ POP_LOCK_MODE: "once" }))) as [LockChild];
    expect(await holder.line(/^(won|locked .*)$/)).to.equal("won");
    const record = parseHolder(await readFile(lockFile(), "utf8"));

    const error = await rejection(lockStateDirectory(dir));
    expect(error).to.be.instanceOf(StateLockedError);
    expect((error as StateLockedError).shortMessage).to.equal(
      `The state database ${dir} is in use by another process (pid ${holder.pid}) on host ${hostname()} since ${record?.since}.`,
    );
    expect((error as StateLockedError).retryable).to.equal(true);
    // Refused, it left the holder's lock as it was.
    expect(parseHolder(await readFile(lockFile(), "utf8"))).to.deep.equal(record);

    holder.endInput();
    succeeded([await holder.exit]);
    (await lockStateDirectory(dir)).release();
  });
});
