/**
 * GET /api/health: each part the service depends on, with a status and a
 * sentence. `down` for the database or the signer makes the service `down`
 * (503): it cannot record an event. Chains and storage only delay commits, so
 * their trouble makes it `degraded` (200). Chains not configured are
 * `unconfigured`, not failures: the committer may reach Numbers its own way.
 */
import type { Database } from "../../db/database.ts";
import { redactUrl } from "../../db/server.ts";
import type { Signer } from "../../keys/signer.ts";
import type { Committer } from "../../numbers/committer.ts";
import type { ContentProvider } from "../../storage/provider.ts";
import type { Finality } from "./anchoring.ts";

export type ComponentStatus = "ok" | "degraded" | "down" | "unconfigured";

export interface Component {
  readonly status: ComponentStatus;
  readonly detail: string;
}

export interface HealthDeps {
  readonly db: Database;
  readonly providers: readonly ContentProvider[];
  readonly quorum: number;
  readonly committer: Committer;
  readonly signers: ReadonlyMap<string, Signer>;
  /** JSON-RPC URLs probed with eth_chainId; absent ones are reported `unconfigured`. */
  readonly baseRpcUrl?: string | undefined;
  readonly numbersRpcUrl?: string | undefined;
  /** The outbox worker's last loop failure, if any. */
  readonly workerError: () => string | undefined;
  /** The anchoring worker's settings and last failure, or why anchoring is off. */
  readonly anchoring?: () => AnchoringState;
  readonly probeTimeoutMs?: number;
}

export type AnchoringState =
  | { readonly off: string }
  | {
      readonly settings: {
        evmChainId: number;
        registry: string;
        every: number;
        intervalMs: number;
        finality: Finality;
      };
      readonly lastError: string | undefined;
    };

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function chain(name: string, url: string | undefined, timeoutMs: number): Promise<Component> {
  if (url === undefined || url.length === 0) return { status: "unconfigured", detail: `No ${name} RPC URL is set.` };
  const shown = redactUrl(url);
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as { result?: unknown };
    if (!response.ok || typeof body.result !== "string")
      return { status: "down", detail: `${shown} answered HTTP ${response.status} without a chain id.` };
    return { status: "ok", detail: `${shown} serves chain ${Number(body.result)}.` };
  } catch (error) {
    return { status: "down", detail: `${shown} did not answer eth_chainId: ${message(error)}` };
  }
}

export async function health(deps: HealthDeps) {
  const timeoutMs = deps.probeTimeoutMs ?? 2_000;
  let database: Component;
  let backlog: Record<string, number> = {};
  let failing = 0;
  try {
    const rows = await deps.db.query<{ status: string; count: number; failing: number }>(
      `select status, count(*)::integer as count, count(last_error)::integer as failing
       from pop_jobs_event where status <> 'committed' group by status`,
    );
    backlog = Object.fromEntries(rows.map((row) => [row.status, row.count]));
    failing = rows.reduce((sum, row) => sum + row.failing, 0);
    database = { status: "ok", detail: `${deps.db.kind} at ${deps.db.location}.` };
  } catch (error) {
    database = { status: "down", detail: message(error) };
  }
  const [baseChain, numbersChain] = await Promise.all([
    chain("Base", deps.baseRpcUrl, timeoutMs),
    chain("Numbers", deps.numbersRpcUrl, timeoutMs),
  ]);
  const waitingToStore = backlog.recorded ?? 0;
  const storage: Component = {
    status: failing > 0 && waitingToStore > 0 ? "degraded" : "ok",
    detail: `${deps.providers.map((p) => p.name).join(", ")} (quorum ${deps.quorum}); ${waitingToStore} packet(s) waiting to be stored.`,
  };
  const workerError = deps.workerError();
  const waitingToCommit = (backlog.stored ?? 0) + (backlog.submitted ?? 0);
  const committer: Component = {
    status: workerError === undefined ? "ok" : "degraded",
    detail: `${deps.committer.kind}; ${waitingToCommit} commit(s) pending${failing > 0 ? `, ${failing} event(s) retrying after an error` : ""}${workerError === undefined ? "" : `; last worker error: ${workerError}`}.`,
  };
  const anchoring = await anchoringComponent(deps);
  const tenants = [...deps.signers.keys()];
  const signer: Component =
    tenants.length === 0
      ? { status: "down", detail: "No tenant signing key is loaded (pop serve --tenant <id> --key <file>)." }
      : { status: "ok", detail: `Signing keys loaded for ${tenants.length} tenant(s).` };
  const components = { database, baseChain, numbersChain, storage, committer, anchoring, signer };
  const status =
    database.status === "down" || signer.status === "down"
      ? "down"
      : Object.values(components).some((c) => c.status === "down" || c.status === "degraded")
        ? "degraded"
        : "ok";
  return { status, components } as const;
}

/** Off (`unconfigured`, with why), or what it anchors where, how many jobs wait, and its last failure. */
async function anchoringComponent(deps: HealthDeps): Promise<Component> {
  const state = deps.anchoring?.() ?? { off: "Anchoring on Base is not configured." };
  if ("off" in state) return { status: "unconfigured", detail: state.off };
  const { evmChainId, registry, every, intervalMs, finality } = state.settings;
  let counts = "";
  try {
    const rows = await deps.db.query<{ status: string; count: number }>(
      "select status, count(*)::integer as count from pop_jobs_anchor where status <> 'final' group by status",
    );
    const of = (status: string) => rows.find((row) => row.status === status)?.count ?? 0;
    counts = `; ${of("pending")} job(s) in the batch being sent, ${of("anchored")} anchored awaiting finality`;
  } catch (error) {
    counts = `; anchors unreadable: ${message(error)}`;
  }
  const rule = `every ${every} job(s) or ${intervalMs} ms, final at ${finality === "finalized" ? "the finalized block" : `${finality} confirmation(s)`}`;
  return {
    status: state.lastError === undefined ? "ok" : "degraded",
    detail: `chain ${evmChainId}, registry ${registry}, ${rule}${counts}${state.lastError === undefined ? "" : `; last error: ${state.lastError}`}.`,
  };
}
