import { expect } from "chai";
import fc from "fast-check";
import { toHex } from "../../src/bytes.ts";
import { checkLineage } from "../../src/chainscript/lineage.ts";
import { decodePacket } from "../../src/evidence/codec.ts";
import { InvalidPacketError } from "../../src/evidence/errors.ts";
import { verifyPacket } from "../../src/evidence/sign.ts";
import { GPU_IDS, TASK_TYPE_IDS } from "../../src/jobs/catalog.ts";
import { JobEventError } from "../../src/jobs/errors.ts";
import {
  createJobPacket,
  type JobPacketContext,
  jobCompletedFields,
  jobSpecification,
  promptHash,
} from "../../src/jobs/packets.ts";
import { type SimulateJobParameters, simulateJob } from "../../src/jobs/simulator.ts";
import { fixedSigner, RFC8032_PUBLIC_1 } from "../helpers/fixtures.ts";
import { parseJson } from "./formats.ts";

const signer = fixedSigner();
const publicKey = Buffer.from(RFC8032_PUBLIC_1, "hex");
const context: JobPacketContext = { tenantId: "fleet-north", processId: "gpu-jobs-v1" };
const SETTINGS = { seed: 20260112, numRuns: 40 };

/** Both packets of one simulated job, signed, with the events they came from. */
async function jobPackets(parameters: Partial<SimulateJobParameters> = {}) {
  let clock = 1_767_225_600_000;
  const job = simulateJob({ seed: 8n, executor: "worker-7", timeScale: 0, now: () => clock++, ...parameters });
  const completed = await job.complete();
  const submittedPacket = await createJobPacket(job.submitted, job.submitted, context, signer);
  const completedPacket = await createJobPacket(job.submitted, completed, context, signer);
  return { submitted: job.submitted, completed, submittedPacket, completedPacket };
}

describe("jobs: packets", () => {
  it("both events make packets that decode strictly and verify under the signer's key, for any job", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.constantFrom(...TASK_TYPE_IDS),
        fc.constantFrom(...GPU_IDS),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (seed, taskType, gpu, failureRate) => {
          const { submittedPacket, completedPacket } = await jobPackets({ seed, taskType, gpu, failureRate });
          for (const signed of [submittedPacket, completedPacket]) {
            expect(decodePacket(signed.bytes).packet).to.deep.equal(signed.packet);
            expect(verifyPacket(signed.bytes, publicKey).valid).to.equal(true);
          }
        },
      ),
      SETTINGS,
    );
  });

  it("a signature does not verify once a signed parameter changes", async () => {
    const { completedPacket } = await jobPackets({ failureRate: 0 });
    const bytes = Buffer.from(completedPacket.bytes);
    const at = bytes.indexOf("JobCompleted");
    bytes.write("JobSubmitted", at);
    expect(verifyPacket(bytes, publicKey)).to.include({ valid: false });
  });

  describe("JobSubmitted", () => {
    it("signs the event type, job id, task type, executor and request, on the GPU's device class", async () => {
      const { submitted, submittedPacket } = await jobPackets({ taskType: "video-upscaling", gpu: "MI300X" });
      const { inputs, execution, timestamp } = submittedPacket.packet;
      expect(inputs.parameters).to.deep.include({
        ...submitted.parameters,
        eventType: "JobSubmitted",
        jobId: submitted.jobId,
        taskType: "video-upscaling",
        executor: "worker-7",
        gpu: "AMD MI300X",
        simulated: true,
      });
      expect(inputs).to.deep.include({
        modelId: submitted.modelId,
        seed: 8n,
        promptHash: promptHash(submitted.prompt),
      });
      expect(inputs.assetHashes).to.deep.equal([submitted.inputs[0]?.sha256]);
      expect(execution).to.deep.include({ durationMs: 0, deviceClass: "MI300X" });
      expect(execution).to.not.have.property("gpuUtilization");
      expect(timestamp).to.equal(submitted.submittedAt);
    });

    it("describes the job specification, a JSON document of the request, as its output", async () => {
      const { submitted, submittedPacket } = await jobPackets({ taskType: "speech-to-text" });
      const spec = jobSpecification(submitted);
      expect(submittedPacket.packet.outputs).to.deep.equal({
        assetHash: spec.sha256,
        assetSize: spec.size,
        mimeType: "application/json",
      });
      expect(parseJson(spec.bytes)).to.deep.include({
        jobId: submitted.jobId,
        taskType: "speech-to-text",
        seed: "8",
        submittedAt: submitted.submittedAt,
        inputs: [
          {
            fileName: "audio.wav",
            mimeType: "audio/wav",
            sha256: toHex(submitted.inputs[0]?.sha256 as Uint8Array),
            size: submitted.inputs[0]?.size,
          },
        ],
      });
    });

    it("omits assetHashes for a job without input files", async () => {
      const { submittedPacket } = await jobPackets({ taskType: "llm-inference" });
      expect(submittedPacket.packet.inputs).to.not.have.property("assetHashes");
    });
  });

  describe("JobCompleted", () => {
    it("records the output file's hash, size, type and resolution, the duration and the utilisation", async () => {
      const { completed, completedPacket } = await jobPackets({ taskType: "image-generation", failureRate: 0 });
      const output = completed.output;
      expect(completedPacket.packet.outputs).to.deep.equal({
        assetHash: output?.sha256,
        assetSize: output?.size,
        mimeType: "image/png",
        resolutionW: 64,
        resolutionH: 64,
      });
      expect(completedPacket.packet.execution).to.deep.include({
        durationMs: completed.durationMs,
        gpuUtilization: completed.gpuUtilization,
      });
      expect(completedPacket.packet.inputs.parameters).to.deep.include({
        eventType: "JobCompleted",
        jobId: completed.jobId,
        status: "succeeded",
        exitCode: 0,
        memoryUsedGb: completed.memoryUsedGb,
        timeScale: 0,
      });
      expect(completedPacket.packet.timestamp).to.equal(completed.completedAt);
    });

    it("records a failure's exit code and reason, with the error log as the output", async () => {
      const { completed, completedPacket } = await jobPackets({ failureRate: 1 });
      expect(completedPacket.packet.outputs).to.deep.equal({
        assetHash: completed.errorLog?.sha256,
        assetSize: completed.errorLog?.size,
        mimeType: "text/plain",
      });
      expect(completedPacket.packet.inputs.parameters).to.deep.include({
        status: "failed",
        exitCode: completed.exitCode,
        failureReason: completed.failureReason,
      });
      expect(completed.exitCode).to.not.equal(0);
    });

    it("lists the specification after the input files, so the pair's lineage is whole", async () => {
      const { submitted, submittedPacket, completedPacket } = await jobPackets({ taskType: "fine-tuning" });
      const dataset = submitted.inputs[0]?.sha256 as Uint8Array;
      expect(completedPacket.packet.inputs.assetHashes).to.deep.equal([
        dataset,
        submittedPacket.packet.outputs.assetHash,
      ]);
      const steps = [submittedPacket, completedPacket].map(({ packet }) => ({
        inputs: packet.inputs.assetHashes ?? [],
        output: packet.outputs.assetHash,
      }));
      expect(checkLineage(steps, new Set([toHex(dataset)]))).to.deep.equal([]);
      expect(checkLineage(steps, new Set())).to.have.length(2);
    });

    it("refuses a completion of another job", async () => {
      const first = await jobPackets({ seed: 1n });
      const second = await jobPackets({ seed: 2n });
      expect(() => jobCompletedFields(first.submitted, second.completed, context)).to.throw(
        JobEventError,
        /not the submitted job/,
      );
    });
  });

  it("leaves validation to the evidence layer: an empty tenantId is an InvalidPacketError naming it", async () => {
    const job = simulateJob({ seed: 8n, executor: "worker-7", timeScale: 0 });
    let error: unknown;
    await createJobPacket(job.submitted, job.submitted, { ...context, tenantId: "" }, signer).catch((caught) => {
      error = caught;
    });
    expect(error).to.be.instanceOf(InvalidPacketError);
    expect((error as InvalidPacketError).field).to.equal("tenantId");
  });

  it("takes a fixed packet id from the context", async () => {
    const packetId = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    const job = simulateJob({ seed: 8n, executor: "worker-7", timeScale: 0 });
    const signed = await createJobPacket(job.submitted, job.submitted, { ...context, packetId }, signer);
    expect(signed.packet.packetId).to.equal(packetId);
  });
});
