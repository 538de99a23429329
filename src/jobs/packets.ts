/**
 * How the two lifecycle events of a GPU job become evidence packets. Only the
 * mapping lives here: validation, encoding and signing are the evidence
 * layer's (`createPacket`), so a job packet is checked exactly as every other.
 *
 * - JobSubmitted: inputs are the request (model, seed, prompt hash, parameters,
 *   input file hashes); outputs describe the job specification, a JSON
 *   document (RFC 8785) of the request, which {@link jobSpecification} returns.
 * - JobCompleted: inputs repeat the request and list the specification's hash
 *   after the input files', so the completion's lineage leads to its submission;
 *   outputs describe the result file, or on failure the error log.
 *
 * `inputs.parameters` carries `eventType` and `jobId` (so both are signed), the
 * task type, executor, GPU and `simulated` (true for the simulator's events), then the task's own parameters.
 */
import { sha256 } from "#crypto";
import { toHex } from "../bytes.ts";
import { jcs } from "../chainscript/jcs.ts";
import type { CborMap } from "../evidence/cbor/types.ts";
import type { PacketFields, SignedPacket } from "../evidence/sign.ts";
import { createPacket } from "../evidence/sign.ts";
import type { Signer } from "../keys/signer.ts";
import { JobEventError } from "./errors.ts";
import { type JobFile, jobFile } from "./files.ts";
import type { JobCompleted, JobSubmitted } from "./simulator.ts";

/**
 * A file as a packet describes it: its name, type, hash, size and resolution, without the bytes. A worker
 * reporting a real job over HTTP (the receipts service) sends these facts, not its files.
 */
export type JobFileFacts = Omit<JobFile, "bytes">;

/**
 * What the JobSubmitted packet records: the simulator's {@link JobSubmitted}, or the same facts from a
 * real worker, whose files are described rather than carried, and which says whether it was simulated
 * (the simulator's events leave it out: they always are).
 */
export interface JobSubmittedFacts extends Omit<JobSubmitted, "inputs" | "gpu"> {
  readonly inputs: readonly JobFileFacts[];
  /** The catalog's GPU for a simulated job; a real job's device class and its model's name. */
  readonly gpu: JobDevice;
  /** Signed as `inputs.parameters.simulated`; true when absent (the simulator's events). */
  readonly simulated?: boolean;
}

/** What a job ran on: `id` is the packet's `execution.deviceClass`, `name` goes into `inputs.parameters.gpu`. */
export interface JobDevice {
  readonly id: string;
  readonly name: string;
}

/** What the JobCompleted packet records: the simulator's {@link JobCompleted}, or a real worker's report. */
export interface JobCompletedFacts
  extends Omit<JobCompleted, "output" | "errorLog" | "failureReason" | "gpuUtilization" | "memoryUsedGb"> {
  /** Percent; absent when nothing measured it (a real job on a CPU): the packet then has no utilisation. */
  readonly gpuUtilization?: number;
  /** Peak memory, GB; absent when nothing measured it. */
  readonly memoryUsedGb?: number;
  readonly output?: JobFileFacts;
  readonly errorLog?: JobFileFacts;
  /** Why it failed, in a word or two (`runtime-error`, `timeout`, `out-of-memory`, or a worker's own). */
  readonly failureReason?: string;
}

/** Names the simulator in pipeline hashes and specifications; a new major version changes what a seed produces. */
export const SIMULATOR_ID = "pop-job-simulator/1";

export interface JobPacketContext {
  readonly tenantId: string;
  readonly processId: string;
  /** SHA-256 of the pipeline configuration; by default {@link defaultPipelineHash} of the task type. */
  readonly pipelineHash?: Uint8Array;
  /** A fixed packet id (tests, replays); a random UUIDv4 when absent, as the format asks. */
  readonly packetId?: string;
}

const encoder = new TextEncoder();

/** SHA-256 of the prompt as the packet format asks: NFC, trimmed, UTF-8. */
export function promptHash(prompt: string): Uint8Array {
  return sha256(encoder.encode(prompt.normalize("NFC").trim()));
}

/** Names the pipeline of a real job's hash; a new version changes what goes into it. */
export const REAL_JOB_PIPELINE_ID = "pop-job/1";

/**
 * SHA-256 of the pipeline configuration, as JSON (RFC 8785):
 * - a simulated job: the simulator id and the task type's catalog entry;
 * - a real job (`simulated: false`): {@link REAL_JOB_PIPELINE_ID}, the task type, the model and the worker's
 *   parameters (`pop job run` puts the command's hash there), all of which the packet signs, so anyone can
 *   recompute it from the packet (its `inputs.parameters` less the names the mapping adds). Where it ran
 *   (`execution.deviceClass`) is not part of the pipeline.
 */
export function defaultPipelineHash(submitted: JobSubmittedFacts): Uint8Array {
  if (submitted.simulated === false)
    return sha256(
      encoder.encode(
        jcs({
          pipeline: REAL_JOB_PIPELINE_ID,
          taskType: submitted.taskType.id,
          modelId: submitted.modelId,
          parameters: submitted.parameters,
        }),
      ),
    );
  const { id, estimateSeconds, mimeType, extension } = submitted.taskType;
  return sha256(
    encoder.encode(jcs({ simulator: SIMULATOR_ID, taskType: { id, estimateSeconds, mimeType, extension } })),
  );
}

/** File name of a job's specification, the JobSubmitted packet's output. */
export function specificationFileName(jobId: string): string {
  return `${jobId}-job.json`;
}

/** The job specification: the request as a JSON (RFC 8785) file, the JobSubmitted packet's output. */
export function jobSpecification(submitted: JobSubmittedFacts): JobFile {
  const document = {
    // A real job's specification does not claim the simulator made it.
    ...(submitted.simulated === false ? { pipeline: REAL_JOB_PIPELINE_ID } : { simulator: SIMULATOR_ID }),
    jobId: submitted.jobId,
    taskType: submitted.taskType.id,
    executor: submitted.executor,
    gpu: submitted.gpu.id,
    modelId: submitted.modelId,
    // A string: JSON numbers lose precision past 2^53, seeds go to 2^64 − 1.
    seed: submitted.seed.toString(),
    prompt: submitted.prompt,
    parameters: submitted.parameters,
    inputs: submitted.inputs.map((file) => ({
      fileName: file.fileName,
      mimeType: file.mimeType,
      sha256: toHex(file.sha256),
      size: file.size,
    })),
    submittedAt: submitted.submittedAt,
  };
  return jobFile(specificationFileName(submitted.jobId), "application/json", encoder.encode(jcs(document)));
}

function commonParameters(
  submitted: JobSubmittedFacts,
  eventType: JobSubmitted["eventType"] | JobCompleted["eventType"],
) {
  return {
    ...submitted.parameters,
    eventType,
    jobId: submitted.jobId,
    taskType: submitted.taskType.id,
    executor: submitted.executor,
    gpu: submitted.gpu.name,
    simulated: submitted.simulated ?? true,
  };
}

function outputsOf(file: JobFileFacts): PacketFields["outputs"] {
  const outputs = { assetHash: file.sha256, assetSize: file.size, mimeType: file.mimeType };
  if (file.resolution === undefined) return outputs;
  return { ...outputs, resolutionW: file.resolution.width, resolutionH: file.resolution.height };
}

function inputsOf(submitted: JobSubmittedFacts, parameters: CborMap, assetHashes: readonly Uint8Array[]) {
  const inputs = {
    promptHash: promptHash(submitted.prompt),
    modelId: submitted.modelId,
    seed: submitted.seed,
    parameters,
  };
  // The format asks writers to omit an empty list rather than write [].
  return assetHashes.length === 0 ? inputs : { ...inputs, assetHashes };
}

function base(context: JobPacketContext) {
  const fields = { tenantId: context.tenantId, processId: context.processId };
  return context.packetId === undefined ? fields : { ...fields, packetId: context.packetId };
}

/** Packet fields of a JobSubmitted event: nothing has run, so `durationMs` is 0 and there is no utilisation. */
export function jobSubmittedFields(submitted: JobSubmittedFacts, context: JobPacketContext): PacketFields {
  return {
    ...base(context),
    timestamp: submitted.submittedAt,
    inputs: inputsOf(
      submitted,
      commonParameters(submitted, "JobSubmitted"),
      submitted.inputs.map((file) => file.sha256),
    ),
    execution: {
      durationMs: 0,
      deviceClass: submitted.gpu.id,
      pipelineHash: context.pipelineHash ?? defaultPipelineHash(submitted),
    },
    outputs: outputsOf(jobSpecification(submitted)),
  };
}

/** Packet fields of a JobCompleted event, success or failure. */
export function jobCompletedFields(
  submitted: JobSubmittedFacts,
  completed: JobCompletedFacts,
  context: JobPacketContext,
): PacketFields {
  if (completed.jobId !== submitted.jobId)
    throw new JobEventError(`JobCompleted is for job ${completed.jobId}, not the submitted job ${submitted.jobId}`);
  const file = completed.output ?? completed.errorLog;
  if (file === undefined)
    throw new JobEventError(`JobCompleted for job ${completed.jobId} has neither output nor error log`);
  const parameters: CborMap = {
    ...commonParameters(submitted, "JobCompleted"),
    status: completed.exitCode === 0 ? "succeeded" : "failed",
    exitCode: completed.exitCode,
    ...(completed.failureReason === undefined ? {} : { failureReason: completed.failureReason }),
    ...(completed.memoryUsedGb === undefined ? {} : { memoryUsedGb: completed.memoryUsedGb }),
    timeScale: completed.timeScale,
    outputFileName: file.fileName,
  };
  return {
    ...base(context),
    timestamp: completed.completedAt,
    inputs: inputsOf(submitted, parameters, [
      ...submitted.inputs.map((input) => input.sha256),
      jobSpecification(submitted).sha256,
    ]),
    execution: {
      durationMs: completed.durationMs,
      deviceClass: submitted.gpu.id,
      pipelineHash: context.pipelineHash ?? defaultPipelineHash(submitted),
      ...(completed.gpuUtilization === undefined ? {} : { gpuUtilization: completed.gpuUtilization }),
    },
    outputs: outputsOf(file),
  };
}

/**
 * Validates, signs and encodes the packet of one job event with the evidence layer's `createPacket`.
 *
 * @example
 * const job = simulateJob({ seed: 1n, executor: "worker-1", timeScale: 0 });
 * const first = await createJobPacket(job.submitted, job.submitted, context, signer);
 * const second = await createJobPacket(job.submitted, await job.complete(), context, signer);
 * @throws {InvalidPacketError} naming the first bad field (a context with an empty tenantId, say).
 */
export function createJobPacket(
  submitted: JobSubmittedFacts,
  event: JobSubmittedFacts | JobCompletedFacts,
  context: JobPacketContext,
  signer: Signer,
): Promise<SignedPacket> {
  const fields =
    event.eventType === "JobSubmitted"
      ? jobSubmittedFields(event, context)
      : jobCompletedFields(submitted, event, context);
  return createPacket(fields, signer);
}
