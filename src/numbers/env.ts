/**
 * The committers' configuration from the environment. Errors name the
 * variable, never its value.
 */
import { type Address, getAddress, isAddress } from "viem";
import { accountFromEnv } from "../keys/account.ts";
import {
  optionalUrlVariable,
  optionalVariable,
  ProviderConfigError,
  requiredVariable,
  urlVariable,
} from "../storage/providers/env.ts";
import { type CaptureApiOptions, DEFAULT_CAPTURE_API_URL } from "./captureApi.ts";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Capture API options from `POP_NUMBERS_API_TOKEN` (required: the Capture
 * token) and `POP_NUMBERS_API_URL` (default https://api.numbersprotocol.io/api/v3).
 *
 * @example
 * const api = createCaptureApi(captureApiFromEnv(process.env));
 */
export function captureApiFromEnv(env: Env): CaptureApiOptions {
  const token = requiredVariable(
    env,
    "POP_NUMBERS_API_TOKEN",
    "Set it to the Capture token of the Numbers account that pays for the commits (https://docs.numbersprotocol.io).",
  );
  const baseUrl = optionalUrlVariable(
    env,
    "POP_NUMBERS_API_URL",
    "The Capture API authenticates with POP_NUMBERS_API_TOKEN only; remove user and password from the URL.",
  );
  return { token, baseUrl: baseUrl ?? DEFAULT_CAPTURE_API_URL };
}

/** Numbers' networks (NUMBERS.md): their commit contracts (per nit's configuration) and explorers. */
export const NUMBERS_NETWORKS: Readonly<
  Record<number, { readonly commitContract: Address; readonly explorer: string }>
> = {
  10507: { commitContract: "0x7EC2F14ABE8b0Ea2F657bBb62b6fEfDe161c9001", explorer: "https://mainnet.num.network" },
  10508: { commitContract: "0x02eFA51b583d03342687b585417e5A62cd8273a4", explorer: "https://testnet.num.network" },
};

export interface DirectCommitterSettings {
  readonly rpcUrl: string;
  readonly account: ReturnType<typeof accountFromEnv>;
  /** When absent: Numbers' own contract for 10507/10508, else this project's Ignition deployment for the chain. */
  readonly commitContract?: Address;
  /** When absent: Numbers' explorer for 10507/10508, else none. */
  readonly explorerUrl?: string;
  readonly confirmations: number;
}

/**
 * The direct committer's settings: `POP_NUMBERS_RPC_URL` and `POP_NUMBERS_PRIVATE_KEY` (the account that
 * sends and pays for the commits) required; `POP_NUMBERS_COMMIT_CONTRACT`, `POP_NUMBERS_EXPLORER_URL` and
 * `POP_NUMBERS_CONFIRMATIONS` (default 1) optional.
 */
export function directCommitterFromEnv(env: Env): DirectCommitterSettings {
  const rpcUrl = urlVariable(
    "POP_NUMBERS_RPC_URL",
    requiredVariable(env, "POP_NUMBERS_RPC_URL", "Set it to a Numbers RPC, e.g. https://mainnetrpc.num.network."),
    "Remove user and password from the URL.",
  );
  const account = accountFromEnv("POP_NUMBERS_PRIVATE_KEY", "the account that sends and pays for the commits", env);
  const contract = optionalVariable(env, "POP_NUMBERS_COMMIT_CONTRACT");
  if (contract !== undefined && !isAddress(contract, { strict: false }))
    throw new ProviderConfigError("POP_NUMBERS_COMMIT_CONTRACT", "is not an address", "Give 0x and 40 hex digits.");
  const explorerUrl = optionalUrlVariable(env, "POP_NUMBERS_EXPLORER_URL", "Remove user and password from the URL.");
  const confirmations = optionalVariable(env, "POP_NUMBERS_CONFIRMATIONS") ?? "1";
  if (!/^[1-9]\d{0,2}$/.test(confirmations))
    throw new ProviderConfigError("POP_NUMBERS_CONFIRMATIONS", "is not a whole number from 1 to 999", "E.g. 1.");
  return {
    rpcUrl,
    account,
    ...(contract === undefined ? {} : { commitContract: getAddress(contract) }),
    ...(explorerUrl === undefined ? {} : { explorerUrl }),
    confirmations: Number(confirmations),
  };
}
