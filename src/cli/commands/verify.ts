import { type Address, createPublicClient, http, isAddress, type PublicClient } from "viem";
import { deployedAddress } from "../../anchor/deployments.ts";
import { toHex } from "../../bytes.ts";
import { describeAssetFile } from "../../evidence/assetFile.ts";
import { cacheFromEnv, gatewaysFromEnv } from "../../storage/config.ts";
import { answerAsset } from "../../verify/assetAnswer.ts";
import { findAsset } from "../../verify/findAsset.ts";
import { verifyAnchor } from "../../verify/verifyAnchor.ts";
import { type Command, flag, integerOption, type ParsedArgs, requireString, strings } from "../args.ts";
import { EXIT, UsageError } from "../errors.ts";
import { formatCheck, printResult } from "../output.ts";

/** Reads the common options of `pop verify` and `pop verify-asset` and runs the protocol. */
async function runVerification(args: ParsedArgs, usage: string) {
  const tenantId = requireString(args, "tenant", usage);
  const chainId = requireString(args, "chain-id", usage);
  const rpcs = [...strings(args, "rpc"), ...(process.env.POP_RPC_URL ? [process.env.POP_RPC_URL] : [])];
  if (rpcs.length === 0)
    throw new UsageError("Give at least one --rpc (or POP_RPC_URL).", { details: `Usage: ${usage}` });
  const gateways = [...strings(args, "gateway"), ...gatewaysFromEnv()];
  if (gateways.length === 0)
    throw new UsageError("Give at least one --gateway (or POP_GATEWAYS).", { details: `Usage: ${usage}` });
  const clients = rpcs.map((url) => createPublicClient({ transport: http(url, { retryCount: 2 }) }) as PublicClient);
  const given = args.values.registry;
  let registry: Address;
  if (typeof given === "string") {
    if (!isAddress(given)) throw new UsageError(`--registry must be an address, got "${given}".`);
    registry = given;
  } else {
    registry = await deployedAddress(await (clients[0] as PublicClient).getChainId(), "ProcessAnchorRegistry");
  }
  const concurrency = integerOption(args, "concurrency", 256) ?? 16;
  const report = await verifyAnchor(clients, {
    tenantId,
    chainId,
    registry,
    gateways,
    cache: cacheFromEnv(),
    concurrency,
  });
  return { report, tenantId, chainId };
}

export const verify: Command = {
  usage:
    "pop verify --tenant <id> --chain-id <uuid> --rpc <url>... --gateway <url>... [--registry <address>] [--concurrency <n>] [--json]",
  summary:
    "verify an anchored chain with only RPC endpoints and gateways (exit 0 valid, 1 invalid, 2 could not complete)",
  options: {
    tenant: { type: "string" },
    "chain-id": { type: "string" },
    rpc: { type: "string", multiple: true },
    gateway: { type: "string", multiple: true },
    registry: { type: "string" },
    concurrency: { type: "string" },
  },
  async run(args) {
    const { report, tenantId, chainId } = await runVerification(args, verify.usage);
    const { chainscript: _chainscript, packets: _packets, ...rest } = report;
    if (flag(args, "json")) {
      printResult(JSON.parse(JSON.stringify(rest, (_, v) => (typeof v === "bigint" ? v.toString() : v))), true);
    } else {
      const anchor = report.anchor;
      process.stdout.write(`verdict: ${report.verdict}\ntenant: ${tenantId}\nchain: ${chainId}\n`);
      if (anchor) {
        process.stdout.write(
          `anchored: block ${anchor.blockNumber}, tx ${anchor.transactionHash}, ${new Date(Number(anchor.timestamp) * 1000).toISOString()}\n` +
            `chainscript: ${anchor.ipfsCid}\n` +
            (anchor.anchorCount === undefined ? "" : `the tenant's anchors as of that block: ${anchor.anchorCount}\n`),
        );
      }
      process.stdout.write(`${report.checks.map(formatCheck).join("\n")}\n`);
    }
    return report.verdict === "valid" ? EXIT.ok : report.verdict === "invalid" ? EXIT.invalid : EXIT.usage;
  },
};

export const verifyAsset: Command = {
  usage:
    "pop verify-asset <file> --tenant <id> --chain-id <uuid> --rpc <url>... --gateway <url>... [--registry <address>] [--concurrency <n>] [--json]",
  summary:
    "hash a file and prove which step of an anchored chain produced it (exit 0 proven, 1 not produced by the chain or chain invalid, 2 could not complete)",
  options: verify.options,
  async run(args) {
    const { usage } = verifyAsset;
    if (args.positionals.length !== 1) throw new UsageError("Give exactly one file.", { details: `Usage: ${usage}` });
    const file = args.positionals[0] as string;
    const { assetHash, assetSize } = await describeAssetFile(file);
    const { report, tenantId, chainId } = await runVerification(args, usage);
    const found =
      report.verdict === "valid" && report.chainscript && report.packets
        ? findAsset(report.chainscript, report.packets, assetHash)
        : undefined;
    const sha256 = toHex(assetHash);
    const { result: outcome, answer } = answerAsset({ file, sha256, tenantId, chainId, report, found });
    const details = {
      file,
      sha256,
      size: assetSize,
      verdict: report.verdict,
      tenant: tenantId,
      chain: chainId,
      ...(report.anchor
        ? { anchorBlock: report.anchor.blockNumber.toString(), anchorTx: report.anchor.transactionHash }
        : {}),
      ...(found
        ? {
            produced: true,
            entry: found.entry,
            stageId: found.stageId,
            packetCid: found.packetCid,
            packetId: found.packet.packetId,
            modelId: found.packet.inputs.modelId,
            deviceClass: found.packet.execution.deviceClass,
            createdAt: new Date(found.packet.timestamp).toISOString(),
          }
        : { produced: false }),
      ...(report.firstFailure ? { firstFailure: report.firstFailure } : {}),
    };
    // The answer comes first: a reader who stops at the first line has it, with the details after.
    if (flag(args, "json")) printResult({ result: outcome, answer, ...details }, true);
    else {
      process.stdout.write(`${answer}\n`);
      printResult(details, false);
    }
    return outcome === "proven" ? EXIT.ok : outcome === "incomplete" ? EXIT.usage : EXIT.invalid;
  },
};
