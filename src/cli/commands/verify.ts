import { type Address, createPublicClient, http, isAddress, type PublicClient } from "viem";
import { deployedAddress } from "../../anchor/deployments.ts";
import type { CheckResult } from "../../chainscript/report.ts";
import { cacheFromEnv, gatewaysFromEnv } from "../../storage/config.ts";
import { verifyAnchor } from "../../verify/verifyAnchor.ts";
import { type Command, flag, requireString, strings } from "../args.ts";
import { EXIT, UsageError } from "../errors.ts";
import { printResult } from "../output.ts";

const MARK = { pass: "✔", fail: "✘", skip: "–" } as const;

function line(check: CheckResult): string {
  const first = check.failures[0];
  const detail = first ? `\n      ${first.entry === undefined ? "" : `entry ${first.entry}: `}${first.message}` : "";
  return `  ${MARK[check.status]} ${check.id}: ${check.description}${detail}`;
}

export const verify: Command = {
  usage: "pop verify --tenant <id> --chain-id <uuid> --rpc <url>... --gateway <url>... [--registry <address>] [--json]",
  summary:
    "verify an anchored chain with only RPC endpoints and gateways (exit 0 valid, 1 invalid, 2 could not complete)",
  options: {
    tenant: { type: "string" },
    "chain-id": { type: "string" },
    rpc: { type: "string", multiple: true },
    gateway: { type: "string", multiple: true },
    registry: { type: "string" },
  },
  async run(args) {
    const { usage } = verify;
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
    const report = await verifyAnchor(clients, { tenantId, chainId, registry, gateways, cache: cacheFromEnv() });
    const { chainscript: _chainscript, ...rest } = report;
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
      process.stdout.write(`${report.checks.map(line).join("\n")}\n`);
    }
    return report.verdict === "valid" ? EXIT.ok : report.verdict === "invalid" ? EXIT.invalid : EXIT.usage;
  },
};
