import { expect } from "chai";
import { fromHex } from "../../../src/bytes.ts";
import { cidFromSha256 } from "../../../src/evidence/cid.ts";
import { describeEachDatabase, freshDatabaseEach } from "../../helpers/databases.ts";
import { apiKey, call, jobBodies, OTHER_TENANT, type Running, startService } from "./harness.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describeEachDatabase("receipts service: routes", (target) => {
  const db = freshDatabaseEach(target);
  let running: Running;
  let key: string;
  beforeEach(async () => {
    running = await startService(db(), { worker: false });
    key = await apiKey(db());
  });
  afterEach(() => running.close());

  describe("POST /api/jobs/submit", () => {
    it("answers 202 with the receipt at once: key, NID (the packet's CID, whose digest is the packet hash), status", async () => {
      const { submit, jobId } = await jobBodies();
      const answer = await call(running.url, "/api/jobs/submit", { key, body: submit });
      expect(answer.status).to.equal(202);
      expect(answer.body).to.include({
        jobId,
        eventType: "JobSubmitted",
        idempotencyKey: `gpu-job-${jobId}-JobSubmitted`,
        status: "recorded",
        commit: null,
      });
      expect(answer.body.packetCid).to.match(/^bafkrei/);
      expect(answer.body.nid).to.equal(answer.body.packetCid);
      expect(cidFromSha256(fromHex(answer.body.packetHash) as Uint8Array)).to.equal(answer.body.packetCid);
    });

    it("draws a UUIDv4 job id when the worker sends none", async () => {
      const { submit } = await jobBodies();
      const { jobId: _omitted, ...body } = submit;
      const answer = await call(running.url, "/api/jobs/submit", { key, body });
      expect(answer.status).to.equal(202);
      expect(answer.body.jobId).to.match(UUID);
    });

    it("answers a repeat with 409 and the original receipt, even when the repeat's fields differ", async () => {
      const { submit } = await jobBodies();
      const first = await call(running.url, "/api/jobs/submit", { key, body: submit });
      const again = await call(running.url, "/api/jobs/submit", { key, body: { ...submit, executor: "worker-9" } });
      expect(again.status).to.equal(409);
      expect(again.body.error.code).to.equal("duplicate_event");
      expect(again.body.receipt).to.deep.equal(first.body);
    });

    it("refuses another tenant's job id with 403", async () => {
      const { submit } = await jobBodies();
      await call(running.url, "/api/jobs/submit", { key, body: submit });
      const other = await apiKey(db(), OTHER_TENANT);
      const answer = await call(running.url, "/api/jobs/submit", { key: other, body: submit });
      expect(answer.status).to.equal(403);
      expect(answer.body.error).to.include({ code: "forbidden", field: "jobId" });
      expect(answer.body).to.not.have.property("receipt");
    });
  });

  describe("POST /api/jobs/complete", () => {
    it("records the completion of a submitted job (202) and answers a repeat with 409 and the original receipt", async () => {
      const { submit, complete, jobId } = await jobBodies();
      await call(running.url, "/api/jobs/submit", { key, body: submit });
      const first = await call(running.url, "/api/jobs/complete", { key, body: complete });
      expect(first.status).to.equal(202);
      expect(first.body).to.include({
        jobId,
        eventType: "JobCompleted",
        idempotencyKey: `gpu-job-${jobId}-JobCompleted`,
      });
      const again = await call(running.url, "/api/jobs/complete", { key, body: complete });
      expect(again.status).to.equal(409);
      expect(again.body.receipt).to.deep.equal(first.body);
    });

    it("refuses a completion before any submission with 404 naming jobId", async () => {
      const { complete, jobId } = await jobBodies();
      const answer = await call(running.url, "/api/jobs/complete", { key, body: complete });
      expect(answer.status).to.equal(404);
      expect(answer.body.error).to.include({ code: "unknown_job", field: "jobId" });
      expect(answer.body.error.message).to.include(jobId).and.include("JobSubmitted");
    });

    it("refuses to complete another tenant's job with 403", async () => {
      const { submit, complete } = await jobBodies();
      await call(running.url, "/api/jobs/submit", { key, body: submit });
      const answer = await call(running.url, "/api/jobs/complete", {
        key: await apiKey(db(), OTHER_TENANT),
        body: complete,
      });
      expect(answer.status).to.equal(403);
    });
  });

  describe("GET /api/jobs/list", () => {
    async function submitSome() {
      const jobs = [];
      for (const [seed, taskType, executor] of [
        [1n, "image-generation", "worker-1"],
        [2n, "llm-inference", "worker-2"],
        [3n, "image-generation", "worker-2"],
      ] as const) {
        const bodies = await jobBodies({ seed, taskType, executor });
        await call(running.url, "/api/jobs/submit", { key, body: bodies.submit });
        jobs.push(bodies);
      }
      await call(running.url, "/api/jobs/complete", { key, body: jobs[0]?.complete });
      return jobs.map((job) => job.jobId);
    }

    it("pages newest first by an opaque cursor, without repeating or skipping a job", async () => {
      const ids = await submitSome();
      const first = await call(running.url, "/api/jobs/list?limit=2", { key });
      expect(first.status).to.equal(200);
      expect(first.body.jobs.map((j: { jobId: string }) => j.jobId)).to.deep.equal([ids[2], ids[1]]);
      expect(first.body.nextCursor).to.be.a("string");
      const second = await call(running.url, `/api/jobs/list?limit=2&cursor=${first.body.nextCursor}`, { key });
      expect(second.body.jobs.map((j: { jobId: string }) => j.jobId)).to.deep.equal([ids[0]]);
      expect(second.body.nextCursor).to.equal(null);
      expect(second.body.jobs[0]).to.include({ status: "succeeded", executor: "worker-1" });
      expect(second.body.jobs[0].events.map((e: { eventType: string }) => e.eventType)).to.deep.equal([
        "JobSubmitted",
        "JobCompleted",
      ]);
    });

    it("filters by status, task type and executor, and shows only the key's tenant's jobs", async () => {
      const ids = await submitSome();
      const ofList = async (query: string, apiKeyToUse = key) =>
        (await call(running.url, `/api/jobs/list?${query}`, { key: apiKeyToUse })).body.jobs.map(
          (j: { jobId: string }) => j.jobId,
        );
      expect(await ofList("status=succeeded")).to.deep.equal([ids[0]]);
      expect(await ofList("status=submitted")).to.deep.equal([ids[2], ids[1]]);
      expect(await ofList("taskType=image-generation")).to.deep.equal([ids[2], ids[0]]);
      expect(await ofList("executor=worker-2&taskType=llm-inference")).to.deep.equal([ids[1]]);
      expect(await ofList("", await apiKey(db(), OTHER_TENANT))).to.deep.equal([]);
    });
  });

  describe("GET /api/jobs/timeline/:jobId", () => {
    it("lists the job's events oldest first, each with its receipt", async () => {
      const { submit, complete, jobId } = await jobBodies();
      const submitted = await call(running.url, "/api/jobs/submit", { key, body: submit });
      const completed = await call(running.url, "/api/jobs/complete", { key, body: complete });
      const answer = await call(running.url, `/api/jobs/timeline/${jobId}`, { key });
      expect(answer.status).to.equal(200);
      expect(answer.body).to.deep.equal({
        jobId,
        status: "succeeded",
        events: [submitted.body, completed.body],
        // Nothing committed (no worker) and nothing anchored (anchoring off): the stages reached, without links.
        stages: [
          {
            stage: "submitted",
            at: submitted.body.recordedAt,
            chain: "numbers",
            txHash: null,
            blockNumber: null,
            explorerUrl: null,
          },
          {
            stage: "completed",
            at: completed.body.recordedAt,
            chain: "numbers",
            txHash: null,
            blockNumber: null,
            explorerUrl: null,
          },
        ],
        anchor: null,
      });
    });

    it("answers 404 for an unknown job and 403 for another tenant's", async () => {
      const { submit, jobId } = await jobBodies();
      const unknown = await call(running.url, `/api/jobs/timeline/${jobId}`, { key });
      expect(unknown.status).to.equal(404);
      expect(unknown.body.error.field).to.equal("jobId");
      await call(running.url, "/api/jobs/submit", { key, body: submit });
      const other = await call(running.url, `/api/jobs/timeline/${jobId}`, { key: await apiKey(db(), OTHER_TENANT) });
      expect(other.status).to.equal(403);
    });
  });

  describe("GET /api/health", () => {
    it("reports each component with a status, without a key", async () => {
      const answer = await call(running.url, "/api/health");
      expect(answer.status).to.equal(200);
      expect(Object.keys(answer.body.components)).to.have.members([
        "database",
        "baseChain",
        "numbersChain",
        "storage",
        "committer",
        "anchoring",
        "signer",
      ]);
      expect(answer.body.components.database.status).to.equal("ok");
      expect(answer.body.components.signer.status).to.equal("ok");
      expect(answer.body.components.baseChain.status).to.equal("unconfigured");
      // Anchoring off is a state, not a failure: the service is ok.
      expect(answer.body.components.anchoring.status).to.equal("unconfigured");
      expect(answer.body.status).to.equal("ok");
    });

    it("says down (503) when a chain does not answer and no key is loaded", async () => {
      const down = await startService(db(), {
        worker: false,
        signers: new Map(),
        numbersRpcUrl: "http://127.0.0.1:9/",
      });
      try {
        const answer = await call(down.url, "/api/health");
        expect(answer.status).to.equal(503);
        expect(answer.body.components.signer.status).to.equal("down");
        expect(answer.body.components.numbersChain.status).to.equal("down");
      } finally {
        await down.close();
      }
    });
  });
});
