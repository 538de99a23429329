import { gatewaysFromEnv } from "../../storage/config.ts";
import { WebBuildError, writeStaticWebApp } from "../../web/static.ts";
import { type Command, flag, strings } from "../args.ts";
import { EXIT, UsageError } from "../errors.ts";
import { printResult } from "../output.ts";

/** Each option of `pop web build` and the default field it sets. */
const FLAGS = {
  rpcUrl: "--rpc",
  numbersRpcUrl: "--numbers-rpc",
  registry: "--registry",
  auditApiUrl: "--audit-api",
  receiptsApiUrl: "--receipts-api",
};

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim().length > 0 ? value.trim() : undefined;

export const webBuild: Command = {
  usage:
    "pop web build <dir> [--rpc <url>] [--numbers-rpc <url>] [--gateway <url>]... [--registry <address>] [--audit-api <url>] [--receipts-api <url>] [--json]",
  summary:
    "write the audit web app as static files (index.html, app.js, app.css, config.json) for any web host, with the endpoints its pages start from",
  help: [
    "Defaults: POP_RPC_URL, POP_NUMBERS_RPC_URL, POP_GATEWAYS, POP_SERVE_ANCHOR_REGISTRY, POP_SERVE_AUDIT_API_URL. The endpoints must allow the",
    "host's origin (CORS): pop serve with POP_SERVE_CORS_ORIGINS, the indexer and pop gateway always do. See docs/web.md.",
    "",
  ].join("\n"),
  options: {
    rpc: { type: "string" },
    "numbers-rpc": { type: "string" },
    gateway: { type: "string", multiple: true },
    registry: { type: "string" },
    "audit-api": { type: "string" },
    "receipts-api": { type: "string" },
  },
  async run(args) {
    const [dir, ...more] = args.positionals;
    if (dir === undefined || more.length > 0)
      throw new UsageError("Give exactly one directory to write the web app into.", {
        details: `Usage: ${webBuild.usage}`,
      });
    const gateways = strings(args, "gateway");
    try {
      const written = await writeStaticWebApp(dir, {
        rpcUrl: text(args.values.rpc) ?? text(process.env.POP_RPC_URL),
        numbersRpcUrl: text(args.values["numbers-rpc"]) ?? text(process.env.POP_NUMBERS_RPC_URL),
        gateways: gateways.length > 0 ? gateways : gatewaysFromEnv(),
        registry: text(args.values.registry) ?? text(process.env.POP_SERVE_ANCHOR_REGISTRY),
        auditApiUrl: text(args.values["audit-api"]) ?? text(process.env.POP_SERVE_AUDIT_API_URL),
        receiptsApiUrl: text(args.values["receipts-api"]),
      });
      printResult({ dir, files: written }, flag(args, "json"));
    } catch (error) {
      if (!(error instanceof WebBuildError)) throw error;
      const option = error.field.startsWith("gateways") ? "--gateway" : FLAGS[error.field as keyof typeof FLAGS];
      throw new UsageError(`${option ?? error.field}: ${error.message.slice(error.field.length + 2)}`, {
        details: `Usage: ${webBuild.usage}`,
      });
    }
    return EXIT.ok;
  },
};
