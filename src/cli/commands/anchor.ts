import { anchorManifests } from "../../anchor/pipeline/pipeline.ts";
import { openDatabaseFromEnv } from "../../db/open.ts";
import { loadKeyFile, passphraseFromEnv } from "../../keys/keyFile.ts";
import { providersFromEnv } from "../../storage/config.ts";
import { certificateWarnings, formatWarning, localStoreWarning } from "../anchorWarnings.ts";
import { type Command, flag, integerOption, requireString } from "../args.ts";
import { EXIT, UsageError } from "../errors.ts";
import { printResult } from "../output.ts";
import { progressBar } from "../progress.ts";
import { accountFromEnv, connectNetwork, parseAddress } from "../registry.ts";

export const ANCHOR_SIGNER_VARIABLE = "POP_ANCHOR_SIGNER_PRIVATE_KEY";
export const RELAYER_VARIABLE = "POP_RELAYER_PRIVATE_KEY";

const USAGE =
  "pop anchor <manifest.jsonl>... --key <keyfile> [--network local|base-sepolia|base] [--rpc <url>] [--registry <address>] [--confirmations <n>] [--certificate-to <address>] [--dry-run] [--json]";

const json = (value: unknown) =>
  JSON.parse(JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v)));

export const anchor: Command = {
  usage: USAGE,
  summary:
    "sign, chain, store and anchor the runs the manifests describe, in one transaction; resumes after a crash, never anchors twice",
  options: {
    key: { type: "string" },
    network: { type: "string" },
    rpc: { type: "string" },
    registry: { type: "string" },
    confirmations: { type: "string" },
    "certificate-to": { type: "string" },
    "dry-run": { type: "boolean" },
  },
  async run(args) {
    const manifests = args.positionals;
    if (manifests.length === 0)
      throw new UsageError("Name at least one manifest (JSON Lines, one step per line).", {
        details: `Usage: ${USAGE}`,
      });
    const keyFile = requireString(args, "key", USAGE);
    const confirmations = integerOption(args, "confirmations", 1000);
    const certificate = args.values["certificate-to"];
    const certificateRecipient =
      typeof certificate === "string" ? parseAddress(certificate, "--certificate-to") : undefined;
    // Secrets and configuration are checked before any network call or file is touched.
    const anchorSigner = accountFromEnv(ANCHOR_SIGNER_VARIABLE, "an anchor signer allowed for the tenant");
    const relayer = process.env[RELAYER_VARIABLE]
      ? accountFromEnv(RELAYER_VARIABLE, "the relayer that sends the transaction")
      : anchorSigner;
    const { providers, quorum } = providersFromEnv();
    const packetSigner = await loadKeyFile(keyFile, passphraseFromEnv());
    const connection = await connectNetwork(args, USAGE);
    const db = await openDatabaseFromEnv();
    const bar = progressBar(manifests.length, !flag(args, "json"));
    try {
      const result = await anchorManifests(
        {
          db,
          publicClient: connection.publicClient,
          registry: connection.registry,
          evmChainId: connection.chainId,
          packetSigner,
          anchorSigner,
          relayer,
          providers,
          quorum,
          onProgress: bar.update,
        },
        {
          manifests,
          confirmations: confirmations ?? connection.network.confirmations,
          dryRun: flag(args, "dry-run"),
          ...(certificateRecipient ? { certificateRecipient } : {}),
        },
      );
      bar.done();
      const warning = localStoreWarning({
        providers,
        storeDir: process.env.POP_STORE_DIR,
        rpcUrl: connection.url,
        registry: connection.registry,
        runs: result.runs,
      });
      const warnings = [
        ...certificateWarnings(result.runs, certificateRecipient),
        ...(warning === undefined ? [] : [warning]),
      ];
      // On stderr, with --json too: stdout stays the result alone, for whoever reads it.
      for (const each of warnings) process.stderr.write(formatWarning(each));
      if (flag(args, "json")) {
        printResult(
          json({ network: connection.network.name, registry: connection.registry, ...result, warnings }),
          true,
        );
        return EXIT.ok;
      }
      for (const run of result.runs) {
        process.stdout.write(
          `${run.manifest}: ${run.status}\n  tenant ${run.tenantId}  chain ${run.chainId}\n  chainscript ${run.chainscriptCid} (${run.packets} packets)\n`,
        );
        if (run.receipt)
          process.stdout.write(`  tx ${run.receipt.transaction.hash} block ${run.receipt.transaction.blockNumber}\n`);
        if (run.receiptPath) process.stdout.write(`  receipt ${run.receiptPath}\n`);
      }
      if (result.estimate)
        process.stdout.write(
          `dry run: would use ${result.estimate.gas} gas, at most ${result.estimate.fee} wei at current fees\n`,
        );
      return EXIT.ok;
    } finally {
      bar.done();
      await db.close();
    }
  },
};
