import { expect } from "chai";
import { revokeApiKey } from "../../../src/jobs/service/apiKeys.ts";
import { describeEachDatabase, freshDatabaseEach } from "../../helpers/databases.ts";
import { apiKey, call, jobBodies, type Running, startService } from "./harness.ts";

describeEachDatabase("receipts service: errors", (target) => {
  const db = freshDatabaseEach(target);
  let running: Running;
  let key: string;
  beforeEach(async () => {
    running = await startService(db(), {
      worker: false,
      bodyLimitBytes: 16 * 1024,
      rateLimit: { perSecond: 1000, burst: 1000 },
    });
    key = await apiKey(db());
  });
  afterEach(() => running.close());

  describe("400 naming the field", () => {
    const cases: [string, (body: Record<string, unknown>) => unknown, string, RegExp][] = [
      ["a task type not in the catalog", (b) => ({ ...b, taskType: "mining" }), "taskType", /image-generation/],
      ["a missing executor", ({ executor: _, ...b }) => b, "executor", /Required/],
      [
        "an input hash that is not hex",
        (b) => ({ ...b, inputs: [{ fileName: "a", mimeType: "text/plain", sha256: "xyz", size: 1 }] }),
        "inputs.0.sha256",
        /64 hex digits/,
      ],
      ["a field the route does not take", (b) => ({ ...b, colour: "blue" }), "colour", /not a field/],
      [
        "a parameter the service sets itself",
        (b) => ({ ...b, parameters: { jobId: "x" } }),
        "parameters.jobId",
        /set by the service/,
      ],
      ["a seed above 2^64 - 1", (b) => ({ ...b, seed: "18446744073709551616" }), "seed", /2\^64/],
      [
        "a media type that is none",
        (b) => ({ ...b, inputs: [{ fileName: "a", mimeType: "notamime", sha256: "00".repeat(32), size: 1 }] }),
        "inputs.0.mimeType",
        /media type/,
      ],
      ["an empty process id", (b) => ({ ...b, processId: "" }), "processId", /empty/],
    ];
    for (const [what, change, field, message] of cases)
      it(`refuses ${what}`, async () => {
        const { submit } = await jobBodies();
        const answer = await call(running.url, "/api/jobs/submit", { key, body: change(submit) });
        expect(answer.status, JSON.stringify(answer.body)).to.equal(400);
        expect(answer.body.error.field).to.equal(field);
        expect(answer.body.error.message).to.include(field).and.match(message);
      });

    it("refuses a completion without an output or error log, naming output", async () => {
      const { submit, complete } = await jobBodies();
      await call(running.url, "/api/jobs/submit", { key, body: submit });
      const { output: _, ...body } = complete;
      const answer = await call(running.url, "/api/jobs/complete", { key, body });
      expect(answer.status).to.equal(400);
      expect(answer.body.error.field).to.equal("output");
    });

    it("refuses a body that is not JSON (400) or not sent as JSON (415)", async () => {
      const broken = await call(running.url, "/api/jobs/submit", { key, body: "{not json" });
      expect(broken.status).to.equal(400);
      expect(broken.body.error).to.include({ code: "invalid_json", field: "body" });
      const text = await call(running.url, "/api/jobs/submit", {
        key,
        body: "{}",
        headers: { "content-type": "text/plain" },
      });
      expect(text.status).to.equal(415);
      expect(text.body.error.field).to.equal("content-type");
    });

    it("refuses a list limit out of range and a cursor it did not give", async () => {
      const limit = await call(running.url, "/api/jobs/list?limit=0", { key });
      expect(limit.status).to.equal(400);
      expect(limit.body.error.field).to.equal("limit");
      const cursor = await call(running.url, "/api/jobs/list?cursor=bm90LWEtY3Vyc29y", { key });
      expect(cursor.status).to.equal(400);
      expect(cursor.body.error.field).to.equal("cursor");
      const status = await call(running.url, "/api/jobs/list?status=running", { key });
      expect(status.body.error.field).to.equal("status");
    });
  });

  describe("401 and 403", () => {
    it("answers 401 without a key, with an unknown key, or with a malformed Authorization header", async () => {
      const { submit } = await jobBodies();
      for (const options of [
        { key: null },
        { key: "pop_sk_unknown" },
        { key: null, headers: { authorization: "Basic abc" } },
      ]) {
        const answer = await call(running.url, "/api/jobs/submit", { ...options, body: submit });
        expect(answer.status, JSON.stringify(options)).to.equal(401);
        expect(answer.body.error.code).to.equal("unauthorized");
      }
    });

    it("accepts the key in x-api-key as well as Authorization: Bearer", async () => {
      const answer = await call(running.url, "/api/jobs/list", { key: null, headers: { "x-api-key": key } });
      expect(answer.status).to.equal(200);
    });

    it("answers 403 for a revoked key", async () => {
      const other = await apiKey(db());
      const [row] = await db().query<{ id: string }>(
        "select id from pop_jobs_api_key order by created_at desc limit 1",
      );
      await revokeApiKey(db(), row?.id as string);
      const answer = await call(running.url, "/api/jobs/list", { key: other });
      expect(answer.status).to.equal(403);
      expect(answer.body.error.code).to.equal("key_revoked");
      expect((await call(running.url, "/api/jobs/list", { key })).status).to.equal(200);
    });
  });

  it("answers 413 past the body limit", async () => {
    const { submit } = await jobBodies();
    const answer = await call(running.url, "/api/jobs/submit", {
      key,
      body: { ...submit, prompt: "x".repeat(20_000) },
    });
    expect(answer.status).to.equal(413);
    expect(answer.body.error).to.include({ code: "body_too_large", field: "body" });
  });

  it("answers 429 with Retry-After once a key has spent its burst, and other keys still pass", async () => {
    const limited = await startService(db(), { worker: false, rateLimit: { perSecond: 0.01, burst: 2 } });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await call(limited.url, "/api/jobs/list", { key })).status);
      expect(statuses).to.deep.equal([200, 200, 429]);
      const answer = await call(limited.url, "/api/jobs/list", { key });
      expect(answer.body.error.code).to.equal("rate_limited");
      expect(Number(answer.headers.get("retry-after"))).to.be.greaterThan(0);
      expect((await call(limited.url, "/api/jobs/list", { key: await apiKey(db()) })).status).to.equal(200);
    } finally {
      await limited.close();
    }
  });

  it("answers an unknown route with a JSON 404 listing the routes", async () => {
    const answer = await call(running.url, "/api/jobs/nope", { key });
    expect(answer.status).to.equal(404);
    expect(answer.body.error.message).to.include("/api/jobs/submit");
  });
});
