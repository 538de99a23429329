import type { Address } from "viem";
import { ponderRpcUrl } from "./rpcUrl.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** The indexer's configuration was asked for something it does not know. */
export class IndexerConfigError extends Error {
  override name = "IndexerConfigError";
}

export interface IndexerNetwork {
  readonly name: string;
  /** Local stand-ins: no RPC cache (every test run reuses the chain ids with new contents). */
  readonly local: boolean;
  readonly base: { readonly id: number; readonly rpc: string };
  readonly numbers: {
    readonly id: number;
    readonly rpc: string;
    /** A commit contract not deployed by this project's Ignition modules (the real Numbers networks). */
    readonly commitContract?: { readonly address: Address; readonly startBlock: number };
  };
  readonly pollingInterval: number;
  /** Where Ignition's deployment output is read (undefined: the project's ignition/deployments). */
  readonly deploymentsDir?: string;
  /** Base blocks between retries of unresolved anchors. */
  readonly retryInterval: number;
}

const NETWORKS = {
  local: { base: 31337, numbers: 31338, commitContract: undefined, pollingInterval: 250, retryInterval: 5 },
  "base-sepolia": {
    base: 84532,
    numbers: 10508,
    commitContract: "0x02eFA51b583d03342687b585417e5A62cd8273a4",
    pollingInterval: 2_000,
    retryInterval: 150,
  },
  base: {
    base: 8453,
    numbers: 10507,
    commitContract: "0x7EC2F14ABE8b0Ea2F657bBb62b6fEfDe161c9001",
    pollingInterval: 2_000,
    retryInterval: 150,
  },
} as const;

function rpc(env: Env, id: number, network: string): string {
  const url = env[`PONDER_RPC_URL_${id}`];
  if (url !== undefined && url.length > 0) return url;
  if (network === "local") return id === 31337 ? "http://127.0.0.1:8545" : "http://127.0.0.1:8546";
  throw new IndexerConfigError(`PONDER_RPC_URL_${id} is not set: the JSON-RPC URL of chain ${id} (${network}).`);
}

/** The network named by POP_INDEXER_NETWORK (default `local`) with its RPC URLs and overrides. */
export function indexerNetwork(env: Env = process.env): IndexerNetwork {
  const name = env.POP_INDEXER_NETWORK ?? "local";
  const known = NETWORKS[name as keyof typeof NETWORKS];
  if (known === undefined)
    throw new IndexerConfigError(
      `POP_INDEXER_NETWORK must be one of ${Object.keys(NETWORKS).join(", ")}, got "${name}".`,
    );
  const override = env.POP_INDEXER_COMMIT_CONTRACT;
  const startBlock = Number(env.POP_INDEXER_COMMIT_START_BLOCK ?? 0);
  if (!Number.isSafeInteger(startBlock) || startBlock < 0)
    throw new IndexerConfigError(
      `POP_INDEXER_COMMIT_START_BLOCK must be a block number, got "${env.POP_INDEXER_COMMIT_START_BLOCK}".`,
    );
  const address = override ?? known.commitContract;
  if (address !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(address))
    throw new IndexerConfigError(`POP_INDEXER_COMMIT_CONTRACT must be an address, got "${address}".`);
  return {
    name,
    local: name === "local",
    base: { id: known.base, rpc: rpc(env, known.base, name) },
    numbers: {
      id: known.numbers,
      rpc: rpc(env, known.numbers, name),
      ...(address === undefined ? {} : { commitContract: { address: address as Address, startBlock } }),
    },
    pollingInterval: known.pollingInterval,
    retryInterval: known.retryInterval,
    ...(env.POP_INDEXER_DEPLOYMENTS_DIR ? { deploymentsDir: env.POP_INDEXER_DEPLOYMENTS_DIR } : {}),
  };
}

/**
 * Ponder's `chains` for the network: its RPC URLs (a local or private one in
 * the form that Ponder does not take for a public endpoint: rpcUrl.ts),
 * polling interval, and no RPC cache for the local stand-ins.
 */
export function ponderChains(network: IndexerNetwork) {
  return {
    base: {
      id: network.base.id,
      rpc: ponderRpcUrl(network.base.rpc),
      pollingInterval: network.pollingInterval,
      disableCache: network.local,
    },
    numbers: {
      id: network.numbers.id,
      rpc: ponderRpcUrl(network.numbers.rpc),
      pollingInterval: network.pollingInterval,
      disableCache: network.local,
      // Numbers is an Avalanche subnet: eth_getLogs ranges are limited (NUMBERS.md).
      ethGetLogsBlockRange: 2048,
    },
  };
}
