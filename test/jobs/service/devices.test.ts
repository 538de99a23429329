import { expect } from "chai";
import { toHex } from "../../../src/bytes.ts";
import { decodePacket } from "../../../src/evidence/codec.ts";
import { defaultPipelineHash, REAL_JOB_PIPELINE_ID } from "../../../src/jobs/packets.ts";
import { submittedFacts } from "../../../src/jobs/service/facts.ts";
import { describeEachDatabase, freshDatabaseEach } from "../../helpers/databases.ts";
import { apiKey, call, jobBodies, type Running, startService } from "./harness.ts";

describeEachDatabase("receipts service: real jobs' device classes", (target) => {
  const db = freshDatabaseEach(target);
  let running: Running;
  let key: string;
  beforeEach(async () => {
    running = await startService(db(), { worker: false });
    key = await apiKey(db());
  });
  afterEach(() => running.close());

  async function packetOf(jobId: string, eventType: string) {
    const [row] = await db().query<{ packet: Uint8Array }>(
      "select packet from pop_jobs_event where job_id = $1 and event_type = $2",
      [jobId, eventType],
    );
    return decodePacket(new Uint8Array((row as { packet: Uint8Array }).packet)).packet;
  }

  const realJob = (gpu: string, extra: Record<string, unknown> = {}) => ({
    jobId: `real-${gpu.replace(/\W/g, "")}`,
    taskType: "llm-inference",
    executor: "worker-1",
    gpu,
    modelId: "meta-llama/Llama-3.1-8B-Instruct",
    parameters: { commandSha256: "cd".repeat(32) },
    ...extra,
  });

  for (const gpu of ["CPU", "H200", "L40S", "Tesla T4"]) {
    it(`signs a real job on ${gpu}: device class in execution, the model's name in parameters, the real pipeline's hash`, async () => {
      const body = realJob(gpu, { gpuName: `Vendor ${gpu} 48GB` });
      const answer = await call(running.url, "/api/jobs/submit", { key, body });
      expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
      const completed = await call(running.url, "/api/jobs/complete", {
        key,
        body: {
          jobId: body.jobId,
          exitCode: 0,
          durationMs: 1200,
          gpuUtilization: 61,
          output: { fileName: "out.json", mimeType: "application/json", sha256: "ef".repeat(32), size: 3 },
        },
      });
      expect(completed.status, JSON.stringify(completed.body)).to.equal(202);
      const packet = await packetOf(body.jobId, "JobCompleted");
      expect(packet.execution.deviceClass).to.equal(gpu);
      expect(packet.execution.gpuUtilization).to.equal(61);
      expect(packet.inputs.parameters).to.include({ gpu: `Vendor ${gpu} 48GB`, simulated: false });
      expect(packet.inputs.parameters).not.to.have.property("memoryUsedGb");
      const [row] = await db().query<{ submitted: never }>("select submitted from pop_jobs_job where job_id = $1", [
        body.jobId,
      ]);
      const expected = defaultPipelineHash(submittedFacts((row as { submitted: never }).submitted));
      expect(toHex(packet.execution.pipelineHash)).to.equal(toHex(expected));
    });
  }

  it("derives a real job's pipeline hash from its task type, model and parameters, never the simulator's", async () => {
    const { submit } = await jobBodies();
    const simulated = await call(running.url, "/api/jobs/submit", { key, body: submit });
    expect(simulated.status).to.equal(202);
    const real = realJob("H100");
    const other = realJob("H200", { jobId: "real-other", parameters: { commandSha256: "00".repeat(32) } });
    for (const body of [real, other])
      expect((await call(running.url, "/api/jobs/submit", { key, body })).status).to.equal(202);
    const [a, b, s] = await Promise.all([
      packetOf(real.jobId, "JobSubmitted"),
      packetOf(other.jobId, "JobSubmitted"),
      packetOf(submit.jobId, "JobSubmitted"),
    ]);
    expect(toHex(a.execution.pipelineHash)).not.to.equal(toHex(b.execution.pipelineHash));
    expect(toHex(a.execution.pipelineHash)).not.to.equal(toHex(s.execution.pipelineHash));
    // A real job on a catalog device class keeps the catalog's name unless the worker names its model.
    expect(a.inputs.parameters.gpu).to.equal("NVIDIA H100 SXM");
    expect(REAL_JOB_PIPELINE_ID).to.equal("pop-job/1");
  });

  it("refuses a simulated job off the catalog, and a device class that is blank, too long or has control characters", async () => {
    for (const [body, problem] of [
      [realJob("H200", { simulated: true }), "for a simulated job"],
      [realJob(" "), "blank"],
      [realJob("x".repeat(129)), "at most 128"],
      [realJob("H100\n"), "control characters"],
    ] as const) {
      const answer = await call(running.url, "/api/jobs/submit", { key, body });
      expect(answer.status).to.equal(400);
      expect(answer.body.error.field).to.equal("gpu");
      expect(answer.body.error.message).to.include(problem);
    }
  });
});
