/**
 * Starts the receipts service: migrates its tables, starts the outbox worker
 * (and the anchoring worker when Base is configured) and serves the HTTP app
 * on @hono/node-server.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Database } from "../../db/database.ts";
import { migrate } from "../../db/migrate.ts";
import type { Signer } from "../../keys/signer.ts";
import type { Committer } from "../../numbers/committer.ts";
import type { ContentProvider } from "../../storage/provider.ts";
import type { JobAnchorLookup } from "../artifact/anchor.ts";
import type { AnchoringConnection } from "./anchorConfig.ts";
import { type AnchoringOptions, AnchorWorker } from "./anchoring.ts";
import { type AppDeps, createReceiptsApp } from "./app.ts";
import type { EventDeps } from "./events.ts";
import { type OutboxOptions, OutboxWorker } from "./outbox.ts";
import { DEFAULT_RATE_LIMIT, type RateLimit } from "./rateLimit.ts";
import { JOBS_MIGRATIONS, JOBS_SCHEMA } from "./schema.ts";
import { JobSimulator, type SimulatorOptions } from "./simulate.ts";

export interface ReceiptsServiceOptions {
  readonly db: Database;
  readonly committer: Committer;
  readonly providers: readonly ContentProvider[];
  /** Default: all providers. */
  readonly quorum?: number;
  /** Each tenant's signing key. */
  readonly signers: ReadonlyMap<string, Signer>;
  /** Default 127.0.0.1 and 8088 (0: a free port). */
  readonly host?: string;
  readonly port?: number;
  readonly bodyLimitBytes?: number;
  readonly rateLimit?: RateLimit;
  readonly waitTimeoutMs?: number;
  /** Outbox settings; `false` runs no worker (tests of recording alone, or a replica that only answers). */
  readonly worker?: Omit<OutboxOptions, "db" | "committer" | "providers" | "quorum"> | false;
  readonly baseRpcUrl?: string | undefined;
  readonly numbersRpcUrl?: string | undefined;
  /**
   * Anchoring on Base (anchoring.ts): the chain, signers and batch settings, with the worker's loop settings;
   * or, when it is off, why (reported by /api/health). Off by default.
   */
  readonly anchoring?:
    | (AnchoringConnection & Partial<Omit<AnchoringOptions, "db" | "providers" | "quorum" | "signers">>)
    | { readonly off: string };
  readonly now?: () => number;
  /** Where the artifact route reads a job's Base anchor (default: none is anchored yet). */
  readonly anchorLookup?: JobAnchorLookup;
  readonly log?: (error: unknown) => void;
  /** Origins whose pages may call the routes (CORS), or `*`; none by default (AppDeps.corsOrigins). */
  readonly corsOrigins?: readonly string[] | undefined;
  /** Runs simulated jobs for POST /api/jobs/simulate (demos); off when absent. */
  readonly simulator?: SimulatorOptions | undefined;
  /** The audit web app to serve at `/` (src/web/assets.ts), with the endpoints its verify page starts from. */
  readonly web?: AppDeps["web"];
  /**
   * Called after an event is recorded (its row committed, before the answer): `recorded`. The worker's own
   * steps are `worker.onStep`'s. The fault tests kill the process there.
   */
  readonly onStep?: (step: "recorded") => void;
}

export interface ReceiptsService {
  /** `http://host:port`. */
  readonly url: string;
  readonly worker: OutboxWorker | undefined;
  /** The anchoring worker, when anchoring is on. */
  readonly anchorWorker: AnchorWorker | undefined;
  /** Stops answering, then stops the worker after its current pass. The database stays open (the caller's). */
  close(): Promise<void>;
}

/** Not 8080: `pop gateway` takes that by default, and an operator often runs both. */
export const DEFAULT_SERVE_PORT = 8088;

export async function startReceiptsService(options: ReceiptsServiceOptions): Promise<ReceiptsService> {
  await migrate(options.db, JOBS_SCHEMA, JOBS_MIGRATIONS);
  const quorum = options.quorum ?? options.providers.length;
  const worker =
    options.worker === false
      ? undefined
      : new OutboxWorker({
          ...options.worker,
          db: options.db,
          committer: options.committer,
          providers: options.providers,
          quorum,
        });
  const anchoring = options.anchoring;
  const anchorWorker =
    anchoring === undefined || "off" in anchoring
      ? undefined
      : new AnchorWorker({
          ...anchoring,
          db: options.db,
          providers: options.providers,
          quorum,
          signers: options.signers,
        });
  const events: EventDeps = {
    db: options.db,
    signers: options.signers,
    now: options.now ?? Date.now,
    recorded: () => {
      options.onStep?.("recorded");
      worker?.wake();
    },
  };
  const log = options.log ?? (() => {});
  const simulator = options.simulator === undefined ? undefined : new JobSimulator(events, options.simulator, log);
  const app = createReceiptsApp({
    ...events,
    providers: options.providers,
    quorum,
    committer: options.committer,
    baseRpcUrl: options.baseRpcUrl,
    numbersRpcUrl: options.numbersRpcUrl,
    workerError: () => worker?.lastError,
    anchoring: () =>
      anchorWorker === undefined
        ? {
            off: anchoring !== undefined && "off" in anchoring ? anchoring.off : "Anchoring on Base is not configured.",
          }
        : { settings: anchorWorker.settings, lastError: anchorWorker.lastError },
    rateLimit: options.rateLimit ?? DEFAULT_RATE_LIMIT,
    ...(options.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: options.bodyLimitBytes }),
    ...(options.waitTimeoutMs === undefined ? {} : { waitTimeoutMs: options.waitTimeoutMs }),
    ...(options.log === undefined ? {} : { log: options.log }),
    ...(options.anchorLookup === undefined ? {} : { anchorLookup: options.anchorLookup }),
    ...(options.web === undefined ? {} : { web: options.web }),
    ...(simulator === undefined ? {} : { simulator }),
    ...(options.corsOrigins === undefined ? {} : { corsOrigins: options.corsOrigins }),
  });
  const host = options.host ?? "127.0.0.1";
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, hostname: host, port: options.port ?? DEFAULT_SERVE_PORT }, () =>
      resolve(started),
    );
    started.once("error", reject);
  });
  worker?.start();
  anchorWorker?.start();
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    worker,
    anchorWorker,
    async close() {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // Keep-alive connections would hold close() open until they time out.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await simulator?.stop();
      await Promise.all([worker?.stop(), anchorWorker?.stop()]);
    },
  };
}
