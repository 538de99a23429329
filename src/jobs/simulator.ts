/**
 * The simulator's waiting part: a job is submitted now, then completes after
 * its simulated duration times `timeScale`. The clock and the sleep are
 * injectable, so tests never wait and demos can run a 300 s fine-tune in 3 s.
 */
import { setTimeout as sleepFor } from "node:timers/promises";
import { InvalidJobOptionError } from "./errors.ts";
import { type JobOutcome, type JobRequest, type PlanJobParameters, planJob } from "./plan.ts";

export interface JobSubmitted extends JobRequest {
  readonly eventType: "JobSubmitted";
  /** Clock reading (ms since the epoch) when the job was submitted. */
  readonly submittedAt: number;
}

export interface JobCompleted extends JobOutcome {
  readonly eventType: "JobCompleted";
  readonly jobId: string;
  /** Clock reading when the job completed: after the scaled wait, never the simulated end. */
  readonly completedAt: number;
  /** The scale the wait ran at, so a receipt says how long the run really waited. */
  readonly timeScale: number;
}

export type JobEvent = JobSubmitted | JobCompleted;

export interface SimulateJobParameters extends PlanJobParameters {
  /**
   * Real time per simulated time: 1 waits the whole simulated duration, 0.01 a
   * hundredth of it, 0 not at all. Reported durations are the simulated ones either way.
   */
  readonly timeScale: number;
  /** Milliseconds since the epoch; `Date.now` when absent. */
  readonly now?: () => number;
  /** Waits `ms`; node:timers' setTimeout when absent. Tests pass one that returns at once. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Aborts the wait: `complete()` then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

export interface SimulatedJob {
  readonly submitted: JobSubmitted;
  /** How long `complete()` sleeps: durationMs × timeScale, rounded to the ms. */
  readonly waitMs: number;
  /** Waits `waitMs`, then returns the completion facts; later calls return the same promise. */
  complete(): Promise<JobCompleted>;
}

export type SimulateJobReturnType = SimulatedJob;
export type SimulateJobErrorType = InvalidJobOptionError;

function timeScaleOf(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    throw new InvalidJobOptionError("timeScale", `must be a finite number ≥ 0 (0 = no wait), got ${String(value)}`);
  return value;
}

function functionOf<T>(value: T | undefined, field: string, fallback: NonNullable<T>): NonNullable<T> {
  if (value === undefined) return fallback;
  if (typeof value !== "function") throw new InvalidJobOptionError(field, `must be a function, got ${typeof value}`);
  return value as NonNullable<T>;
}

function clockReading(now: () => number): number {
  const ms = now();
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw new InvalidJobOptionError("now", `must return whole milliseconds since the epoch, returned ${String(ms)}`);
  return ms;
}

const realSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  sleepFor(ms, undefined, signal === undefined ? {} : { signal });

/**
 * Submits a simulated GPU job: returns its JobSubmitted facts at once, and
 * `complete()` for its JobCompleted facts after the scaled wait.
 *
 * @example
 * const job = simulateJob({ seed: 7n, taskType: "fine-tuning", gpu: "H100", executor: "worker-1", timeScale: 0.01 });
 * await post(job.submitted);
 * await post(await job.complete()); // about 3 s later, durationMs still about 300,000
 * @throws {InvalidJobOptionError} naming the first bad option.
 */
export function simulateJob(parameters: SimulateJobParameters): SimulateJobReturnType {
  const timeScale = timeScaleOf(parameters.timeScale);
  const now = functionOf(parameters.now, "now", Date.now);
  const sleep = functionOf(parameters.sleep, "sleep", realSleep);
  const { request, outcome } = planJob(parameters);
  const submitted: JobSubmitted = { eventType: "JobSubmitted", ...request, submittedAt: clockReading(now) };
  const waitMs = Math.round(outcome.durationMs * timeScale);
  let completion: Promise<JobCompleted> | undefined;
  const complete = async (): Promise<JobCompleted> => {
    if (waitMs > 0) await sleep(waitMs, parameters.signal);
    parameters.signal?.throwIfAborted();
    return { eventType: "JobCompleted", jobId: request.jobId, ...outcome, completedAt: clockReading(now), timeScale };
  };
  return {
    submitted,
    waitMs,
    complete() {
      completion ??= complete();
      return completion;
    },
  };
}
