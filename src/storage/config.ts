import { join } from "node:path";
import { BaseError } from "../errors.ts";
import { FsBlockstore } from "./fsBlockstore.ts";
import { LocalStore } from "./local.ts";
import type { ContentProvider } from "./provider.ts";
import { filebaseFromEnv, kuboFromEnv, pinataFromEnv } from "./providers/env.ts";
import { createKuboProvider } from "./providers/kubo.ts";
import { createPinataProvider } from "./providers/pinata.ts";

/** A storage setting in the environment is missing or wrong. */
export class StorageConfigError extends BaseError {
  override name = "StorageConfigError";
}

type Env = Readonly<Record<string, string | undefined>>;

/** Where the embedded store lives: POP_STORE_DIR, default `.pop/store`. */
export function localStoreFromEnv(env: Env = process.env): LocalStore {
  return new LocalStore(env.POP_STORE_DIR ?? join(".pop", "store"));
}

/** The verified-block cache of retrieval: POP_CACHE_DIR (default `.pop/cache`), POP_CACHE_MAX_BYTES (default 1 GiB). */
export function cacheFromEnv(env: Env = process.env): FsBlockstore {
  const max = Number(env.POP_CACHE_MAX_BYTES ?? 2 ** 30);
  if (!Number.isSafeInteger(max) || max <= 0)
    throw new StorageConfigError(`POP_CACHE_MAX_BYTES must be a positive integer, got "${env.POP_CACHE_MAX_BYTES}".`);
  return new FsBlockstore(env.POP_CACHE_DIR ?? join(".pop", "cache"), { maxBytes: max });
}

/** Gateways to read from: POP_GATEWAYS, comma-separated trustless gateway URLs. */
export function gatewaysFromEnv(env: Env = process.env): string[] {
  return (env.POP_GATEWAYS ?? "")
    .split(",")
    .map((url) => url.trim())
    .filter((url) => url.length > 0);
}

const FACTORIES: Readonly<Record<string, (env: Env) => ContentProvider>> = {
  local: (env) => localStoreFromEnv(env),
  pinata: (env) => createPinataProvider(pinataFromEnv(env)),
  kubo: (env) => createKuboProvider(kuboFromEnv(env)),
  filebase: (env) => createKuboProvider(filebaseFromEnv(env)),
};

/**
 * The providers to write to, from POP_STORE_PROVIDERS (comma-separated; default
 * `local`), and the quorum from POP_STORE_QUORUM (default: all of them).
 */
export function providersFromEnv(env: Env = process.env): { providers: ContentProvider[]; quorum: number } {
  const names = (env.POP_STORE_PROVIDERS ?? "local")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  const providers = names.map((name) => {
    const factory = FACTORIES[name];
    if (factory === undefined) {
      throw new StorageConfigError(
        `POP_STORE_PROVIDERS names "${name}", which is not one of: ${Object.keys(FACTORIES).join(", ")}.`,
      );
    }
    return factory(env);
  });
  if (providers.length === 0) throw new StorageConfigError("POP_STORE_PROVIDERS names no provider.");
  const quorum = env.POP_STORE_QUORUM === undefined ? providers.length : Number(env.POP_STORE_QUORUM);
  if (!Number.isInteger(quorum) || quorum < 1 || quorum > providers.length) {
    throw new StorageConfigError(
      `POP_STORE_QUORUM must be between 1 and ${providers.length}, got "${env.POP_STORE_QUORUM}".`,
    );
  }
  return { providers, quorum };
}
