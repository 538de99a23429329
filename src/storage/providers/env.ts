import { BaseError } from "../../errors.ts";
import type { KuboProviderOptions } from "./kubo.ts";
import type { PinataProviderOptions } from "./pinata.ts";

/** Filebase's Kubo-compatible RPC endpoint (https://filebase.com/docs/ipfs/rpc-api). */
export const FILEBASE_RPC_URL = "https://rpc.filebase.io";

/**
 * A provider's environment variable is missing or unusable. The message names
 * the variable, never its value: the values are credentials or may carry them.
 */
export class ProviderConfigError extends BaseError {
  override name = "ProviderConfigError";
  readonly variable: string;

  constructor(variable: string, problem: string, hint: string) {
    super(`${variable} ${problem}.`, { details: hint });
    this.variable = variable;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export function requiredVariable(env: Env, variable: string, hint: string): string {
  const value = env[variable];
  if (value === undefined || value.trim() === "") throw new ProviderConfigError(variable, "is not set", hint);
  return value.trim();
}

export function optionalVariable(env: Env, variable: string): string | undefined {
  const value = env[variable]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/** An http(s) URL without credentials in it (fetch refuses those, and they would end up in logs). */
export function urlVariable(variable: string, value: string, credentialsHint: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ProviderConfigError(variable, "is not a URL", "Give an absolute http:// or https:// URL.");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ProviderConfigError(
      variable,
      "is not an http:// or https:// URL",
      "Give an absolute http:// or https:// URL.",
    );
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw new ProviderConfigError(variable, "contains credentials", credentialsHint);
  }
  return value.replace(/\/+$/, "");
}

export function optionalUrlVariable(env: Env, variable: string, credentialsHint: string): string | undefined {
  const value = optionalVariable(env, variable);
  return value === undefined ? undefined : urlVariable(variable, value, credentialsHint);
}

/**
 * Pinata options from `PINATA_JWT` (required) and the optional base URLs
 * `PINATA_UPLOAD_URL` (default https://uploads.pinata.cloud/v3),
 * `PINATA_API_URL` (default https://api.pinata.cloud/v3) and `PINATA_GATEWAY_URL`.
 *
 * @example
 * const pinata = createPinataProvider(pinataFromEnv(process.env));
 */
export function pinataFromEnv(env: Env): PinataProviderOptions {
  const noCredentials = "Pinata authenticates with PINATA_JWT only; remove user and password from the URL.";
  const jwt = requiredVariable(
    env,
    "PINATA_JWT",
    "Create an API key at https://app.pinata.cloud/developers/api-keys and set PINATA_JWT to its JWT.",
  );
  const uploadUrl = optionalUrlVariable(env, "PINATA_UPLOAD_URL", noCredentials);
  const endpointUrl = optionalUrlVariable(env, "PINATA_API_URL", noCredentials);
  const gatewayUrl = optionalVariable(env, "PINATA_GATEWAY_URL");
  return {
    jwt,
    ...(uploadUrl === undefined ? {} : { uploadUrl }),
    ...(endpointUrl === undefined ? {} : { endpointUrl }),
    ...(gatewayUrl === undefined ? {} : { gatewayUrl }),
  };
}

/**
 * Options for a self-hosted Kubo node: `KUBO_RPC_URL` (required, e.g.
 * http://127.0.0.1:5001) and `KUBO_RPC_AUTH`, the whole Authorization header
 * value if the node sits behind an authenticating proxy ("Basic …", "Bearer …").
 *
 * @example
 * const kubo = createKuboProvider(kuboFromEnv(process.env));
 */
export function kuboFromEnv(env: Env): KuboProviderOptions {
  const noCredentials =
    'Put the Authorization header value in KUBO_RPC_AUTH instead (e.g. "Basic <base64 user:password>").';
  const rpcUrl = urlVariable(
    "KUBO_RPC_URL",
    requiredVariable(env, "KUBO_RPC_URL", "Set KUBO_RPC_URL to the node's RPC address, e.g. http://127.0.0.1:5001."),
    noCredentials,
  );
  const auth = optionalVariable(env, "KUBO_RPC_AUTH");
  return { url: rpcUrl, ...(auth === undefined ? {} : { auth }), name: "kubo" };
}

/**
 * Options for Filebase's IPFS RPC API: `FILEBASE_API_KEY` (required, the
 * bucket's IPFS RPC API token, sent as `Authorization: Bearer <token>`) and
 * `FILEBASE_RPC_URL` (default https://rpc.filebase.io).
 *
 * @example
 * const filebase = createKuboProvider(filebaseFromEnv(process.env));
 */
export function filebaseFromEnv(env: Env): KuboProviderOptions {
  const key = requiredVariable(
    env,
    "FILEBASE_API_KEY",
    "Generate an IPFS RPC API token for the bucket in the Filebase console (Access Keys) and set FILEBASE_API_KEY to it.",
  );
  const rpcUrl = optionalUrlVariable(
    env,
    "FILEBASE_RPC_URL",
    "Filebase authenticates with FILEBASE_API_KEY only; remove user and password from the URL.",
  );
  return { url: rpcUrl ?? FILEBASE_RPC_URL, auth: `Bearer ${key}`, name: "filebase" };
}

/** `text` with every occurrence of each secret replaced, for error details that quote a server's answer. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 4) result = result.split(secret).join("[redacted]");
  }
  return result;
}
