/**
 * A real job's receipts: {@link runJob} measures the run, the {@link ReceiptsClient} records it. JobSubmitted
 * is recorded before the command starts (and the command does not run if that fails); JobCompleted after it
 * exits. How a run's facts become the two requests is decided here (decision 026):
 *
 * - the submission names the accelerator (device class and model), the input files' hashes and, as the
 *   pipeline's parameters, the command's SHA-256 (not the command itself: it may hold secrets) and its program;
 * - a successful run with exactly one declared output describes that file; any other success (several
 *   outputs, none declared, some missing) describes an outputs manifest: a JSON (RFC 8785) document listing
 *   each output's facts and the missing ones, which anyone holding the files can rebuild and hash;
 * - a failed run describes its error log: the tail of the command's stderr (the last 64 KiB, maybe empty);
 *   a command that could not start describes the reason it could not, with exit code 127 as a shell says.
 */
import { randomUUID } from "node:crypto";
import { basename } from "node:path";
import { sha256 } from "#crypto";
import { toHex } from "../bytes.ts";
import { jcs } from "../chainscript/jcs.ts";
import type { CompleteRequest, EventAnswer, ReceiptsClient, SubmitRequest } from "./client.ts";
import { InvalidJobOptionError } from "./errors.ts";
import type { HardwareProbe } from "./hardware.ts";
import { type JobRunEnd, type JobRunStart, type RunFile, runJob } from "./runner.ts";

/** How much of a failed command's stderr its error log holds. */
export const STDERR_TAIL_BYTES = 64 * 1024;
/** The variable that hands the job's id to the command (to tag its outputs, or ask for its receipts). */
export const JOB_ID_VARIABLE = "POP_JOB_ID";
/** The variable holding the worker's API key: the command never sees it. */
export const API_KEY_VARIABLE = "POP_SERVE_API_KEY";

export interface RecordRealJobOptions {
  readonly client: ReceiptsClient;
  readonly taskType: string;
  readonly command: readonly string[];
  readonly inputs?: readonly string[];
  readonly outputs?: readonly string[];
  readonly executor: string;
  readonly modelId: string;
  /** `?wait=commit` for both events: the command starts once its JobSubmitted is committed. */
  readonly wait?: boolean;
  /** The job's id; a UUIDv4 when absent. */
  readonly jobId?: string;
  /** The command's environment (this process's when absent), without the API key, with {@link JOB_ID_VARIABLE}. */
  readonly env?: NodeJS.ProcessEnv;
  readonly probe?: HardwareProbe;
  readonly sampleIntervalMs?: number;
  readonly stdio?: "inherit" | "ignore";
  /** Called once JobSubmitted is recorded, before the command starts. */
  readonly onSubmitted?: (answer: EventAnswer) => void;
}

export interface RealJobReceipts {
  readonly jobId: string;
  readonly start: JobRunStart;
  /** Undefined when the command could not start. */
  readonly end: JobRunEnd | undefined;
  readonly exitCode: number;
  readonly submitted: EventAnswer;
  readonly completed: EventAnswer;
  /** The file the completion describes (an output, the outputs manifest, or the error log). */
  readonly described: NonNullable<CompleteRequest["output"]>;
  /** The outputs manifest's bytes, when the completion describes one. */
  readonly manifest?: string;
}

/** The completion was not recorded although the command ran: the job has a submission and no outcome. */
export class CompletionNotRecordedError extends Error {
  override name = "CompletionNotRecordedError";
  readonly jobId: string;
  readonly exitCode: number;
  constructor(jobId: string, exitCode: number, cause: unknown) {
    super(
      `Job ${jobId} ran (exit code ${exitCode}) but its JobCompleted was not recorded: ${(cause as Error).message}`,
      { cause },
    );
    this.jobId = jobId;
    this.exitCode = exitCode;
  }
}

const encoder = new TextEncoder();

const facts = (fileName: string, mimeType: string, bytes: Uint8Array) => ({
  fileName,
  mimeType,
  sha256: toHex(sha256(bytes)),
  size: bytes.length,
});

const fileFacts = (file: RunFile) => ({
  fileName: file.fileName,
  mimeType: file.mimeType,
  sha256: toHex(file.assetHash),
  size: file.assetSize,
});

/** The outputs manifest of a run: JSON (RFC 8785), outputs in the order declared. */
export function outputsManifest(jobId: string, end: Pick<JobRunEnd, "outputs" | "missingOutputs">): string {
  return jcs({
    jobId,
    outputs: end.outputs.map(fileFacts),
    missing: end.missingOutputs.map((path) => basename(path)),
  });
}

export function submitRequest(
  jobId: string,
  start: JobRunStart,
  options: Pick<RecordRealJobOptions, "executor" | "modelId">,
): SubmitRequest {
  const [program] = start.command;
  return {
    jobId,
    taskType: start.taskType,
    executor: options.executor,
    gpu: start.accelerator.deviceClass,
    gpuName: start.accelerator.name,
    modelId: options.modelId,
    parameters: {
      commandSha256: toHex(sha256(encoder.encode(jcs([...start.command])))),
      program: basename(program ?? ""),
    },
    inputs: start.inputs.map(fileFacts),
    submittedAt: start.startedAt,
    simulated: false,
  };
}

/** The completion of a run that exited, and the file it describes. */
export function completeRequest(
  jobId: string,
  end: JobRunEnd,
): { body: CompleteRequest; described: NonNullable<CompleteRequest["output"]>; manifest?: string } {
  const measured = {
    jobId,
    exitCode: Math.min(255, end.exitCode),
    durationMs: end.durationMs,
    ...(end.gpuUtilization === undefined ? {} : { gpuUtilization: end.gpuUtilization }),
    ...(end.memoryUsedMb === undefined ? {} : { memoryUsedGb: Math.round((end.memoryUsedMb / 1024) * 10) / 10 }),
    completedAt: end.endedAt,
  };
  if (end.exitCode !== 0) {
    const errorLog = facts(`${jobId}-stderr.log`, "text/plain", end.stderrTail ?? new Uint8Array());
    const failureReason = end.signal === undefined ? `exit-${end.exitCode}` : `signal-${end.signal}`;
    return { body: { ...measured, errorLog, failureReason }, described: errorLog };
  }
  const [only] = end.outputs;
  if (only !== undefined && end.outputs.length === 1 && end.missingOutputs.length === 0) {
    const output = fileFacts(only);
    return { body: { ...measured, output }, described: output };
  }
  const manifest = outputsManifest(jobId, end);
  const output = facts(`${jobId}-outputs.json`, "application/json", encoder.encode(manifest));
  return { body: { ...measured, output }, described: output, manifest };
}

/**
 * Runs the command and records its two receipts.
 *
 * @throws {InvalidJobOptionError} before anything is recorded (a bad task type, an unreadable input).
 * @throws {ReceiptsRequestError | ReceiptsUnavailableError} when JobSubmitted could not be recorded: nothing ran.
 * @throws {CompletionNotRecordedError} when the command ran but JobCompleted could not be recorded.
 */
export async function recordRealJob(options: RecordRealJobOptions): Promise<RealJobReceipts> {
  const jobId = options.jobId ?? randomUUID();
  const { [API_KEY_VARIABLE]: _key, ...inherited } = options.env ?? process.env;
  const wait = { wait: options.wait === true };
  let start: JobRunStart | undefined;
  let submitted: EventAnswer | undefined;
  let end: JobRunEnd | undefined;
  let completion: ReturnType<typeof completeRequest>;
  try {
    end = await runJob({
      taskType: options.taskType,
      command: options.command,
      inputs: options.inputs ?? [],
      outputs: options.outputs ?? [],
      env: { ...inherited, [JOB_ID_VARIABLE]: jobId },
      stderrTailBytes: STDERR_TAIL_BYTES,
      ...(options.probe === undefined ? {} : { probe: options.probe }),
      ...(options.sampleIntervalMs === undefined ? {} : { sampleIntervalMs: options.sampleIntervalMs }),
      ...(options.stdio === undefined ? {} : { stdio: options.stdio }),
      onStart: async (started) => {
        start = started;
        submitted = await options.client.submit(submitRequest(jobId, started, options), wait);
        options.onSubmitted?.(submitted);
      },
    });
    completion = completeRequest(jobId, end);
  } catch (error) {
    // Recorded, then the program could not be started: that is the job's outcome, and it is recorded as one.
    if (submitted === undefined || !(error instanceof InvalidJobOptionError) || error.field !== "command") throw error;
    const errorLog = facts(`${jobId}-stderr.log`, "text/plain", encoder.encode(error.problem));
    completion = {
      body: {
        jobId,
        exitCode: 127,
        durationMs: 0,
        errorLog,
        failureReason: "not-started",
      },
      described: errorLog,
    };
  }
  const exitCode = completion.body.exitCode;
  let completed: EventAnswer;
  try {
    completed = await options.client.complete(completion.body, wait);
  } catch (error) {
    throw new CompletionNotRecordedError(jobId, exitCode, error);
  }
  return {
    jobId,
    start: start as JobRunStart,
    end,
    exitCode,
    submitted: submitted as EventAnswer,
    completed,
    described: completion.described,
    ...(completion.manifest === undefined ? {} : { manifest: completion.manifest }),
  };
}
