/**
 * The networks `pop anchor --network <name>` knows: each a chain id and a
 * default JSON-RPC URL (public endpoints; pass --rpc or POP_RPC_URL for your
 * provider's). The RPC's own chain id is checked against the name, so a URL
 * of the wrong network is refused before anything is signed.
 */
export interface NetworkDefinition {
  readonly name: string;
  readonly chainId: number;
  readonly rpcUrl: string;
  /** Confirmations to wait for unless told otherwise. */
  readonly confirmations: number;
}

export const NETWORKS: Readonly<Record<string, NetworkDefinition>> = {
  local: { name: "local", chainId: 31337, rpcUrl: "http://127.0.0.1:8545", confirmations: 1 },
  "base-sepolia": { name: "base-sepolia", chainId: 84532, rpcUrl: "https://sepolia.base.org", confirmations: 3 },
  base: { name: "base", chainId: 8453, rpcUrl: "https://mainnet.base.org", confirmations: 3 },
};
