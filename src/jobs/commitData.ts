/**
 * The `commitData` of a GPU job event's ERC-7053 commit on Numbers: nit's
 * fields (NUMBERS.md), so Numbers' explorers and tools read it as any other
 * commit, plus ours: `jobDetails`, `gpuJobMetadata` and `packetHash`.
 *
 * Everything is read from the signed packet itself (its `inputs.parameters`
 * carry the job's id, event, task type, executor and outcome), so a commit can
 * never say anything its packet does not: whoever holds the packet can rebuild
 * the commitData and compare.
 *
 * nit's asset tree has no counterpart here: the asset is the evidence packet,
 * which describes itself. So `assetTreeCid` is the packet's CID and
 * `assetTreeSha256` its hash; `assetTreeSignature` (an EIP-191 secp256k1
 * signature in nit) is empty, since the packet carries its own Ed25519
 * signature and the service holds no secp256k1 key (decision 025).
 */
import { toHex } from "../bytes.ts";
import type { CborValue } from "../evidence/cbor/types.ts";
import type { SignedPacket } from "../evidence/sign.ts";
import { JobEventError } from "./errors.ts";
import { specificationFileName } from "./packets.ts";

/** nit's `actionName` for the first commit of an asset: every event's packet is a new asset (a new CID). */
export const JOB_COMMIT_ACTION = "action-initial-registration";

export type JobEventType = "JobSubmitted" | "JobCompleted";
/** `submitted` for a JobSubmitted event; the outcome for a JobCompleted one. */
export type JobCommitStatus = "submitted" | "succeeded" | "failed";

export interface JobDetails {
  readonly jobId: string;
  readonly eventType: JobEventType;
  readonly taskType: string;
  readonly executor: string;
  readonly status: JobCommitStatus;
  readonly tenantId: string;
  readonly processId: string;
  readonly packetId: string;
  readonly modelId: string;
  /** The packet's time, ISO 8601. */
  readonly timestamp: string;
}

/** The file the event's packet describes: the job specification (JobSubmitted), output or error log (JobCompleted). */
export interface JobArtifact {
  readonly fileName: string;
  /** SHA-256, hex without 0x. */
  readonly sha256: string;
  readonly size: number;
  readonly mimeType: string;
  readonly resolution?: { readonly width: number; readonly height: number };
}

export interface GpuJobMetadata {
  /** The device class (`H100`, …), as in the packet's `execution.deviceClass`. */
  readonly gpu: string;
  /** The accelerator's name (`NVIDIA H100 SXM`). */
  readonly gpuName: string;
  readonly durationMs: number;
  /** Percent; null for JobSubmitted (nothing has run). */
  readonly gpuUtilization: number | null;
  /** Null for JobSubmitted. */
  readonly exitCode: number | null;
  readonly memoryUsedGb: number | null;
  readonly simulated: boolean;
  /** SHA-256 (hex) of the prompt, the pipeline configuration and each input file. */
  readonly promptHash: string;
  readonly pipelineHash: string;
  readonly inputHashes: readonly string[];
  readonly artifact: JobArtifact;
}

export interface JobCommitData {
  // nit's fields (NUMBERS.md, "commitData written by nit").
  readonly assetTreeCid: string;
  readonly assetTreeSha256: string;
  readonly assetTreeSignature: string;
  readonly author: string;
  readonly committer: string;
  readonly provider: string;
  readonly timestampCreated: number;
  readonly action: string;
  readonly actionResult: string;
  readonly abstract: string;
  readonly actionName: string;
  // Ours.
  readonly jobDetails: JobDetails;
  readonly gpuJobMetadata: GpuJobMetadata;
  /** SHA-256 of the packet's bytes, hex without 0x (as nit writes `assetTreeSha256`); the digest of the assetCid. */
  readonly packetHash: string;
}

export interface JobCommitDataParameters {
  readonly packet: SignedPacket;
  /** The packet's CID (CIDv1 raw): the commit's assetCid. */
  readonly packetCid: string;
  /** The address that sends the commit, when the caller knows it (the direct committer's account); else "". */
  readonly committer?: string;
}

type Parameters = Readonly<Record<string, CborValue>>;

function text(parameters: Parameters, name: string): string {
  const value = parameters[name];
  if (typeof value !== "string" || value.length === 0)
    throw new JobEventError(
      `The packet's inputs.parameters.${name} is not a non-empty string: not a job event's packet.`,
    );
  return value;
}

function numberOrNull(parameters: Parameters, name: string): number | null {
  const value = parameters[name];
  return typeof value === "number" ? value : null;
}

/**
 * The commitData of one job event's commit, from its signed packet.
 *
 * @example
 * const signed = await createJobPacket(job.submitted, job.submitted, context, signer);
 * const data = jobCommitData({ packet: signed, packetCid: rawCid(signed.bytes) });
 * JSON.stringify(data); // what the committer sends as commitData
 * @throws {JobEventError} when the packet is not a job event's (no eventType, jobId, … in its parameters).
 */
export function jobCommitData({ packet: signed, packetCid, committer = "" }: JobCommitDataParameters): JobCommitData {
  const { packet } = signed;
  const parameters = packet.inputs.parameters;
  const eventType = text(parameters, "eventType");
  if (eventType !== "JobSubmitted" && eventType !== "JobCompleted")
    throw new JobEventError(`The packet's eventType is "${eventType}", not JobSubmitted or JobCompleted.`);
  const jobId = text(parameters, "jobId");
  const taskType = text(parameters, "taskType");
  const executor = text(parameters, "executor");
  const status: JobCommitStatus =
    eventType === "JobSubmitted" ? "submitted" : text(parameters, "status") === "succeeded" ? "succeeded" : "failed";
  const packetHash = toHex(signed.packetHash);
  const { outputs, execution } = packet;
  const artifact: JobArtifact = {
    fileName: eventType === "JobSubmitted" ? specificationFileName(jobId) : text(parameters, "outputFileName"),
    sha256: toHex(outputs.assetHash),
    size: outputs.assetSize,
    mimeType: outputs.mimeType,
    ...(outputs.resolutionW === undefined || outputs.resolutionH === undefined
      ? {}
      : { resolution: { width: outputs.resolutionW, height: outputs.resolutionH } }),
  };
  return {
    assetTreeCid: packetCid,
    assetTreeSha256: packetHash,
    assetTreeSignature: "",
    author: packet.tenantId,
    committer,
    provider: "",
    timestampCreated: Math.floor(packet.timestamp / 1000),
    action: "",
    actionResult: "",
    abstract: `${eventType} of ${taskType} job ${jobId} on ${execution.deviceClass} by ${executor}: ${status}`,
    actionName: JOB_COMMIT_ACTION,
    jobDetails: {
      jobId,
      eventType,
      taskType,
      executor,
      status,
      tenantId: packet.tenantId,
      processId: packet.processId,
      packetId: packet.packetId,
      modelId: packet.inputs.modelId,
      timestamp: new Date(packet.timestamp).toISOString(),
    },
    gpuJobMetadata: {
      gpu: execution.deviceClass,
      gpuName: text(parameters, "gpu"),
      durationMs: execution.durationMs,
      gpuUtilization: execution.gpuUtilization ?? null,
      exitCode: numberOrNull(parameters, "exitCode"),
      memoryUsedGb: numberOrNull(parameters, "memoryUsedGb"),
      simulated: parameters.simulated === true,
      promptHash: toHex(packet.inputs.promptHash),
      pipelineHash: toHex(execution.pipelineHash),
      inputHashes: (packet.inputs.assetHashes ?? []).map(toHex),
      artifact,
    },
    packetHash,
  };
}
