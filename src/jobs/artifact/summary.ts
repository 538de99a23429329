/**
 * The artifact's `job` and `results` sections, read from the signed packets
 * alone. The builder writes them with this function and the verifier recomputes
 * them with it, so every value there is backed by a packet signature, and a
 * changed value is named by its field.
 */
import { toHex } from "../../bytes.ts";
import type { CborMap, CborValue } from "../../evidence/cbor/types.ts";
import type { EvidencePacket } from "../../evidence/packet.ts";
import { specificationFileName } from "../packets.ts";
import type { ArtifactJob, ArtifactResults } from "./format.ts";

/** Why the packets do not describe one job's events; the field is the artifact's path to blame. */
export class JobPacketsError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function parameter(packet: EvidencePacket, name: string): CborValue | undefined {
  return (packet.inputs.parameters as CborMap)[name];
}

function stringParameter(packet: EvidencePacket, name: string, index: number): string {
  const value = parameter(packet, name);
  if (typeof value !== "string" || value.length === 0)
    throw new JobPacketsError(
      `proof.packets[${index}].bytes`,
      `packet ${index} signs no inputs.parameters.${name} as text: it is not a job event's packet`,
    );
  return value;
}

function numberParameter(packet: EvidencePacket, name: string): number | null {
  const value = parameter(packet, name);
  return typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : null;
}

function fileOf(packet: EvidencePacket, fileName: string) {
  const { assetHash, assetSize, mimeType, resolutionW, resolutionH } = packet.outputs;
  return {
    fileName,
    mimeType,
    sha256: toHex(assetHash),
    size: assetSize,
    resolution:
      resolutionW === undefined || resolutionH === undefined ? null : { width: resolutionW, height: resolutionH },
  };
}

export interface JobSummary {
  readonly job: ArtifactJob;
  readonly results: ArtifactResults | null;
}

/**
 * The job and its results as the packets sign them: `packets[0]` the JobSubmitted event's, `packets[1]`
 * (absent while the job runs) the JobCompleted event's, both of one job and tenant.
 *
 * @throws {JobPacketsError} naming the packet that is not what its place asks.
 */
export function summarizeJobPackets(packets: readonly EvidencePacket[]): JobSummary {
  const [submitted, completed, ...more] = packets;
  if (submitted === undefined) throw new JobPacketsError("proof.packets", "there is no JobSubmitted packet");
  if (more.length > 0) throw new JobPacketsError("proof.packets", `${packets.length} packets instead of one or two`);
  if (stringParameter(submitted, "eventType", 0) !== "JobSubmitted")
    throw new JobPacketsError("proof.packets[0].bytes", "packet 0 is not the JobSubmitted event's");
  const jobId = stringParameter(submitted, "jobId", 0);
  const job: ArtifactJob = {
    jobId,
    tenantId: submitted.tenantId,
    processId: submitted.processId,
    taskType: stringParameter(submitted, "taskType", 0),
    executor: stringParameter(submitted, "executor", 0),
    deviceClass: submitted.execution.deviceClass,
    gpu: stringParameter(submitted, "gpu", 0),
    modelId: submitted.inputs.modelId,
    simulated: parameter(submitted, "simulated") === true,
    submittedAt: iso(submitted.timestamp),
    specification: fileOf(submitted, specificationFileName(jobId)),
  };
  if (completed === undefined) return { job, results: null };
  if (stringParameter(completed, "eventType", 1) !== "JobCompleted")
    throw new JobPacketsError("proof.packets[1].bytes", "packet 1 is not the JobCompleted event's");
  if (stringParameter(completed, "jobId", 1) !== jobId)
    throw new JobPacketsError("proof.packets[1].bytes", `packet 1 is of another job than ${jobId}`);
  if (completed.tenantId !== submitted.tenantId)
    throw new JobPacketsError("proof.packets[1].bytes", "packet 1 is of another tenant than packet 0");
  const status = stringParameter(completed, "status", 1);
  if (status !== "succeeded" && status !== "failed")
    throw new JobPacketsError("proof.packets[1].bytes", `packet 1 signs the status "${status}"`);
  const failureReason = parameter(completed, "failureReason");
  return {
    job,
    results: {
      status,
      completedAt: iso(completed.timestamp),
      exitCode: numberParameter(completed, "exitCode") ?? -1,
      failureReason: typeof failureReason === "string" ? failureReason : null,
      durationMs: completed.execution.durationMs,
      gpuUtilization: completed.execution.gpuUtilization ?? null,
      memoryUsedGb: numberParameter(completed, "memoryUsedGb"),
      file: fileOf(completed, stringParameter(completed, "outputFileName", 1)),
    },
  };
}
