/**
 * Which Committer `pop serve` uses: POP_NUMBERS_COMMITTER = `direct` (a
 * transaction to the commit contract through the transaction engine) or
 * `capture-api` (Numbers' Capture API). The service itself only takes a
 * `Committer`; this is the one place that builds one from configuration.
 *
 * The two implementations are built apart from the service (src/numbers/);
 * each is wired in below once it lands. Until then choosing it fails with a
 * sentence saying so: there is no stand-in committer in production code.
 */
import { BaseError } from "../../errors.ts";
import type { Committer, CommitterKind } from "../../numbers/committer.ts";

export const COMMITTER_VARIABLE = "POP_NUMBERS_COMMITTER";

type Env = Readonly<Record<string, string | undefined>>;

/** The committer named in the environment cannot be built. */
export class CommitterConfigError extends BaseError {
  override name = "CommitterConfigError";
}

type Factory = (env: Env) => Promise<Committer>;

const notWired =
  (kind: CommitterKind): Factory =>
  async () => {
    throw new CommitterConfigError(
      `${COMMITTER_VARIABLE}=${kind}: the ${kind} committer is not part of this build yet.`,
      {
        details: "Wire its constructor in src/jobs/service/committers.ts.",
      },
    );
  };

/** One entry per kind: a mapped type, so a kind without a factory is a compile error. */
export const COMMITTER_FACTORIES: { [kind in CommitterKind]: Factory } = {
  direct: notWired("direct"),
  "capture-api": notWired("capture-api"),
};

/** The kind POP_NUMBERS_COMMITTER names (default `direct`). */
export function committerKindFromEnv(env: Env = process.env): CommitterKind {
  const value = env[COMMITTER_VARIABLE]?.trim() || "direct";
  if (value !== "direct" && value !== "capture-api")
    throw new CommitterConfigError(
      `${COMMITTER_VARIABLE} must be "direct" or "capture-api", got ${JSON.stringify(value)}.`,
    );
  return value;
}

/** The committer POP_NUMBERS_COMMITTER names, built from its own variables. */
export function committerFromEnv(env: Env = process.env): Promise<Committer> {
  return COMMITTER_FACTORIES[committerKindFromEnv(env)](env);
}
