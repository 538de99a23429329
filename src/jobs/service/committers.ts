/**
 * Which Committer `pop serve` uses: POP_NUMBERS_COMMITTER = `direct` (a
 * transaction to the commit contract through the transaction engine) or
 * `capture-api` (Numbers' Capture API). The service itself only takes a
 * `Committer`; this is the one place that builds one from configuration.
 *
 * The implementations live in src/numbers/; their variables are read and
 * checked here before the service opens anything.
 */

import { createPublicClient, http } from "viem";
import { getChainId } from "viem/actions";
import { deployedAddress } from "../../anchor/deployments.ts";
import type { Database } from "../../db/database.ts";
import { BaseError } from "../../errors.ts";
import { createCaptureApi } from "../../numbers/captureApi.ts";
import { createCaptureCommitter } from "../../numbers/captureCommitter.ts";
import type { Committer, CommitterKind } from "../../numbers/committer.ts";
import { createDirectCommitter } from "../../numbers/directCommitter.ts";
import { captureApiFromEnv, directCommitterFromEnv, NUMBERS_NETWORKS } from "../../numbers/env.ts";

export const COMMITTER_VARIABLE = "POP_NUMBERS_COMMITTER";

type Env = Readonly<Record<string, string | undefined>>;

/** The committer named in the environment cannot be built. */
export class CommitterConfigError extends BaseError {
  override name = "CommitterConfigError";
}

/** Builds a committer over the service's database. */
export type CommitterBuilder = (db: Database, onWarning: (message: string) => void) => Promise<Committer>;

/** Reads and checks the committer's variables (throwing before anything is opened), then answers its builder. */
type Factory = (env: Env) => CommitterBuilder;

/** One entry per kind: a mapped type, so a kind without a factory is a compile error. */
export const COMMITTER_FACTORIES: { [kind in CommitterKind]: Factory } = {
  direct: (env) => {
    const settings = directCommitterFromEnv(env);
    return async (db) => {
      const publicClient = createPublicClient({ transport: http(settings.rpcUrl) });
      const evmChainId = await getChainId(publicClient);
      // Numbers' own contract on its networks; on any other chain (the local stand-in) this project's deployment.
      const known = NUMBERS_NETWORKS[evmChainId];
      const commitContract =
        settings.commitContract ?? known?.commitContract ?? (await deployedAddress(evmChainId, "CommitRegister"));
      const explorerUrl = settings.explorerUrl ?? known?.explorer;
      return createDirectCommitter({
        db,
        publicClient,
        account: settings.account,
        evmChainId,
        commitContract,
        confirmations: settings.confirmations,
        ...(explorerUrl === undefined ? {} : { explorerUrl }),
      });
    };
  },
  "capture-api": (env) => {
    const api = createCaptureApi(captureApiFromEnv(env));
    return (db, onWarning) => createCaptureCommitter({ db, api, onWarning });
  },
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

/** The builder of the committer POP_NUMBERS_COMMITTER names, its own variables checked. */
export function committerFromEnv(env: Env = process.env): CommitterBuilder {
  return COMMITTER_FACTORIES[committerKindFromEnv(env)](env);
}
