/**
 * Running a real job for its receipts: the input files are hashed and the
 * hardware probed, the start is handed to the caller (who records JobSubmitted)
 * and only then is the command started; while it runs the accelerator is
 * sampled; when it exits, its duration, exit code, utilisation and the
 * output files' hashes make the completion. Nothing is taken from the job's
 * word: every fact is measured here.
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { basename } from "node:path";
import { type AssetFacts, describeAssetFile } from "../evidence/assetFile.ts";
import { type TaskTypeId, taskTypeOf } from "./catalog.ts";
import { InvalidJobOptionError } from "./errors.ts";
import { type Accelerator, type HardwareProbe, type HardwareReading, probeHardware } from "./hardware.ts";

export interface RunFile extends AssetFacts {
  readonly path: string;
  readonly fileName: string;
}

export interface JobRunStart {
  readonly taskType: TaskTypeId;
  /** The command and its arguments, as run. */
  readonly command: readonly string[];
  readonly inputs: readonly RunFile[];
  readonly accelerator: Accelerator;
  /** ms since the epoch, just before the command starts. */
  readonly startedAt: number;
}

export interface JobRunEnd {
  /** The command's exit code; 128 + the signal's number when a signal ended it (as a shell reports it). */
  readonly exitCode: number;
  readonly signal?: NodeJS.Signals;
  readonly durationMs: number;
  /** Mean of the readings taken while it ran (percent); absent without readings (a CPU, a silent tool). */
  readonly gpuUtilization?: number;
  /** Peak memory in use over the readings, MiB. */
  readonly memoryUsedMb?: number;
  readonly samples: number;
  /** The declared outputs that exist after the run, hashed. */
  readonly outputs: readonly RunFile[];
  /** Declared outputs the run did not leave behind. */
  readonly missingOutputs: readonly string[];
  /** The last `stderrTailBytes` bytes the command wrote to stderr, when asked for. */
  readonly stderrTail?: Uint8Array;
  readonly endedAt: number;
}

export interface RunJobOptions {
  readonly taskType: string;
  /** The program and its arguments. */
  readonly command: readonly string[];
  readonly inputs?: readonly string[];
  readonly outputs?: readonly string[];
  /** Records the start (JobSubmitted); the command runs only once this resolves, and not at all if it throws. */
  readonly onStart: (start: JobRunStart) => Promise<void>;
  readonly probe?: HardwareProbe;
  /** Between hardware readings (default 1,000 ms). */
  readonly sampleIntervalMs?: number;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Where the command's output goes (default: this process's, so a user sees the job as it runs). */
  readonly stdio?: "inherit" | "ignore";
  /**
   * Keep the last this many bytes of the command's stderr (a failed run's error log). Its stderr is then a
   * pipe, copied on to this process's stderr as it comes (with `stdio: "inherit"`), so the user still sees it;
   * a tool that colours only a terminal will not colour it.
   */
  readonly stderrTailBytes?: number;
  readonly now?: () => number;
}

/** Keeps the last `limit` bytes of a stream without holding the rest. */
function tail(limit: number) {
  let chunks: Buffer[] = [];
  let size = 0;
  return {
    push(chunk: Buffer) {
      chunks.push(chunk);
      size += chunk.length;
      while (size - (chunks[0]?.length ?? 0) >= limit && chunks.length > 1) size -= (chunks.shift() as Buffer).length;
    },
    bytes(): Uint8Array {
      const all = Buffer.concat(chunks);
      chunks = [];
      return new Uint8Array(all.subarray(Math.max(0, all.length - limit)));
    },
  };
}

async function describeInputs(paths: readonly string[]): Promise<RunFile[]> {
  const files: RunFile[] = [];
  for (const path of paths) {
    try {
      files.push({ path, fileName: basename(path), ...(await describeAssetFile(path)) });
    } catch (error) {
      throw new InvalidJobOptionError("input", (error as Error).message.replace(/\.$/, ""));
    }
  }
  return files;
}

/** Readings taken every `intervalMs` until stopped; a reading that fails is skipped, never invented. */
function sampler(probe: HardwareProbe, intervalMs: number) {
  const readings: HardwareReading[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  const take = () => {
    inFlight = inFlight.then(async () => {
      const reading = await probe.read();
      if (reading !== undefined) readings.push(reading);
    });
  };
  take();
  const timer = setInterval(take, intervalMs);
  return async () => {
    clearInterval(timer);
    await inFlight;
    return readings;
  };
}

/**
 * Runs the job and answers its completion facts.
 *
 * @throws {InvalidJobOptionError} for an unknown task type, an empty command or an input that cannot be read
 *   (before anything is recorded or run), or a command that cannot be started (after `onStart`: the caller
 *   records that as a failed completion).
 */
export async function runJob(options: RunJobOptions): Promise<JobRunEnd> {
  const taskType = taskTypeOf(options.taskType, "taskType").id;
  const [program, ...args] = options.command;
  if (program === undefined || program === "") throw new InvalidJobOptionError("command", "names no program to run");
  const now = options.now ?? Date.now;
  const inputs = await describeInputs(options.inputs ?? []);
  const probe = options.probe ?? (await probeHardware());
  const startedAt = now();
  await options.onStart({ taskType, command: options.command, inputs, accelerator: probe.accelerator, startedAt });

  const stop = sampler(probe, options.sampleIntervalMs ?? 1_000);
  const stdio = options.stdio ?? "inherit";
  const stderr = options.stderrTailBytes === undefined ? undefined : tail(options.stderrTailBytes);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: stderr === undefined ? stdio : [stdio, stdio, "pipe"],
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr?.push(chunk);
      if (stdio === "inherit") process.stderr.write(chunk);
    });
    child.once("error", (error) => resolve({ code: null, signal: null, error }));
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  const endedAt = now();
  const readings = await stop();
  if (exit.error !== undefined)
    throw new InvalidJobOptionError("command", `cannot start ${program}: ${exit.error.message}`);

  const outputs: RunFile[] = [];
  const missingOutputs: string[] = [];
  for (const path of options.outputs ?? []) {
    try {
      outputs.push({ path, fileName: basename(path), ...(await describeAssetFile(path)) });
    } catch (error) {
      // A job that failed may well leave no output: that is a fact of the run, not an error of the receipt.
      if (((error as Error).cause as NodeJS.ErrnoException | undefined)?.code !== "ENOENT") throw error;
      missingOutputs.push(path);
    }
  }
  const signalNumber = exit.signal === null ? undefined : constants.signals[exit.signal];
  return {
    exitCode: exit.code ?? 128 + (signalNumber ?? 0),
    ...(exit.signal === null ? {} : { signal: exit.signal }),
    durationMs: Math.max(0, endedAt - startedAt),
    ...(readings.length === 0
      ? {}
      : {
          gpuUtilization: Math.round(readings.reduce((sum, r) => sum + r.utilisation, 0) / readings.length),
          memoryUsedMb: Math.max(...readings.map((r) => r.memoryUsedMb)),
        }),
    samples: readings.length,
    outputs,
    missingOutputs,
    ...(stderr === undefined ? {} : { stderrTail: stderr.bytes() }),
    endedAt,
  };
}
