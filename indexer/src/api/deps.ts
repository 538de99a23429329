import type { Hex } from "viem";
import type { Store } from "./store.ts";

/** The registry as the chain holds it now. */
export interface RegistryReader {
  /** The tenant's anchorCount at a recent head block of the chain (registry.ts says how recent), and that block. */
  anchorCount(tenantId: Hex): Promise<{ readonly blockNumber: bigint; readonly anchorCount: bigint }>;
}

/** What the REST routes read: the indexed rows, the registry on Base, and the API's settings. */
export interface ApiDeps {
  readonly store: Store;
  readonly registry: RegistryReader;
  /** EVM chain id of the indexed Base chain (where anchors are). */
  readonly baseChainId: number;
  /** How long one request's database reads may take (ms): config.ts. */
  readonly statementTimeoutMs: number;
  /** The API's public base URL for absolute links, or undefined: config.ts. */
  readonly publicUrl: string | undefined;
}
