import { BaseError } from "../errors.ts";
import { sleep } from "./http.ts";
import type { ContentProvider } from "./provider.ts";

export type ReplicaState = "confirmed" | "pending" | "failed";

export interface ReplicaStatus {
  readonly provider: string;
  readonly state: ReplicaState;
  readonly attempts: number;
  /** The last error, for pending and failed replicas. */
  readonly error?: string;
}

export interface ReplicationOptions {
  /** How many providers must confirm; default all of them. */
  readonly quorum?: number;
  /** Attempts per provider (each may itself retry HTTP calls); default 5. */
  readonly attempts?: number;
  /** Wait before the second attempt, doubled after each; default 1 s. */
  readonly baseDelayMs?: number;
}

export interface Replication {
  /** Whether the quorum confirmed. */
  readonly stored: boolean;
  /** Each provider's state when the quorum was met or became impossible. */
  readonly statuses: readonly ReplicaStatus[];
  /** Every provider's final state, once the ones still pending have confirmed or given up. */
  readonly settled: Promise<readonly ReplicaStatus[]>;
}

/** Bad configuration: a quorum no set of providers can meet. */
export class QuorumError extends BaseError {
  override name = "QuorumError";
}

/**
 * Runs `write` against every provider at once and resolves as soon as the
 * quorum has confirmed (or can no longer confirm), while the other providers
 * keep retrying in the background (`settled`). An error marked not retryable
 * (a provider reporting another CID, refused credentials) fails that provider
 * at once.
 */
export async function replicate(
  providers: readonly ContentProvider[],
  write: (provider: ContentProvider) => Promise<void>,
  options: ReplicationOptions = {},
): Promise<Replication> {
  const quorum = options.quorum ?? providers.length;
  if (quorum < 1 || quorum > providers.length) {
    throw new QuorumError(`A quorum of ${quorum} cannot be met by ${providers.length} provider(s).`);
  }
  const attempts = options.attempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 1_000;
  const statuses: ReplicaStatus[] = providers.map((p) => ({ provider: p.name, state: "pending", attempts: 0 }));
  let confirmed = 0;
  let failed = 0;
  let decide: () => void = () => undefined;
  const decided = new Promise<void>((resolve) => {
    decide = resolve;
  });
  const check = () => {
    if (confirmed >= quorum || providers.length - failed < quorum) decide();
  };

  const tasks = providers.map(async (provider, i) => {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await write(provider);
        statuses[i] = { provider: provider.name, state: "confirmed", attempts: attempt };
        confirmed += 1;
        check();
        return;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const retryable = error instanceof BaseError ? error.retryable : true;
        const last = !retryable || attempt === attempts;
        statuses[i] = {
          provider: provider.name,
          state: last ? "failed" : "pending",
          attempts: attempt,
          error: message,
        };
        if (last) {
          failed += 1;
          check();
          return;
        }
        await sleep(baseDelayMs * 2 ** (attempt - 1));
      }
    }
  });
  const settled = Promise.all(tasks).then(() => statuses.map((s) => ({ ...s })));
  await Promise.race([decided, settled]);
  return { stored: confirmed >= quorum, statuses: statuses.map((s) => ({ ...s })), settled };
}
