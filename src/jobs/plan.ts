/**
 * The pure part of the simulator: everything about a job, its request and its
 * outcome, computed from the seed and the options alone. No clock, no waiting:
 * the same options give the same plan, byte for byte, on every platform.
 */
import { GPU_IDS, type GpuType, gpuTypeOf, TASK_TYPE_IDS, type TaskType, taskTypeOf } from "./catalog.ts";
import { InvalidJobOptionError } from "./errors.ts";
import { type JobFile, jobFile } from "./files.ts";
import { generatedCompletion } from "./outputs/completion.ts";
import { generatedVideo } from "./outputs/mp4.ts";
import { generatedImage } from "./outputs/png.ts";
import { generatedCheckpoint } from "./outputs/safetensors.ts";
import { generatedTranscript } from "./outputs/transcript.ts";
import { SeededRandom, seedOf } from "./random.ts";
import { drawTaskRequest, IMAGE_SIZE, type ParameterValue, seededUuidV4 } from "./task.ts";

/** Share of jobs that fail when the caller does not say. */
export const DEFAULT_FAILURE_RATE = 0.05;
/** A run lasts the task's estimate times a factor in [1 − this, 1 + this]. */
export const DURATION_SPREAD = 0.2;
export const UTILIZATION_RANGE = [70, 95] as const;

/** How simulated jobs fail: exit codes as a shell or container runtime reports them. */
export const FAILURES = [
  { exitCode: 1, reason: "runtime-error" },
  { exitCode: 124, reason: "timeout" },
  { exitCode: 137, reason: "out-of-memory" },
] as const;
export type FailureReason = (typeof FAILURES)[number]["reason"];

export interface PlanJobParameters {
  /** Everything else follows from the seed: 0 … 2^64 − 1 (a bigint above 2^53 − 1). */
  readonly seed: bigint | number;
  /** Drawn from the seed when absent. */
  readonly taskType?: string;
  /** A device class (`A100`, `H100`, `RTX-4090`, `MI300X`, `TPU-v5e`); drawn from the seed when absent. */
  readonly gpu?: string;
  /** Who runs the job: a worker, node or account name. */
  readonly executor: string;
  /** Probability in [0, 1] that the job fails; {@link DEFAULT_FAILURE_RATE} when absent. */
  readonly failureRate?: number;
}

export interface JobRequest {
  /** UUIDv4 drawn from the seed. */
  readonly jobId: string;
  readonly seed: bigint;
  readonly taskType: TaskType;
  readonly gpu: GpuType;
  readonly executor: string;
  readonly modelId: string;
  readonly prompt: string;
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  /** Files the job reads, with their bytes; their hashes are the packet's `inputs.assetHashes`. */
  readonly inputs: readonly JobFile[];
}

export interface JobOutcome {
  /** 0 on success. */
  readonly exitCode: number;
  /** Why it failed; absent on success. */
  readonly failureReason?: FailureReason;
  /** Simulated run time: on success the estimate ±20 %, a failure stops part way. */
  readonly durationMs: number;
  /** Percent, 70–95. */
  readonly gpuUtilization: number;
  /** Peak accelerator memory, GB to one decimal; at most the GPU's memory (all of it on out-of-memory). */
  readonly memoryUsedGb: number;
  /** The job's result; absent on failure. */
  readonly output?: JobFile;
  /** The job's error output; present on failure only. */
  readonly errorLog?: JobFile;
}

export interface JobPlan {
  readonly request: JobRequest;
  readonly outcome: JobOutcome;
}

export type PlanJobReturnType = JobPlan;
export type PlanJobErrorType = InvalidJobOptionError;

function executorOf(value: unknown): string {
  if (typeof value !== "string" || value.trim().length === 0)
    throw new InvalidJobOptionError("executor", "must be a non-empty string naming who runs the job");
  return value;
}

/** @throws {InvalidJobOptionError} naming `field`. */
export function rateOf(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1)
    throw new InvalidJobOptionError(field, `must be a number from 0 to 1, got ${String(value)}`);
  return value;
}

function outputOf(request: JobRequest, random: SeededRandom): JobFile {
  const { taskType, jobId, parameters: p } = request;
  const name = `${jobId}${taskType.extension}`;
  const file = (bytes: Uint8Array, resolution?: { width: number; height: number }) =>
    jobFile(name, taskType.mimeType, bytes, resolution);
  switch (taskType.id) {
    case "image-generation":
      return file(generatedImage(random, IMAGE_SIZE, IMAGE_SIZE), { width: IMAGE_SIZE, height: IMAGE_SIZE });
    case "llm-inference":
      return file(
        generatedCompletion(random, {
          jobId,
          modelId: request.modelId,
          prompt: request.prompt,
          maxTokens: p.maxTokens as number,
        }),
      );
    case "fine-tuning":
      return file(
        generatedCheckpoint(random, {
          baseModel: request.modelId,
          rank: p.loraRank as number,
          hiddenSize: 64,
          metadata: { job_id: jobId, epochs: String(p.epochs), learning_rate: String(p.learningRate) },
        }),
      );
    case "video-upscaling": {
      const width = p.outputWidth as number;
      const height = p.outputHeight as number;
      const seconds = p.clipSeconds as number;
      return file(generatedVideo(random, { width, height, seconds, mediaBytes: 4096 }), { width, height });
    }
    case "speech-to-text":
      return file(generatedTranscript(random, p.audioSeconds as number, p.language as string));
  }
}

function errorLogOf(request: JobRequest, exitCode: number, reason: FailureReason, memoryUsedGb: number): JobFile {
  const { gpu, jobId } = request;
  const cause: Record<FailureReason, string> = {
    "runtime-error": `RuntimeError: ${request.taskType.name} step failed in ${request.modelId}`,
    timeout: "the job exceeded its time limit and was stopped",
    "out-of-memory": `out of memory on ${gpu.name}: ${memoryUsedGb.toFixed(1)} of ${gpu.memoryGb} GB in use`,
  };
  const text = `job ${jobId} (${request.taskType.id}) on ${gpu.name}\n${cause[reason]}\nexit code ${exitCode}\n`;
  return jobFile(`${jobId}-error.txt`, "text/plain", new TextEncoder().encode(text));
}

/**
 * Plans a simulated GPU job: its request (id, task, model, parameters, inputs)
 * and its outcome (duration, utilisation, memory, exit code, output bytes).
 *
 * @example
 * const { request, outcome } = planJob({ seed: 42n, executor: "worker-1" });
 * outcome.output?.sha256 // SHA-256 of real PNG / JSON / safetensors / MP4 bytes
 * @throws {InvalidJobOptionError} naming the first bad option.
 */
export function planJob(parameters: PlanJobParameters): PlanJobReturnType {
  const seed = seedOf(parameters.seed);
  const executor = executorOf(parameters.executor);
  const failureRate =
    parameters.failureRate === undefined ? DEFAULT_FAILURE_RATE : rateOf(parameters.failureRate, "failureRate");
  // One stream per purpose: naming the task type or GPU does not shift the job id or the output bytes.
  const choice = SeededRandom.for(seed, "choice");
  const taskType =
    parameters.taskType === undefined ? taskTypeOf(choice.pick(TASK_TYPE_IDS)) : taskTypeOf(parameters.taskType);
  const gpu = parameters.gpu === undefined ? gpuTypeOf(choice.pick(GPU_IDS)) : gpuTypeOf(parameters.gpu);
  const task = drawTaskRequest(taskType, SeededRandom.for(seed, "task"), SeededRandom.for(seed, "inputs"));
  const request: JobRequest = {
    jobId: seededUuidV4(SeededRandom.for(seed, "job-id")),
    seed,
    taskType,
    gpu,
    executor,
    ...task,
  };

  const run = SeededRandom.for(seed, "run");
  const fullMs = Math.round(taskType.estimateSeconds * 1000 * run.between(1 - DURATION_SPREAD, 1 + DURATION_SPREAD));
  const gpuUtilization = run.int(UTILIZATION_RANGE[0], UTILIZATION_RANGE[1]);
  const [low, high] = taskType.memoryShare;
  const memoryUsedGb = Math.round(gpu.memoryGb * run.between(low, high) * 10) / 10;
  const fails = run.float() < failureRate;
  const failure = run.pick(FAILURES);
  const stoppedAt = run.between(0.05, 1);
  if (!fails) {
    const output = outputOf(request, SeededRandom.for(seed, "output"));
    return { request, outcome: { exitCode: 0, durationMs: fullMs, gpuUtilization, memoryUsedGb, output } };
  }
  // A failed job stops part way; out of memory means every byte of the accelerator was taken.
  const usedGb = failure.reason === "out-of-memory" ? gpu.memoryGb : memoryUsedGb;
  return {
    request,
    outcome: {
      exitCode: failure.exitCode,
      failureReason: failure.reason,
      durationMs: Math.round(fullMs * stoppedAt),
      gpuUtilization,
      memoryUsedGb: usedGb,
      errorLog: errorLogOf(request, failure.exitCode, failure.reason, usedGb),
    },
  };
}
