import { type Address, createPublicClient, http, isAddress, type PublicClient } from "viem";
import { verifyJobArtifact } from "../../jobs/artifact/verify.ts";
import { gatewaysFromEnv } from "../../storage/config.ts";
import { type Command, flag, strings } from "../args.ts";
import { EXIT, UsageError } from "../errors.ts";
import { readInput } from "../io.ts";
import { formatCheck, printResult } from "../output.ts";

/** Artifacts are a few kilobytes; anything this large is not one, and is refused before it is read whole. */
const MAX_ARTIFACT_BYTES = 16 * 1024 * 1024;

const client = (url: string) => createPublicClient({ transport: http(url, { retryCount: 2 }) }) as PublicClient;

export const verifyArtifact: Command = {
  usage:
    "pop verify-artifact <file> [--rpc <base-url>...] [--numbers-rpc <url>] [--gateway <url>...] [--registry <address>] [--json]",
  summary:
    "verify a job artifact from pop serve: offline, then against Base, Numbers and gateways when given (exit 0 valid, 1 invalid, 2 could not complete)",
  help: `Offline (no option): the file's bytes are its RFC 8785 form, every packet hashes to its CID and is signed by
the artifact's key, the job and results are what the packets sign, and the key signed the whole file.
That the key is the tenant's is only checked against Base: --rpc (Base; repeatable, every endpoint is asked)
reads the key from the registry and verifies the anchor; --numbers-rpc checks each Numbers commit transaction;
--gateway fetches the packets by CID. --registry: the registry to read the key from when the artifact has no
anchor (default: the project's deployment on the RPC's chain). Variables: POP_RPC_URL, POP_NUMBERS_RPC_URL,
POP_GATEWAYS (comma-separated) add to the options.
`,
  options: {
    rpc: { type: "string", multiple: true },
    "numbers-rpc": { type: "string" },
    gateway: { type: "string", multiple: true },
    registry: { type: "string" },
  },
  async run(args) {
    const { usage } = verifyArtifact;
    if (args.positionals.length !== 1)
      throw new UsageError("Give exactly one artifact file.", { details: `Usage: ${usage}` });
    const file = args.positionals[0] as string;
    const rpcs = [...strings(args, "rpc"), ...(process.env.POP_RPC_URL ? [process.env.POP_RPC_URL] : [])];
    const given = args.values["numbers-rpc"];
    const numbersRpc = typeof given === "string" ? given : process.env.POP_NUMBERS_RPC_URL;
    const gateways = [...strings(args, "gateway"), ...gatewaysFromEnv()];
    const registry = args.values.registry;
    if (registry !== undefined && (typeof registry !== "string" || !isAddress(registry)))
      throw new UsageError(`--registry must be an address, got "${String(registry)}".`);
    const bytes = await readInput(file, "the artifact");
    if (bytes.length > MAX_ARTIFACT_BYTES)
      throw new UsageError(`${file} is ${bytes.length} bytes: an artifact is at most ${MAX_ARTIFACT_BYTES}.`);
    const report = await verifyJobArtifact(bytes, {
      ...(gateways.length > 0 ? { gateways } : {}),
      ...(rpcs.length > 0 ? { base: rpcs.map(client) } : {}),
      ...(numbersRpc ? { numbers: client(numbersRpc) } : {}),
      ...(typeof registry === "string" ? { registry: registry as Address } : {}),
    });
    if (flag(args, "json")) printResult({ file, ...report }, true);
    else {
      process.stdout.write(`verdict: ${report.verdict}\nfile: ${file}\n`);
      if (report.jobId !== undefined)
        process.stdout.write(`job: ${report.jobId}\ntenant: ${report.tenantId}\nkey: ${report.keyId}\n`);
      if (report.firstFailure !== undefined) {
        const { check, field, message } = report.firstFailure;
        process.stdout.write(`first failure: ${check}${field ? ` at ${field}` : ""}: ${message}\n`);
      }
      process.stdout.write(`${report.checks.map(formatCheck).join("\n")}\n`);
      for (const note of report.notes) process.stdout.write(`note: ${note}\n`);
    }
    return report.verdict === "valid" ? EXIT.ok : report.verdict === "invalid" ? EXIT.invalid : EXIT.usage;
  },
};
