/**
 * From a worker's request to the facts the packet mapping (../packets.ts)
 * takes. The submission is kept as JSON in the job's row (`submitted`), since
 * the JobCompleted packet repeats the request.
 */
import { fromHex } from "../../bytes.ts";
import { GPU_IDS, GPU_TYPES, type GpuId, TASK_TYPES } from "../catalog.ts";
import type { JobCompletedFacts, JobDevice, JobFileFacts, JobSubmittedFacts } from "../packets.ts";
import type { CompleteBody, SubmitBody } from "./schemas.ts";

type FileBody = NonNullable<CompleteBody["output"]>;

/** A submission as stored: the validated body with its job id, time and seed fixed. */
export interface StoredSubmission extends Omit<SubmitBody, "jobId" | "submittedAt" | "seed"> {
  readonly jobId: string;
  readonly submittedAt: number;
  /** Decimal: JSON numbers lose precision past 2^53. */
  readonly seed: string;
}

export function storedSubmission(body: SubmitBody, jobId: string, now: number): StoredSubmission {
  return { ...body, jobId, submittedAt: body.submittedAt ?? now, seed: String(body.seed) };
}

function fileFacts(file: FileBody): JobFileFacts {
  const facts = {
    fileName: file.fileName,
    mimeType: file.mimeType,
    sha256: fromHex(file.sha256) as Uint8Array,
    size: file.size,
  };
  return file.resolution === undefined ? facts : { ...facts, resolution: file.resolution };
}

/**
 * The catalog's GPU for a catalog device class (the simulator's path, unchanged); any other device class is a
 * real worker's, named by its `gpuName` (or the class itself). A worker's `gpuName` wins over the catalog's name,
 * since it is what the hardware reported.
 */
function deviceOf(stored: StoredSubmission): JobDevice {
  const catalog = (GPU_IDS as readonly string[]).includes(stored.gpu) ? GPU_TYPES[stored.gpu as GpuId] : undefined;
  if (stored.gpuName === undefined) return catalog ?? { id: stored.gpu, name: stored.gpu };
  return { id: stored.gpu, name: stored.gpuName };
}

export function submittedFacts(stored: StoredSubmission): JobSubmittedFacts {
  return {
    eventType: "JobSubmitted",
    jobId: stored.jobId,
    seed: BigInt(stored.seed),
    taskType: TASK_TYPES[stored.taskType],
    gpu: deviceOf(stored),
    executor: stored.executor,
    modelId: stored.modelId,
    prompt: stored.prompt,
    parameters: stored.parameters,
    inputs: stored.inputs.map(fileFacts),
    submittedAt: stored.submittedAt,
    simulated: stored.simulated,
  };
}

export function completedFacts(body: CompleteBody, now: number): JobCompletedFacts {
  return {
    eventType: "JobCompleted",
    jobId: body.jobId,
    exitCode: body.exitCode,
    durationMs: body.durationMs,
    ...(body.gpuUtilization === undefined ? {} : { gpuUtilization: body.gpuUtilization }),
    ...(body.memoryUsedGb === undefined ? {} : { memoryUsedGb: body.memoryUsedGb }),
    completedAt: body.completedAt ?? now,
    timeScale: body.timeScale,
    ...(body.output === undefined ? {} : { output: fileFacts(body.output) }),
    ...(body.errorLog === undefined ? {} : { errorLog: fileFacts(body.errorLog) }),
    ...(body.failureReason === undefined ? {} : { failureReason: body.failureReason }),
  };
}
