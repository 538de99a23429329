/**
 * Drives the simulator against a running receipts service: each job is submitted, waits its scaled duration,
 * and is completed, as a fleet's workers would report it. `pop job simulate`, `npm start` and the benchmark
 * use it; the events are the simulator's (`simulated: true`), so nobody mistakes them for real jobs.
 */
import { toHex } from "../bytes.ts";
import {
  type CompleteRequest,
  DuplicateEventError,
  type EventAnswer,
  type ReceiptsClient,
  type SubmitRequest,
} from "./client.ts";
import { InvalidJobOptionError } from "./errors.ts";
import type { JobFile } from "./files.ts";
import { type JobCompleted, type JobSubmitted, simulateJob } from "./simulator.ts";

const fileBody = (file: Omit<JobFile, "bytes">) => ({
  fileName: file.fileName,
  mimeType: file.mimeType,
  sha256: toHex(file.sha256),
  size: file.size,
  ...(file.resolution === undefined ? {} : { resolution: file.resolution }),
});

/** The simulator's JobSubmitted as the service's request. */
export function submitBodyOf(submitted: JobSubmitted): SubmitRequest {
  return {
    jobId: submitted.jobId,
    taskType: submitted.taskType.id,
    executor: submitted.executor,
    gpu: submitted.gpu.id,
    modelId: submitted.modelId,
    prompt: submitted.prompt,
    seed: submitted.seed.toString(),
    parameters: { ...submitted.parameters },
    inputs: submitted.inputs.map(fileBody),
    submittedAt: submitted.submittedAt,
    simulated: true,
  };
}

/** The simulator's JobCompleted as the service's request. */
export function completeBodyOf(completed: JobCompleted): CompleteRequest {
  return {
    jobId: completed.jobId,
    exitCode: completed.exitCode,
    durationMs: completed.durationMs,
    gpuUtilization: completed.gpuUtilization,
    memoryUsedGb: completed.memoryUsedGb,
    ...(completed.output === undefined ? {} : { output: fileBody(completed.output) }),
    ...(completed.errorLog === undefined ? {} : { errorLog: fileBody(completed.errorLog) }),
    ...(completed.failureReason === undefined ? {} : { failureReason: completed.failureReason }),
    completedAt: completed.completedAt,
    timeScale: completed.timeScale,
  };
}

export interface DrivenEvent {
  /** 0-based number of the job in this run. */
  readonly index: number;
  readonly eventType: "JobSubmitted" | "JobCompleted";
  readonly jobId: string;
  readonly taskType: string;
  readonly gpu: string;
  /** The service's receipt (the original one when the event had been recorded before). */
  readonly receipt: EventAnswer["receipt"];
  /** True when the service had the event already (the same seed driven before, or a retry). */
  readonly repeated: boolean;
  /** JobCompleted only. */
  readonly exitCode?: number;
  readonly durationMs?: number;
}

export interface DriveSimulatedJobsOptions {
  readonly client: ReceiptsClient;
  /** Jobs to run, 1 or more. */
  readonly count: number;
  /** Job i is the simulator's job of seed + i (mod 2^64): the same seed replays the same jobs. */
  readonly seed: bigint;
  /** Real time per simulated time (0: no wait). */
  readonly timeScale: number;
  /** Jobs in flight at once (default 1). */
  readonly concurrency?: number;
  readonly failureRate?: number;
  readonly executor?: string;
  /** `?wait=commit` for every event. */
  readonly wait?: boolean;
  readonly onEvent?: (event: DrivenEvent) => void;
  /** The simulator's wait; tests pass one that returns at once. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly signal?: AbortSignal;
}

export interface DriveSummary {
  readonly jobs: number;
  readonly events: number;
  /** Jobs whose exit code was not 0. */
  readonly failed: number;
  /** Events the service had already. */
  readonly repeated: number;
}

const MAX_UINT64 = 2n ** 64n - 1n;

/** Records the event, taking a duplicate's original receipt as the answer (a replayed seed). */
async function record(post: () => Promise<EventAnswer>): Promise<EventAnswer> {
  try {
    return await post();
  } catch (error) {
    if (error instanceof DuplicateEventError) return { receipt: error.receipt, repeated: true };
    throw error;
  }
}

/**
 * Runs `count` simulated jobs against the service, `concurrency` at a time.
 *
 * @throws {InvalidJobOptionError} naming a bad option, before any request.
 * @throws the client's errors: the first failed request stops the run (jobs in flight finish).
 */
export async function driveSimulatedJobs(options: DriveSimulatedJobsOptions): Promise<DriveSummary> {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isSafeInteger(options.count) || options.count < 1)
    throw new InvalidJobOptionError("count", `must be a whole number ≥ 1, got ${options.count}`);
  if (!Number.isSafeInteger(concurrency) || concurrency < 1)
    throw new InvalidJobOptionError("concurrency", `must be a whole number ≥ 1, got ${concurrency}`);
  if (options.seed < 0n || options.seed > MAX_UINT64)
    throw new InvalidJobOptionError("seed", "must be from 0 to 2^64 - 1");
  const wait = { wait: options.wait === true };
  // Each job is simulated when its turn comes, so its submittedAt is when it was submitted; the first one
  // now, so a bad option (time scale, failure rate) fails before any request.
  const make = (index: number) =>
    simulateJob({
      seed: (options.seed + BigInt(index)) & MAX_UINT64,
      executor: options.executor ?? "pop-job-simulate",
      timeScale: options.timeScale,
      ...(options.failureRate === undefined ? {} : { failureRate: options.failureRate }),
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  const first = make(0);
  let next = 0;
  let failed = 0;
  let repeated = 0;
  let stopped = false;
  const worker = async () => {
    while (!stopped && next < options.count) {
      const index = next++;
      const job = index === 0 ? first : make(index);
      const { jobId, taskType, gpu } = job.submitted;
      const common = { index, jobId, taskType: taskType.id, gpu: gpu.id };
      try {
        const submitted = await record(() => options.client.submit(submitBodyOf(job.submitted), wait));
        options.onEvent?.({ ...common, eventType: "JobSubmitted", ...submitted });
        const outcome = await job.complete();
        const completed = await record(() => options.client.complete(completeBodyOf(outcome), wait));
        options.onEvent?.({
          ...common,
          eventType: "JobCompleted",
          ...completed,
          exitCode: outcome.exitCode,
          durationMs: outcome.durationMs,
        });
        if (outcome.exitCode !== 0) failed += 1;
        repeated += Number(submitted.repeated) + Number(completed.repeated);
      } catch (error) {
        stopped = true;
        throw error;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(concurrency, options.count) }, worker));
  const rejected = results.find((result) => result.status === "rejected");
  if (rejected !== undefined) throw rejected.reason;
  return { jobs: options.count, events: options.count * 2, failed, repeated };
}
