import { anchorManifests } from "../../anchor/pipeline/pipeline.ts";
import { openDatabaseFromEnv } from "../../db/open.ts";
import { loadKeyFile, passphraseFromEnv } from "../../keys/keyFile.ts";
import { providersFromEnv } from "../../storage/config.ts";
import { certificateWarnings, formatWarning, localStoreWarning } from "../anchorWarnings.ts";
import { flag, integerOption, type ParsedArgs, requireString } from "../args.ts";
import { EXIT } from "../errors.ts";
import { printResult } from "../output.ts";
import type { Progress } from "../progress.ts";
import { accountFromEnv, connectNetwork, parseAddress } from "../registry.ts";

export const ANCHOR_SIGNER_VARIABLE = "POP_ANCHOR_SIGNER_PRIVATE_KEY";
export const RELAYER_VARIABLE = "POP_RELAYER_PRIVATE_KEY";

const json = (value: unknown) =>
  JSON.parse(JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v)));

/** The work of `pop anchor` (anchor.ts has its shape and help); returns the exit code. */
export async function runAnchor(args: ParsedArgs, usage: string, report: Progress): Promise<number> {
  const manifests = args.positionals;
  const keyFile = requireString(args, "key", usage);
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
  // Decrypting (scrypt, most of a second, off the main thread) goes on while the RPC answers and the database opens.
  const decrypting = loadKeyFile(keyFile, passphraseFromEnv());
  decrypting.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
  const connection = await connectNetwork(args, usage);
  report.line(`${connection.network.name} (chain ${connection.chainId}), registry ${connection.registry}`);
  report.line(
    process.env.DATABASE_URL?.trim()
      ? "opening the state database (DATABASE_URL)"
      : `opening the state database (PGlite in ${process.env.POP_STATE_DIR ?? ".pop/state"})`,
  );
  // Nothing is recorded in the database before the key is known to open.
  const [decrypted, opened] = await Promise.allSettled([decrypting, openDatabaseFromEnv()]);
  if (decrypted.status === "rejected") {
    if (opened.status === "fulfilled") await opened.value.close();
    throw decrypted.reason;
  }
  if (opened.status === "rejected") throw opened.reason;
  const packetSigner = decrypted.value;
  const db = opened.value;
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
        onProgress: report.update,
      },
      {
        manifests,
        confirmations: confirmations ?? connection.network.confirmations,
        dryRun: flag(args, "dry-run"),
        ...(certificateRecipient ? { certificateRecipient } : {}),
      },
    );
    report.done();
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
      printResult(json({ network: connection.network.name, registry: connection.registry, ...result, warnings }), true);
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
    report.done();
    await db.close();
  }
}
