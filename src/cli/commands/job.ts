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
