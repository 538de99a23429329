/**
 * `pop anchor`: the command's shape and help. The work is in anchorRun.ts, loaded only once the first
 * progress line is out: its modules (viem, PGlite, the storage clients) take about a second to load.
 */
import { basename } from "node:path";
import { type Command, flag } from "../args.ts";
import { UsageError } from "../errors.ts";
import { progress } from "../progress.ts";

const USAGE =
  "pop anchor <manifest.jsonl>... --key <keyfile> [--network local|base-sepolia|base] [--rpc <url>] [--registry <address>] [--confirmations <n>] [--certificate-to <address>] [--dry-run] [--quiet] [--json]";

const HELP = `
Manifest: JSON Lines, one pipeline step per line, in execution order (docs/anchoring.md). Each line is
the packet's fields in JSON, as pop packet create takes them, plus:
  stageId              the stage's name in the chainscript (required)
  output               path of the step's output file, relative to the manifest (required); its
                       SHA-256, size and media type are computed from the file, never taken from the line
  inputFiles           outputs of earlier lines this step consumed (lineage; optional)
  externalInputFiles   input assets from outside the run (optional)
  tenantId, processId  the same on every line
  inputs               { prompt or promptHash, modelId, seed, parameters, assetHashes? }
  execution            { durationMs, deviceClass, pipelineHash, gpuUtilization? }
  outputs              { resolutionW?, resolutionH? } (assetHash, assetSize, mimeType are computed)
  packetId, timestamp  optional: generated when absent

Environment:
  POP_KEY_PASSPHRASE             decrypts the --key file (required)
  POP_ANCHOR_SIGNER_PRIVATE_KEY  signs the EIP-712 anchor: an anchor signer allowed for the tenant (required)
  POP_RELAYER_PRIVATE_KEY        sends the transaction and pays the gas (default: the anchor signer)
  POP_RPC_URL                    the JSON-RPC URL when --rpc is not given (default: the network's public one)
  DATABASE_URL                   a Postgres server for the state; else PGlite in POP_STATE_DIR
  POP_STATE_DIR                  the embedded state database (default .pop/state)
  POP_STORE_PROVIDERS            where packets and chainscript are stored: local, pinata, kubo, filebase,
                                 comma-separated (default local; docs/storage.md for each one's variables)
  POP_STORE_QUORUM               providers that must confirm (default all)
  POP_STORE_DIR                  the local store (default .pop/store); serve it with pop gateway

Output: the result on stdout (--json: one JSON object, with "warnings"); progress on stderr, one line per
step off a terminal, a bar on one; --quiet prints no progress. Exit 0 anchored (or dry run done), 2 not.
`;

export const anchor: Command = {
  usage: USAGE,
  summary:
    "sign, chain, store and anchor the runs the manifests describe, in one transaction; resumes after a crash, never anchors twice",
  help: HELP,
  options: {
    key: { type: "string" },
    network: { type: "string" },
    rpc: { type: "string" },
    registry: { type: "string" },
    confirmations: { type: "string" },
    "certificate-to": { type: "string" },
    "dry-run": { type: "boolean" },
    quiet: { type: "boolean", short: "q" },
  },
  async run(args) {
    const manifests = args.positionals;
    if (manifests.length === 0)
      throw new UsageError("Name at least one manifest (JSON Lines, one step per line).", {
        details: `Usage: ${USAGE}`,
      });
    const shown = manifests.map((manifest) => basename(manifest));
    const report = progress(shown, !flag(args, "quiet"));
    // Before anything slow (loading modules, decrypting the key, opening the database): the user sees it started.
    report.line(`anchoring ${shown.join(", ")}${flag(args, "dry-run") ? " (dry run)" : ""}`);
    const { runAnchor } = await import("./anchorRun.ts");
    return runAnchor(args, USAGE, report);
  },
};
