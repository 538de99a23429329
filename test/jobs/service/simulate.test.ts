import { expect } from "chai";
import { ServeConfigError, serveSettingsFromEnv } from "../../../src/jobs/service/config.ts";
import { freshDatabaseEach, sharedPgliteTarget } from "../../helpers/databases.ts";
import { type Answer, apiKey, call, type Running, startService } from "./harness.ts";

async function timelineOnceCompleted(running: Running, key: string, jobId: string): Promise<Answer> {
  for (let tries = 0; tries < 200; tries++) {
    const answer = await call(running.url, `/api/jobs/timeline/${jobId}`, { key });
    if (answer.body.events.length === 2) return answer;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`Job ${jobId} was not completed within 5 s.`);
}

describe("receipts service: POST /api/jobs/simulate", function () {
  this.timeout(30_000);
  const db = freshDatabaseEach(sharedPgliteTarget);
  let running: Running | undefined;
  let key: string;
  beforeEach(async () => {
    key = await apiKey(db());
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it("answers 404 naming the setting when the service has no simulator", async () => {
    running = await startService(db(), { worker: false });
    const answer = await call(running.url, "/api/jobs/simulate", {
      key,
      body: { taskType: "llm-inference", executor: "web" },
    });
    expect(answer.status).to.equal(404);
    expect(answer.body.error.code).to.equal("simulator_off");
    expect(answer.body.error.message).to.include("POP_SERVE_SIMULATOR_TIME_SCALE");
  });

  it("records the job's JobSubmitted at once (202) and its JobCompleted after the scaled wait", async () => {
    running = await startService(db(), { worker: false, simulator: { timeScale: 0.001 } });
    const answer = await call(running.url, "/api/jobs/simulate", {
      key,
      body: { taskType: "video-upscaling", executor: "web-demo", gpu: "MI300X" },
    });
    expect(answer.status).to.equal(202);
    expect(answer.body).to.include({ eventType: "JobSubmitted", status: "recorded" });
    const timeline = await timelineOnceCompleted(running, key, answer.body.jobId);
    expect(timeline.body.events.map((event: { eventType: string }) => event.eventType)).to.deep.equal([
      "JobSubmitted",
      "JobCompleted",
    ]);
    expect(timeline.body.events[0]).to.deep.equal(answer.body);
    const list = await call(running.url, "/api/jobs/list?executor=web-demo", { key });
    expect(list.body.jobs).to.have.length(1);
    expect(list.body.jobs[0]).to.include({ taskType: "video-upscaling", gpu: "MI300X", executor: "web-demo" });
    expect(list.body.jobs[0].status).to.be.oneOf(["succeeded", "failed"]);
  });

  it("refuses a bad body with 400 naming the field, and a request without a key with 401", async () => {
    running = await startService(db(), { worker: false, simulator: { timeScale: 0 } });
    const cases: [unknown, string][] = [
      [{ taskType: "mining", executor: "web" }, "taskType"],
      [{ taskType: "llm-inference", executor: "web", gpu: "H200" }, "gpu"],
      [{ taskType: "llm-inference", executor: "" }, "executor"],
      [{ taskType: "llm-inference", executor: "web", seed: 1 }, "seed"],
    ];
    for (const [body, field] of cases) {
      const answer = await call(running.url, "/api/jobs/simulate", { key, body });
      expect(answer.status, JSON.stringify(body)).to.equal(400);
      expect(answer.body.error.field).to.equal(field);
    }
    const anonymous = await call(running.url, "/api/jobs/simulate", {
      key: null,
      body: { taskType: "llm-inference", executor: "web" },
    });
    expect(anonymous.status).to.equal(401);
  });

  it("stops a job still waiting when the service closes: it stays submitted, as a dead worker's would", async () => {
    running = await startService(db(), { worker: false, simulator: { timeScale: 10 } });
    const answer = await call(running.url, "/api/jobs/simulate", {
      key,
      body: { taskType: "fine-tuning", executor: "web" },
    });
    expect(answer.status).to.equal(202);
    const started = Date.now();
    await running.close();
    running = undefined;
    expect(Date.now() - started).to.be.below(5_000);
    const [job] = await db().query<{ status: string }>("select status from pop_jobs_job where job_id = $1", [
      answer.body.jobId,
    ]);
    expect(job?.status).to.equal("submitted");
  });
});

describe("receipts service: settings from the environment", () => {
  it("turns the simulator on with a time scale, off when unset, and names a bad value", () => {
    expect(serveSettingsFromEnv({}).simulator).to.equal(undefined);
    expect(serveSettingsFromEnv({ POP_SERVE_SIMULATOR_TIME_SCALE: "0.01" }).simulator).to.deep.equal({
      timeScale: 0.01,
    });
    expect(() => serveSettingsFromEnv({ POP_SERVE_SIMULATOR_TIME_SCALE: "fast" }))
      .to.throw(ServeConfigError)
      .with.property("message")
      .that.includes("POP_SERVE_SIMULATOR_TIME_SCALE");
  });

  it("takes the audit API's URL only as http(s)", () => {
    expect(serveSettingsFromEnv({ POP_SERVE_AUDIT_API_URL: " http://127.0.0.1:42069 " }).auditApiUrl).to.equal(
      "http://127.0.0.1:42069",
    );
    expect(() => serveSettingsFromEnv({ POP_SERVE_AUDIT_API_URL: "javascript:alert(1)" })).to.throw(
      ServeConfigError,
      /POP_SERVE_AUDIT_API_URL must be an http/,
    );
  });
});
