import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Database } from "../../src/db/database.ts";
import { sharedPgliteTarget } from "../helpers/databases.ts";
import { pop } from "../helpers/pop.ts";
import { apiKey, call, type Running, startService } from "../jobs/service/harness.ts";

describe("pop job simulate (the simulator driven against the receipts service)", function () {
  this.timeout(120_000);
  let dir: string;
  let db: Database;
  let running: Running;
  let key: string;

  before(async () => {
    db = await sharedPgliteTarget.open();
    running = await startService(db, { worker: false });
    key = await apiKey(db);
    dir = await mkdtemp(join(tmpdir(), "pop-job-simulate-"));
  });
  after(async () => {
    await running.close();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const events = async () =>
    (await db.query<{ job_id: string; event_type: string }>("select job_id, event_type from pop_jobs_event")).map(
      (row) => `${row.event_type} ${row.job_id}`,
    );

  it("records N jobs at time scale 0 as 2N events, one line each, and a replayed seed as the same events", async () => {
    const args = ["job", "simulate", "--count", "3", "--seed", "41", "--time-scale", "0", "--concurrency", "2"];
    const env = { POP_SERVE_API_KEY: key, POP_SERVE_URL: running.url };
    const result = await pop(dir, [...args, "--json"], env);
    expect(result.code, result.stderr).to.equal(0);
    const lines = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines).to.have.length(6);
    const recorded = await events();
    expect(recorded).to.have.length(6);
    expect(lines.map((l) => `${l.eventType} ${l.jobId}`)).to.have.members(recorded);
    for (const line of lines.filter((l) => l.eventType === "JobCompleted")) expect(line.exitCode).to.be.a("number");
    const { jobs } = (await call(running.url, "/api/jobs/list", { key })).body;
    expect(jobs).to.have.length(3);

    const again = await pop(dir, args, env);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout.trim().split("\n"))
      .to.have.length(6)
      .and.satisfy((l: string[]) => l.every((line) => line.endsWith("(recorded before)")));
    expect(await events()).to.have.members(recorded);
  });

  it("refuses a bad option before any request, naming it", async () => {
    const result = await pop(dir, ["job", "simulate", "--count", "0"], { POP_SERVE_API_KEY: key });
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include("--count");
  });
});
