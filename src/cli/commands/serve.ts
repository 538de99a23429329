import { migrate } from "../../db/migrate.ts";
import { openDatabaseFromEnv } from "../../db/open.ts";
import { anchoringFromEnv, connectAnchoring } from "../../jobs/service/anchorConfig.ts";
import { createApiKey, revokeApiKey } from "../../jobs/service/apiKeys.ts";
import { committerFromEnv } from "../../jobs/service/committers.ts";
import { serveSettingsFromEnv } from "../../jobs/service/config.ts";
import { JOBS_MIGRATIONS, JOBS_SCHEMA } from "../../jobs/service/schema.ts";
import { DEFAULT_SERVE_PORT, startReceiptsService } from "../../jobs/service/server.ts";
import { loadKeyFile, passphraseFromEnv } from "../../keys/keyFile.ts";
import type { Signer } from "../../keys/signer.ts";
import { gatewaysFromEnv, providersFromEnv } from "../../storage/config.ts";
import { lazyWebApp } from "../../web/assets.ts";
import { type Command, flag, requireString, strings } from "../args.ts";
import { EXIT, UsageError } from "../errors.ts";
import { printResult } from "../output.ts";

const SERVE_USAGE =
  "pop serve [--host <host>] [--port <port>] --tenant <id> --key <file> [--tenant <id> --key <file>]...";

async function signersOf(tenants: string[], files: string[]): Promise<Map<string, Signer>> {
  if (tenants.length === 0)
    throw new UsageError("Give at least one --tenant <id> --key <file>: packets are signed with the tenant's key.", {
      details: `Usage: ${SERVE_USAGE}`,
    });
  if (tenants.length !== files.length)
    throw new UsageError(`Give one --key per --tenant, in the same order (got ${tenants.length} and ${files.length}).`);
  const passphrase = passphraseFromEnv();
  const signers = new Map<string, Signer>();
  for (const [i, tenant] of tenants.entries()) {
    if (signers.has(tenant)) throw new UsageError(`--tenant ${tenant} is given twice.`);
    signers.set(tenant, await loadKeyFile(files[i] as string, passphrase));
  }
  return signers;
}

export const serve: Command = {
  usage: SERVE_USAGE,
  summary:
    "serve the GPU job receipts API: each job event becomes a signed packet, stored and committed on Numbers (POP_NUMBERS_COMMITTER); completed jobs are anchored on Base in batches",
  help: [
    "Routes: /api/health, /api/jobs/submit, /api/jobs/complete, /api/jobs/list, /api/jobs/timeline/:jobId, /api/openapi.json.",
    "Key files are opened with POP_KEY_PASSPHRASE. State: DATABASE_URL or PGlite in POP_STATE_DIR; storage: POP_STORE_PROVIDERS.",
    "Committer: POP_NUMBERS_COMMITTER: direct (POP_NUMBERS_RPC_URL, POP_NUMBERS_PRIVATE_KEY, POP_NUMBERS_COMMIT_CONTRACT,",
    "POP_NUMBERS_EXPLORER_URL, POP_NUMBERS_CONFIRMATIONS) or capture-api (POP_NUMBERS_API_TOKEN, POP_NUMBERS_API_URL); docs/numbers.md.",
    "Limits: POP_SERVE_BODY_LIMIT_BYTES, POP_SERVE_RATE_LIMIT,",
    "POP_SERVE_RATE_BURST, POP_SERVE_WAIT_TIMEOUT_MS. Health probes POP_RPC_URL (Base) and POP_NUMBERS_RPC_URL.",
    "Anchoring on Base (on when POP_RPC_URL and POP_ANCHOR_SIGNER_PRIVATE_KEY are set): POP_RELAYER_PRIVATE_KEY,",
    "POP_SERVE_ANCHOR_REGISTRY, POP_SERVE_ANCHOR_EVERY, POP_SERVE_ANCHOR_INTERVAL_MS, POP_SERVE_ANCHOR_FINALITY,",
    "POP_SERVE_ANCHOR_EXPLORER_URL. See docs/receipts.md.",
    "The web app at / (docs/web.md) starts from POP_RPC_URL, POP_GATEWAYS and POP_SERVE_AUDIT_API_URL (the indexer).",
    "Demos: POP_SERVE_SIMULATOR_TIME_SCALE (e.g. 0.01) turns on POST /api/jobs/simulate, the web app's job form.",
    "POP_SERVE_CORS_ORIGINS (origins, comma-separated, or *) lets a web app built by pop web build on another host call the routes.",
    "",
  ].join("\n"),
  options: {
    host: { type: "string" },
    port: { type: "string" },
    tenant: { type: "string", multiple: true },
    key: { type: "string", multiple: true },
  },
  async run(args) {
    const port = Number(args.values.port ?? DEFAULT_SERVE_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new UsageError(`--port must be 0–65535, got "${String(args.values.port)}".`);
    const host = typeof args.values.host === "string" ? args.values.host : "127.0.0.1";
    const settings = serveSettingsFromEnv();
    const { providers, quorum } = providersFromEnv();
    // Configuration is checked before anything is opened: a wrong setting leaves nothing behind.
    const buildCommitter = committerFromEnv();
    const anchoring = anchoringFromEnv();
    const signers = await signersOf(strings(args, "tenant"), strings(args, "key"));
    const db = await openDatabaseFromEnv();
    try {
      const connection = anchoring.enabled ? await connectAnchoring(anchoring.settings) : { off: anchoring.reason };
      const service = await startReceiptsService({
        db,
        committer: await buildCommitter(db, (warning) => process.stderr.write(`pop serve: ${warning}\n`)),
        providers,
        quorum,
        signers,
        host,
        port,
        ...settings,
        anchoring: connection,
        web: {
          app: lazyWebApp(),
          defaults: {
            rpcUrl: settings.baseRpcUrl,
            numbersRpcUrl: settings.numbersRpcUrl,
            gateways: gatewaysFromEnv(),
            registry: "registry" in connection ? connection.registry : process.env.POP_SERVE_ANCHOR_REGISTRY?.trim(),
            auditApiUrl: settings.auditApiUrl,
          },
        },
        log: (error) =>
          process.stderr.write(
            `pop serve: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
          ),
      });
      process.stdout.write(
        `Serving GPU job receipts at ${service.url}/api (OpenAPI: ${service.url}/api/openapi.json) and the audit web app at ${service.url}/ (Ctrl-C stops)\n`,
      );
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await service.close();
    } finally {
      await db.close();
    }
    return EXIT.ok;
  },
};

export const serveKeysCreate: Command = {
  usage: "pop serve keys create --tenant <id> [--json]",
  summary: "make an API key of a tenant for the receipts service; the key is printed once and only its hash is kept",
  options: { tenant: { type: "string" } },
  async run(args) {
    const tenant = requireString(args, "tenant", serveKeysCreate.usage);
    const db = await openDatabaseFromEnv();
    try {
      await migrate(db, JOBS_SCHEMA, JOBS_MIGRATIONS);
      const created = await createApiKey(db, tenant);
      printResult(
        {
          id: created.id,
          tenant: created.tenantId,
          key: created.key,
          note: "Shown once: keep it now. Revoke with pop serve keys revoke <id>.",
        },
        flag(args, "json"),
      );
    } finally {
      await db.close();
    }
    return EXIT.ok;
  },
};

export const serveKeysRevoke: Command = {
  usage: "pop serve keys revoke <id> [--json]",
  summary: "revoke a receipts service API key by its id (key_…): every replica refuses it at once (403)",
  options: {},
  async run(args) {
    const [id, ...more] = args.positionals;
    if (id === undefined || more.length > 0)
      throw new UsageError("Give exactly one key id (key_…).", { details: `Usage: ${serveKeysRevoke.usage}` });
    const db = await openDatabaseFromEnv();
    try {
      await migrate(db, JOBS_SCHEMA, JOBS_MIGRATIONS);
      const revoked = await revokeApiKey(db, id);
      if (revoked === undefined) throw new UsageError(`No API key has the id ${JSON.stringify(id)}.`);
      printResult(
        { id: revoked.id, tenant: revoked.tenantId, revokedAt: revoked.revokedAt?.toISOString() ?? null },
        flag(args, "json"),
      );
    } finally {
      await db.close();
    }
    return EXIT.ok;
  },
};
