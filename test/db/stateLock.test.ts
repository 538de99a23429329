import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import { type LockHolder, parseHolder, processStart } from "../../src/db/lockOwner.ts";
import { LOCK_NAME, lockStateDirectory, StateLockedError } from "../../src/db/stateLock.ts";
import { rejection } from "../helpers/rejection.ts";

const token = () => randomBytes(16).toString("hex");
const record = (holder: LockHolder) => `${JSON.stringify(holder)}\n`;
/** No process has this pid: Linux stops at 2^22, macOS well before. */
const NO_SUCH_PID = 999_999_999;
const onLinux = processStart(process.pid) !== undefined;

/** A record as another live process on this host would write it: the test runner's parent. */
function liveHolder(): LockHolder {
  const start = processStart(process.ppid)?.start;
  return {
    pid: process.ppid,
    host: hostname(),
    since: "2025-01-02T03:04:05.000Z",
    ...(start === undefined ? {} : { start }),
    token: token(),
  };
}

const deadHolder = (): LockHolder => ({ ...liveHolder(), pid: NO_SUCH_PID, token: token() });

async function lockedError(promise: Promise<unknown>): Promise<StateLockedError> {
  const error = await rejection(promise);
  expect(error).to.be.instanceOf(StateLockedError);
  return error as StateLockedError;
}

describe("lockStateDirectory", () => {
  let dir: string;
  const lockFile = () => join(dir, LOCK_NAME);
  const claimFile = (id: string) => join(dir, `${LOCK_NAME}.takeover-${id}`);
  const holderOnDisk = async () => parseHolder(await readFile(lockFile(), "utf8"));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-lock-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  describe("on a free directory", () => {
    it("writes the lock file whole, naming this process, and leaves no temp file", async () => {
      const before = Date.now();
      const lock = await lockStateDirectory(dir);
      const holder = await holderOnDisk();
      expect(holder).to.deep.equal(lock.owner);
      expect(holder?.pid).to.equal(process.pid);
      expect(holder?.host).to.equal(hostname());
      expect(Date.parse(holder?.since ?? "")).to.be.at.least(before - 1_000);
      expect(holder?.token).to.match(/^[0-9a-f]{32}$/);
      expect(holder?.start).to.equal(processStart(process.pid)?.start);
      if (onLinux) expect(holder?.start).to.match(/^[0-9a-f-]{36}:\d+$/);
      expect(await readdir(dir)).to.deep.equal([LOCK_NAME]);
      lock.release();
    });
  });

  describe("release", () => {
    it("removes the lock file; a second release does nothing", async () => {
      const lock = await lockStateDirectory(dir);
      lock.release();
      expect(existsSync(lockFile())).to.equal(false);
      const next = await lockStateDirectory(dir);
      lock.release();
      expect((await holderOnDisk())?.token).to.equal(next.owner.token);
      next.release();
    });

    it("leaves the lock file alone once it is no longer this lock's", async () => {
      const lock = await lockStateDirectory(dir);
      const other = liveHolder();
      await unlink(lockFile());
      await writeFile(lockFile(), record(other));
      lock.release();
      expect(await holderOnDisk()).to.deep.equal(other);
    });
  });

  describe("when this process holds it", () => {
    it("refuses, naming the directory and this pid, as not retryable", async () => {
      const lock = await lockStateDirectory(dir);
      try {
        const error = await lockedError(lockStateDirectory(dir));
        expect(error.shortMessage).to.equal(
          `The state database ${dir} is already open in this process (pid ${process.pid}).`,
        );
        expect(error.lockedBy).to.equal("this process");
        expect(error.retryable).to.equal(false);
        expect((await holderOnDisk())?.token).to.equal(lock.owner.token);
      } finally {
        lock.release();
      }
    });

    it("refuses a lock with this pid and this process's start that another copy of the module took", async function () {
      if (!onLinux) this.skip();
      const copy = { ...liveHolder(), pid: process.pid, start: processStart(process.pid)?.start ?? "", token: token() };
      await writeFile(lockFile(), record(copy));
      expect((await lockedError(lockStateDirectory(dir))).lockedBy).to.equal("this process");
      expect(await holderOnDisk()).to.deep.equal(copy);
    });
  });

  describe("when another live process holds it", () => {
    it("refuses, naming the directory, the pid, the host and since when, and leaves the lock", async () => {
      const holder = liveHolder();
      await writeFile(lockFile(), record(holder));
      const error = await lockedError(lockStateDirectory(dir));
      expect(error.shortMessage).to.equal(
        `The state database ${dir} is in use by another process (pid ${process.ppid}) on host ${hostname()} since 2025-01-02T03:04:05.000Z.`,
      );
      expect(error.details).to.match(/DATABASE_URL/);
      expect(error.retryable).to.equal(true);
      expect(error.holder).to.deep.equal(holder);
      expect(await holderOnDisk()).to.deep.equal(holder);
    });

    it("refuses an older pop's lock (its bare pid) while that pid runs", async () => {
      await writeFile(lockFile(), String(process.ppid));
      const error = await lockedError(lockStateDirectory(dir));
      expect(error.shortMessage).to.equal(
        `The state database ${dir} is in use by another process (pid ${process.ppid}).`,
      );
      expect(await readFile(lockFile(), "utf8")).to.equal(String(process.ppid));
    });

    it("refuses a lock from another host, whose process it cannot check, saying how to clear it", async () => {
      const holder = { ...deadHolder(), host: "elsewhere.example" };
      await writeFile(lockFile(), record(holder));
      const error = await lockedError(lockStateDirectory(dir));
      expect(error.lockedBy).to.equal("unknown");
      expect(error.shortMessage).to.include(`(pid ${NO_SUCH_PID}) on host elsewhere.example since`);
      expect(error.details).to.include(`remove ${lockFile()}`);
      expect(await holderOnDisk()).to.deep.equal(holder);
    });
  });

  describe("when its holder is dead", () => {
    async function takesOver(content: string): Promise<void> {
      await writeFile(lockFile(), content);
      const lock = await lockStateDirectory(dir);
      expect(await holderOnDisk(), content).to.deep.equal(lock.owner);
      lock.release();
      expect(await readdir(dir)).to.deep.equal([]);
    }

    it("takes over a finished process's lock, an older pop's, and an empty or garbled file", async () => {
      const finished = spawnSync(process.execPath, ["-e", ""]);
      expect(finished.status).to.equal(0);
      await takesOver(record({ ...deadHolder(), pid: finished.pid }));
      await takesOver(record(deadHolder()));
      await takesOver(String(finished.pid));
      for (const garbage of [
        "",
        "not a pid",
        "0",
        "-5",
        '{"pid": 12',
        JSON.stringify({ ...deadHolder(), token: "../x" }),
      ])
        await takesOver(garbage);
    });

    it("takes over a lock whose pid runs but is not the process that took it (Linux)", async function () {
      if (!onLinux) this.skip();
      const live = liveHolder();
      const [boot, ticks] = (live.start ?? "").split(":");
      // Same pid, another start: the pid was reused.
      await takesOver(record({ ...live, start: `${boot}:${Number(ticks) + 1}` }));
      // A previous boot: whatever runs with that pid now is another process.
      await takesOver(record({ ...live, start: `00000000-0000-0000-0000-000000000000:${ticks}` }));
      // This process's own pid, from a process before it (a restarted container's pid 1).
      await takesOver(record({ ...live, pid: process.pid, start: `${boot}:1` }));
    });
  });

  describe("takeover claims", () => {
    it("clears claims left by claimants that died mid-takeover, and claims on those claims", async () => {
      const stale = deadHolder();
      const claimant = deadHolder();
      const claimantOfClaimant = deadHolder();
      await writeFile(lockFile(), record(stale));
      await writeFile(claimFile(stale.token ?? ""), record(claimant));
      await writeFile(claimFile(claimant.token ?? ""), record(claimantOfClaimant));
      const lock = await lockStateDirectory(dir);
      expect(await holderOnDisk()).to.deep.equal(lock.owner);
      expect(await readdir(dir)).to.deep.equal([LOCK_NAME]);
      lock.release();
    });

    it("waits while a live process holds the claim on the same stale lock, then names it", async () => {
      const stale = deadHolder();
      const claimant = liveHolder();
      await writeFile(lockFile(), record(stale));
      await writeFile(claimFile(stale.token ?? ""), record(claimant));
      const error = await lockedError(lockStateDirectory(dir, { busyTimeoutMs: 50 }));
      expect(error.lockedBy).to.equal("taking over");
      expect(error.holder).to.deep.equal(claimant);
      expect(error.shortMessage).to.include(`taken over from a stale lock by another process (pid ${process.ppid})`);
      // The stale lock is the live claimant's to remove.
      expect(await holderOnDisk()).to.deep.equal(stale);
    });

    it("takes the stale lock over once the live claimant's claim is gone", async () => {
      const stale = deadHolder();
      await writeFile(lockFile(), record(stale));
      await writeFile(claimFile(stale.token ?? ""), record(liveHolder()));
      let settled = false;
      const locking = lockStateDirectory(dir).finally(() => {
        settled = true;
      });
      await sleep(100);
      // Still waiting: the claimant runs. Whatever the timing, it cannot have settled before the claim goes.
      expect(settled).to.equal(false);
      await unlink(claimFile(stale.token ?? ""));
      const lock = await locking;
      expect(await holderOnDisk()).to.deep.equal(lock.owner);
      lock.release();
    });
  });
});
