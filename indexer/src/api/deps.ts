import type { Hex } from "viem";
import type { Store } from "./store.ts";

/** The registry as the chain holds it now. */
export interface RegistryReader {
  /** The tenant's admin (zero when unregistered) and anchorCount, both read at the latest block, which is returned. */
  readTenant(
    tenantId: Hex,
  ): Promise<{ readonly blockNumber: bigint; readonly admin: Hex; readonly anchorCount: bigint }>;
}

/** What the REST routes read: the indexed rows, the registry on Base, and the two chains' ids. */
export interface ApiDeps {
  readonly store: Store;
  readonly registry: RegistryReader;
  /** EVM chain id of the indexed Base chain (where anchors are). */
  readonly baseChainId: number;
}
