import { expect } from "chai";
import { toHex } from "../../src/bytes.ts";
import { rawCid } from "../../src/evidence/cid.ts";
import { createPacket } from "../../src/evidence/sign.ts";
import { JOB_COMMIT_ACTION, jobCommitData } from "../../src/jobs/commitData.ts";
import { JobEventError } from "../../src/jobs/errors.ts";
import { createJobPacket, type JobPacketContext, jobSpecification } from "../../src/jobs/packets.ts";
import { simulateJob } from "../../src/jobs/simulator.ts";
import { parseCommitData } from "../../src/numbers/commitInput.ts";
import { fixedSigner, sampleFields } from "../helpers/fixtures.ts";

const signer = fixedSigner();
const context: JobPacketContext = { tenantId: "fleet-north", processId: "gpu-jobs-v1" };
const NIT_FIELDS = [
  "assetTreeCid",
  "assetTreeSha256",
  "assetTreeSignature",
  "author",
  "committer",
  "provider",
  "timestampCreated",
  "action",
  "actionResult",
  "abstract",
  "actionName",
];

async function job(failureRate: number) {
  const simulated = simulateJob({
    seed: 11n,
    taskType: "image-generation",
    gpu: "H100",
    executor: "worker-3",
    failureRate,
    timeScale: 0,
    now: () => 1_767_225_600_500,
  });
  const completed = await simulated.complete();
  const submittedPacket = await createJobPacket(simulated.submitted, simulated.submitted, context, signer);
  const completedPacket = await createJobPacket(simulated.submitted, completed, context, signer);
  return { submitted: simulated.submitted, completed, submittedPacket, completedPacket };
}

describe("jobs: commitData", () => {
  it("carries nit's fields, the packet's CID and hash, and reads back through the indexer's parser", async () => {
    const { submitted, submittedPacket } = await job(0);
    const packetCid = rawCid(submittedPacket.bytes);
    const data = jobCommitData({ packet: submittedPacket, packetCid, committer: "0xabc" });
    for (const field of NIT_FIELDS) expect(data, field).to.have.property(field);
    expect(data.assetTreeCid).to.equal(packetCid);
    expect(data.packetHash).to.equal(toHex(submittedPacket.packetHash));
    expect(data.assetTreeSha256).to.equal(data.packetHash);
    expect(data.committer).to.equal("0xabc");
    expect(data.author).to.equal("fleet-north");
    expect(data.timestampCreated).to.equal(1_767_225_600);
    expect(data.actionName).to.equal(JOB_COMMIT_ACTION);
    const facts = parseCommitData(JSON.stringify(data));
    expect(facts).to.include({ valid: true, jobId: submitted.jobId, eventType: "JobSubmitted" });
    expect(facts.packetHash).to.equal(`0x${data.packetHash}`);
  });

  it("describes a submission: job, task, executor, GPU, the specification as the artifact, nothing run yet", async () => {
    const { submitted, submittedPacket } = await job(0);
    const data = jobCommitData({ packet: submittedPacket, packetCid: rawCid(submittedPacket.bytes) });
    expect(data.committer).to.equal("");
    expect(data.jobDetails).to.include({
      jobId: submitted.jobId,
      eventType: "JobSubmitted",
      taskType: "image-generation",
      executor: "worker-3",
      status: "submitted",
      modelId: submitted.modelId,
    });
    const spec = jobSpecification(submitted);
    expect(data.gpuJobMetadata).to.include({
      gpu: "H100",
      gpuName: "NVIDIA H100 SXM",
      durationMs: 0,
      gpuUtilization: null,
      exitCode: null,
      simulated: true,
    });
    expect(data.gpuJobMetadata.artifact).to.deep.equal({
      fileName: spec.fileName,
      sha256: toHex(spec.sha256),
      size: spec.size,
      mimeType: "application/json",
    });
  });

  it("describes a completion: duration, utilisation, exit code, memory and the output file", async () => {
    const { completed, completedPacket } = await job(0);
    const data = jobCommitData({ packet: completedPacket, packetCid: rawCid(completedPacket.bytes) });
    expect(data.jobDetails.status).to.equal("succeeded");
    expect(data.gpuJobMetadata).to.include({
      durationMs: completed.durationMs,
      gpuUtilization: completed.gpuUtilization,
      exitCode: 0,
      memoryUsedGb: completed.memoryUsedGb,
    });
    const output = completed.output;
    expect(data.gpuJobMetadata.artifact).to.deep.equal({
      fileName: output?.fileName,
      sha256: toHex(output?.sha256 ?? new Uint8Array()),
      size: output?.size,
      mimeType: "image/png",
      resolution: { width: 64, height: 64 },
    });
    // The completion lists the specification's hash after the inputs: lineage to the submission.
    expect(data.gpuJobMetadata.inputHashes).to.have.length(1);
  });

  it("says failed, with the exit code and the error log, for a failed job", async () => {
    const { completed, completedPacket } = await job(1);
    const data = jobCommitData({ packet: completedPacket, packetCid: rawCid(completedPacket.bytes) });
    expect(data.jobDetails.status).to.equal("failed");
    expect(data.gpuJobMetadata.exitCode).to.equal(completed.exitCode).and.not.equal(0);
    expect(data.gpuJobMetadata.artifact.fileName).to.equal(completed.errorLog?.fileName);
    expect(data.abstract).to.match(/: failed$/);
  });

  it("refuses a packet that is not a job event's", async () => {
    const other = await createPacket(sampleFields(), signer);
    expect(() => jobCommitData({ packet: other, packetCid: rawCid(other.bytes) })).to.throw(
      JobEventError,
      /inputs\.parameters\.eventType/,
    );
  });
});
