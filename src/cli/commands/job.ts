import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import {
  ReceiptsClient,
  ReceiptsProtocolError,
  ReceiptsRequestError,
  ReceiptsUnavailableError,
} from "../../jobs/client.ts";
import { API_KEY_VARIABLE, CompletionNotRecordedError, JOB_ID_VARIABLE, recordRealJob } from "../../jobs/realJob.ts";
import { type Command, flag, type ParsedArgs, requireString, strings } from "../args.ts";
import { EXIT, UsageError } from "../errors.ts";

/** Where the service is when neither --service nor the variable says: `pop serve`'s default. */
export const DEFAULT_SERVICE_URL = "http://127.0.0.1:8088";
export const SERVICE_URL_VARIABLE = "POP_SERVE_URL";

/** The client from --service / POP_SERVE_URL and the key in POP_SERVE_API_KEY (never an argument: ps shows those). */
export function clientFrom(args: ParsedArgs): ReceiptsClient {
  const apiKey = process.env[API_KEY_VARIABLE];
  if (apiKey === undefined || apiKey === "")
    throw new UsageError(
      `Set ${API_KEY_VARIABLE} to the receipts service's API key (pop serve keys create --tenant <id> makes one).`,
    );
  const service = typeof args.values.service === "string" ? args.values.service : process.env[SERVICE_URL_VARIABLE];
  try {
    return new ReceiptsClient({ baseUrl: service || DEFAULT_SERVICE_URL, apiKey });
  } catch (error) {
    if (!(error instanceof ReceiptsRequestError)) throw error;
    const where = error.field === "apiKey" ? API_KEY_VARIABLE : `--service (or ${SERVICE_URL_VARIABLE})`;
    throw new UsageError(`${where}: ${error.shortMessage}`);
  }
}

/** A sentence for a failed request, naming the variable when it is the key's fault. */
export function requestProblem(error: unknown): string | undefined {
  if (error instanceof ReceiptsRequestError && (error.status === 401 || error.status === 403))
    return `the service refused the API key in ${API_KEY_VARIABLE}: ${error.shortMessage}`;
  if (
    error instanceof ReceiptsRequestError ||
    error instanceof ReceiptsUnavailableError ||
    error instanceof ReceiptsProtocolError
  )
    return error.shortMessage;
  return undefined;
}

const RUN_USAGE =
  "pop job run --task-type <type> [--input <file>]... [--output <file>]... [--executor <name>] [--model-id <id>] [--service <url>] [--wait] [--json] -- <command...>";

export const jobRun: Command = {
  usage: RUN_USAGE,
  summary:
    "run a command as a GPU job with receipts: JobSubmitted recorded before it starts, JobCompleted (exit code, duration, utilisation, hashes) after it exits",
  help: [
    `The API key is read from ${API_KEY_VARIABLE}; the service from --service or ${SERVICE_URL_VARIABLE} (default ${DEFAULT_SERVICE_URL}).`,
    "The command's stdin and stdout are this terminal's; its stderr is copied through (its tail is a failed run's error log).",
    `It gets the job's id in ${JOB_ID_VARIABLE}, never the API key. pop job run exits with the command's exit code;`,
    "2 when a receipt could not be recorded (if JobSubmitted fails, the command does not run). See docs/receipts.md.",
    "",
  ].join("\n"),
  options: {
    "task-type": { type: "string" },
    input: { type: "string", multiple: true },
    output: { type: "string", multiple: true },
    executor: { type: "string" },
    "model-id": { type: "string" },
    service: { type: "string" },
    wait: { type: "boolean" },
  },
  async run(args) {
    const taskType = requireString(args, "task-type", RUN_USAGE);
    if (args.positionals.length === 0)
      throw new UsageError("Give the command to run after --.", { details: `Usage: ${RUN_USAGE}` });
    const client = clientFrom(args);
    const json = flag(args, "json");
    const say = (line: string) => process.stderr.write(`pop job: ${line}\n`);
    try {
      const result = await recordRealJob({
        client,
        taskType,
        command: args.positionals,
        inputs: strings(args, "input"),
        outputs: strings(args, "output"),
        executor: typeof args.values.executor === "string" ? args.values.executor : hostname(),
        modelId: typeof args.values["model-id"] === "string" ? args.values["model-id"] : "unspecified",
        wait: flag(args, "wait"),
        onSubmitted: ({ receipt }) =>
          say(`JobSubmitted ${receipt.jobId}: ${receipt.nid} (${receipt.status}); starting the command`),
      });
      const { receipt } = result.completed;
      say(`JobCompleted ${receipt.jobId}: ${receipt.nid} (${receipt.status}); exit code ${result.exitCode}`);
      if (json)
        process.stdout.write(
          `${JSON.stringify(
            {
              jobId: result.jobId,
              exitCode: result.exitCode,
              durationMs: result.end?.durationMs ?? 0,
              deviceClass: result.start.accelerator.deviceClass,
              accelerator: result.start.accelerator.name,
              gpuUtilization: result.end?.gpuUtilization ?? null,
              memoryUsedMb: result.end?.memoryUsedMb ?? null,
              described: result.described,
              ...(result.manifest === undefined ? {} : { outputsManifest: result.manifest }),
              submitted: result.submitted.receipt,
              completed: receipt,
            },
            null,
            2,
          )}\n`,
        );
      return result.exitCode;
    } catch (error) {
      if (error instanceof CompletionNotRecordedError) {
        say(`${error.message.replace(/\.$/, "")}. Its outputs are on disk; its receipt is incomplete.`);
        return EXIT.usage;
      }
      const problem = requestProblem(error);
      if (problem === undefined) throw error;
      say(`JobSubmitted was not recorded, so the command did not run: ${problem}`);
      return EXIT.usage;
    }
  },
};

const SIMULATE_USAGE =
  "pop job simulate [--count <n>] [--seed <s>] [--time-scale <x>] [--concurrency <c>] [--failure-rate <r>] [--executor <name>] [--service <url>] [--wait] [--json]";

function numberOption(args: ParsedArgs, name: string, fallback: number, check: (n: number) => boolean, rule: string) {
  const value = args.values[name];
  if (value === undefined) return fallback;
  const number = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !check(number))
    throw new UsageError(`--${name} must be ${rule}, got "${String(value)}".`, { details: `Usage: ${SIMULATE_USAGE}` });
  return number;
}

export const jobSimulate: Command = {
  usage: SIMULATE_USAGE,
  summary:
    "drive the GPU job simulator against a running receipts service: each job submitted, waited for (scaled) and completed, one line per event",
  help: [
    `The API key is read from ${API_KEY_VARIABLE}; the service from --service or ${SERVICE_URL_VARIABLE} (default ${DEFAULT_SERVICE_URL}).`,
    "Defaults: --count 10, --time-scale 0.01 (a 300 s fine-tune in 3 s; 0 = no wait), --concurrency 4, a random --seed",
    "(printed first; the same seed replays the same jobs, which the service answers with their original receipts).",
    "",
  ].join("\n"),
  options: {
    count: { type: "string" },
    seed: { type: "string" },
    "time-scale": { type: "string" },
    concurrency: { type: "string" },
    "failure-rate": { type: "string" },
    executor: { type: "string" },
    service: { type: "string" },
    wait: { type: "boolean" },
  },
  async run(args) {
    const whole = (max: number) => (n: number) => Number.isInteger(n) && n >= 1 && n <= max;
    const count = numberOption(args, "count", 10, whole(1_000_000), "a whole number from 1 to 1000000");
    const concurrency = numberOption(args, "concurrency", 4, whole(1_000), "a whole number from 1 to 1000");
    const timeScale = numberOption(args, "time-scale", 0.01, (n) => Number.isFinite(n) && n >= 0, "a number ≥ 0");
    const failureRate = numberOption(args, "failure-rate", 0.05, (n) => n >= 0 && n <= 1, "a number from 0 to 1");
    const seedText = typeof args.values.seed === "string" ? args.values.seed : undefined;
    if (seedText !== undefined && !/^[0-9]{1,20}$/.test(seedText))
      throw new UsageError(`--seed must be a whole number from 0 to 2^64 - 1, got "${seedText}".`);
    const seed = seedText === undefined ? randomBytes(8).readBigUInt64BE() : BigInt(seedText);
    const client = clientFrom(args);
    const json = flag(args, "json");
    const { driveSimulatedJobs } = await import("../../jobs/drive.ts");
    process.stderr.write(`pop job: simulating ${count} jobs against ${client.baseUrl}, seed ${seed}\n`);
    try {
      const summary = await driveSimulatedJobs({
        client,
        count,
        seed,
        timeScale,
        concurrency,
        failureRate,
        ...(typeof args.values.executor === "string" ? { executor: args.values.executor } : {}),
        wait: flag(args, "wait"),
        onEvent: (event) => {
          if (json) {
            const { receipt, ...rest } = event;
            process.stdout.write(`${JSON.stringify({ ...rest, nid: receipt.nid, status: receipt.status })}\n`);
            return;
          }
          const outcome =
            event.eventType === "JobCompleted" ? ` exit ${event.exitCode} after ${event.durationMs} ms` : "";
          const again = event.repeated ? " (recorded before)" : "";
          process.stdout.write(
            `${event.eventType} ${event.jobId} ${event.taskType} on ${event.gpu}${outcome}: ${event.receipt.nid} ${event.receipt.status}${again}\n`,
          );
        },
      });
      process.stderr.write(
        `pop job: ${summary.jobs} jobs, ${summary.events} events (${summary.failed} jobs failed, ${summary.repeated} events recorded before)\n`,
      );
      return EXIT.ok;
    } catch (error) {
      const problem = requestProblem(error);
      if (problem === undefined) throw error;
      process.stderr.write(`pop job: ${problem}\n`);
      return EXIT.usage;
    }
  },
};
