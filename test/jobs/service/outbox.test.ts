import { createHash } from "node:crypto";
import { expect } from "chai";
import { toHex } from "../../../src/bytes.ts";
import { describeEachDatabase, freshDatabaseEach } from "../../helpers/databases.ts";
import { RecordingTestCommitter } from "../../helpers/recordingTestCommitter.ts";
import { apiKey, call, eventually, jobBodies, openTwin, type Running, startService } from "./harness.ts";

async function allCommitted(running: Running, key: string, jobIds: readonly string[], events = 1): Promise<boolean> {
  for (const jobId of jobIds) {
    const timeline = await call(running.url, `/api/jobs/timeline/${jobId}`, { key });
    const statuses = (timeline.body.events ?? []).map((e: { status: string }) => e.status);
    if (statuses.length !== events || statuses.some((s: string) => s !== "committed")) return false;
  }
  return true;
}

const counts = (committer: RecordingTestCommitter) => [...committer.submitCounts().values()];

describeEachDatabase("receipts service: outbox", (target) => {
  const db = freshDatabaseEach(target);
  const started: Running[] = [];
  const start = async (...args: Parameters<typeof startService>) => {
    const running = await startService(...args);
    started.push(running);
    return running;
  };
  afterEach(async () => {
    for (const running of started.splice(0)) await running.close();
  });

  it("stores the packet with the providers and commits it once, with the packet as asset and the commitData built from it", async () => {
    const running = await start(db(), { committer: new RecordingTestCommitter({ settlesAfter: 2 }) });
    const key = await apiKey(db());
    const { submit, complete, jobId } = await jobBodies();
    const answer = await call(running.url, "/api/jobs/submit?wait=commit", { key, body: submit });
    expect(answer.status).to.equal(200);
    expect(answer.body.status).to.equal("committed");
    expect(answer.body.commit).to.include({ committer: "direct", nidMatchesCid: true, blockNumber: "7" });
    expect(answer.body.commit.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(answer.body.commit.explorerUrl).to.include(answer.body.commit.txHash);
    const stored = await running.store.get(answer.body.packetCid);
    expect(
      toHex(
        createHash("sha256")
          .update(stored as Uint8Array)
          .digest(),
      ),
    ).to.equal(answer.body.packetHash);
    const request = running.committer.started.get(answer.body.idempotencyKey);
    expect(request?.assetCid).to.equal(answer.body.packetCid);
    expect(request?.asset).to.deep.equal(new Uint8Array(stored as Uint8Array));
    expect(request?.commitData).to.deep.include({
      packetHash: answer.body.packetHash,
      assetTreeCid: answer.body.packetCid,
    });
    expect(request?.commitData.jobDetails).to.include({ jobId, eventType: "JobSubmitted" });
    const completed = await call(running.url, "/api/jobs/complete?wait=commit", { key, body: complete });
    expect(completed.status).to.equal(200);
    expect(counts(running.committer)).to.deep.equal([1, 1]);
  });

  it("answers 202 when ?wait=commit runs out before the commit is mined", async () => {
    const running = await start(db(), {
      committer: new RecordingTestCommitter({ settlesAfter: 1_000_000 }),
      waitTimeoutMs: 200,
    });
    const answer = await call(running.url, "/api/jobs/submit?wait=commit", {
      key: await apiKey(db()),
      body: (await jobBodies()).submit,
    });
    expect(answer.status).to.equal(202);
    expect(answer.body.status).to.not.equal("committed");
  });

  it("retries a failing commit with backoff, records the error meanwhile, and commits once", async () => {
    const committer = new RecordingTestCommitter();
    committer.failNext = 3;
    const running = await start(db(), { committer });
    const key = await apiKey(db());
    const { submit, jobId } = await jobBodies();
    await call(running.url, "/api/jobs/submit", { key, body: submit });
    await eventually(() => allCommitted(running, key, [jobId]), "the job's event is committed");
    expect(committer.submits).to.have.length(4);
    expect(committer.started.size).to.equal(1);
    const timeline = await call(running.url, `/api/jobs/timeline/${jobId}`, { key });
    expect(timeline.body.events[0].lastError).to.equal(null);
  });

  it("records one event for concurrent duplicate submits: one 202, every other a 409 with the same receipt", async () => {
    const running = await start(db(), { worker: false });
    const key = await apiKey(db());
    const { submit } = await jobBodies();
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => call(running.url, "/api/jobs/submit", { key, body: submit })),
    );
    const accepted = answers.filter((a) => a.status === 202);
    expect(accepted).to.have.length(1);
    for (const answer of answers.filter((a) => a.status !== 202)) {
      expect(answer.status).to.equal(409);
      expect(answer.body.receipt).to.deep.equal(accepted[0]?.body);
    }
    const [row] = await db().query<{ n: number }>("select count(*)::integer as n from pop_jobs_event");
    expect(row?.n).to.equal(1);
  });

  it("finishes after a restart what a stopped service recorded, and a crash after submit commits nothing twice", async () => {
    const committer = new RecordingTestCommitter();
    const first = await start(db(), { worker: false, committer });
    const key = await apiKey(db());
    const jobs = await Promise.all([1n, 2n, 3n].map((seed) => jobBodies({ seed })));
    for (const { submit } of jobs) await call(first.url, "/api/jobs/submit", { key, body: submit });
    await call(first.url, "/api/jobs/complete", { key, body: jobs[0]?.complete });
    await first.close();
    started.splice(0);

    const second = await start(db(), { committer });
    const ids = jobs.map((job) => job.jobId);
    await eventually(
      async () =>
        (await allCommitted(second, key, ids.slice(1))) && (await allCommitted(second, key, ids.slice(0, 1), 2)),
      "every recorded event is committed",
    );
    expect(counts(committer)).to.deep.equal([1, 1, 1, 1]);

    // As if a replica had died after committer.submit and before recording its answer: the row says 'stored',
    // and the dead replica's lease on it has run out.
    await db().query(
      "update pop_jobs_event set status = 'stored', committer = null, next_attempt_at = now() where job_id = $1",
      [ids[1]],
    );
    await eventually(() => allCommitted(second, key, ids.slice(1, 2)), "the re-submitted event is committed");
    expect(committer.started.size).to.equal(4);
  });

  it("two replicas over one database, sent the same events at once: one event per key, each committed once", async function () {
    this.timeout(60_000);
    const twin = await openTwin(target, db());
    try {
      const committer = new RecordingTestCommitter();
      const a = await start(db(), { committer });
      const b = await start(twin.db, { committer });
      const key = await apiKey(db());
      const jobs = await Promise.all(Array.from({ length: 10 }, (_, i) => jobBodies({ seed: BigInt(100 + i) })));
      const answers = await Promise.all(
        jobs.flatMap(({ submit }) =>
          [a, b].map((replica) => call(replica.url, "/api/jobs/submit", { key, body: submit })),
        ),
      );
      expect(answers.filter((x) => x.status === 202)).to.have.length(10);
      expect(answers.filter((x) => x.status === 409)).to.have.length(10);
      await Promise.all(
        jobs.flatMap(({ complete }) =>
          [b, a].map((replica) => call(replica.url, "/api/jobs/complete", { key, body: complete })),
        ),
      );
      const ids = jobs.map((job) => job.jobId);
      await eventually(() => allCommitted(a, key, ids, 2), "both replicas' events are committed");
      const [row] = await db().query<{ n: number }>("select count(*)::integer as n from pop_jobs_event");
      expect(row?.n).to.equal(20);
      expect(committer.started.size).to.equal(20);
      expect(
        counts(committer).every((n) => n === 1),
        JSON.stringify(counts(committer)),
      ).to.equal(true);
    } finally {
      for (const running of started.splice(0)) await running.close();
      await twin.close();
    }
  });
});
