/**
 * The anchoring worker's settings from the environment (docs/receipts.md,
 * decision 028). Anchoring is on when Base is configured: POP_RPC_URL and
 * POP_ANCHOR_SIGNER_PRIVATE_KEY both set. Without either it is off, which
 * /api/health reports as `unconfigured`, never an error. A variable that is
 * set but wrong is an error before anything is opened.
 */
import { type Address, createPublicClient, defineChain, getAddress, http, isAddress, type LocalAccount } from "viem";
import { getChainId } from "viem/actions";
import { deployedAddress } from "../../anchor/deployments.ts";
import { accountFromEnv } from "../../keys/account.ts";
import { optionalUrlVariable, optionalVariable, ProviderConfigError } from "../../storage/providers/env.ts";
import type { AnchoringOptions, Finality } from "./anchoring.ts";
import { baseExplorer } from "./jobAnchor.ts";

type Env = Readonly<Record<string, string | undefined>>;

export const ANCHOR_SIGNER_VARIABLE = "POP_ANCHOR_SIGNER_PRIVATE_KEY";
export const RELAYER_VARIABLE = "POP_RELAYER_PRIVATE_KEY";

export interface AnchoringSettings {
  readonly rpcUrl: string;
  /** When absent: this project's Ignition deployment for the RPC's chain id, as `pop anchor` finds it. */
  readonly registry?: Address;
  readonly anchorSigner: LocalAccount;
  readonly relayer: LocalAccount;
  readonly every: number;
  readonly intervalMs: number;
  readonly finality: Finality;
  readonly explorerUrl?: string;
}

/** On with its settings, or off with the reason (for /api/health). */
export type AnchoringConfig =
  | { readonly enabled: true; readonly settings: AnchoringSettings }
  | { readonly enabled: false; readonly reason: string };

function whole(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = optionalVariable(env, name);
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max)
    throw new ProviderConfigError(name, `is not a whole number from ${min} to ${max}`, `E.g. ${fallback}.`);
  return Number(text);
}

export function anchoringFromEnv(env: Env = process.env): AnchoringConfig {
  const rpcUrl = optionalUrlVariable(env, "POP_RPC_URL", "Remove user and password from the URL.");
  if (rpcUrl === undefined) return { enabled: false, reason: "POP_RPC_URL (Base) is not set: jobs are not anchored." };
  if (optionalVariable(env, ANCHOR_SIGNER_VARIABLE) === undefined)
    return { enabled: false, reason: `${ANCHOR_SIGNER_VARIABLE} is not set: jobs are not anchored.` };
  const anchorSigner = accountFromEnv(ANCHOR_SIGNER_VARIABLE, "an anchor signer allowed for every served tenant", env);
  const relayer =
    optionalVariable(env, RELAYER_VARIABLE) === undefined
      ? anchorSigner
      : accountFromEnv(RELAYER_VARIABLE, "the relayer that sends the anchoring transactions", env);
  const registry = optionalVariable(env, "POP_SERVE_ANCHOR_REGISTRY");
  if (registry !== undefined && !isAddress(registry, { strict: false }))
    throw new ProviderConfigError("POP_SERVE_ANCHOR_REGISTRY", "is not an address", "Give 0x and 40 hex digits.");
  const finalityText = optionalVariable(env, "POP_SERVE_ANCHOR_FINALITY") ?? "finalized";
  if (finalityText !== "finalized" && !/^[1-9]\d{0,2}$/.test(finalityText))
    throw new ProviderConfigError(
      "POP_SERVE_ANCHOR_FINALITY",
      'is neither "finalized" nor a number of confirmations from 1 to 999',
      "E.g. finalized, or 12.",
    );
  const explorerUrl = optionalUrlVariable(
    env,
    "POP_SERVE_ANCHOR_EXPLORER_URL",
    "Remove user and password from the URL.",
  );
  return {
    enabled: true,
    settings: {
      rpcUrl,
      ...(registry === undefined ? {} : { registry: getAddress(registry) }),
      anchorSigner,
      relayer,
      every: whole(env, "POP_SERVE_ANCHOR_EVERY", 10, 1, 200),
      intervalMs: whole(env, "POP_SERVE_ANCHOR_INTERVAL_MS", 60_000, 10, 86_400_000),
      finality: finalityText === "finalized" ? "finalized" : Number(finalityText),
      ...(explorerUrl === undefined ? {} : { explorerUrl }),
    },
  };
}

/** What the worker needs of the chain, once the RPC has said which chain it serves. */
export type AnchoringConnection = Pick<
  AnchoringOptions,
  | "publicClient"
  | "evmChainId"
  | "registry"
  | "anchorSigner"
  | "relayer"
  | "every"
  | "intervalMs"
  | "finality"
  | "explorerUrl"
>;

/**
 * Asks the RPC its chain id and finds the registry (given, or Ignition's deployment for that chain).
 *
 * @throws {DeploymentNotFoundError} when no registry is given and none is recorded for the chain.
 */
export async function connectAnchoring(settings: AnchoringSettings): Promise<AnchoringConnection> {
  const transport = http(settings.rpcUrl, { retryCount: 2 });
  const evmChainId = await getChainId(createPublicClient({ transport }));
  const chain = defineChain({
    id: evmChainId,
    name: `chain ${evmChainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [settings.rpcUrl] } },
  });
  const explorerUrl = baseExplorer(evmChainId, settings.explorerUrl);
  return {
    publicClient: createPublicClient({ chain, transport }),
    evmChainId,
    registry: settings.registry ?? (await deployedAddress(evmChainId, "ProcessAnchorRegistry")),
    anchorSigner: settings.anchorSigner,
    relayer: settings.relayer,
    every: settings.every,
    intervalMs: settings.intervalMs,
    finality: settings.finality,
    ...(explorerUrl === undefined ? {} : { explorerUrl }),
  };
}
