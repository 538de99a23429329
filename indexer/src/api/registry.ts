/**
 * The registry's anchorCount as the completeness route reads it, at a cost
 * that anonymous requests cannot multiply: the chain's head is read at most
 * once per `headTtlMs` (concurrent requests share the read), each tenant's
 * anchorCount at most once per head block (concurrent requests share it too),
 * and at most `maxConcurrentReads` registry reads are in flight at once. The
 * route only asks about tenants the index holds, so the tenants read are the
 * registry's, each registered by its registrar: a bounded set.
 */
import type { Address, Hex, PublicClient } from "viem";
import { processAnchorRegistryAbi } from "../../../src/anchor/abi.ts";
import { concurrencyLimit } from "./concurrency.ts";
import type { RegistryReader } from "./deps.ts";

export interface RegistryReaderOptions {
  /** How long a head block number is used before the head is read again (default 1,000 ms: Base makes a block every 2 s). */
  readonly headTtlMs?: number;
  /** Registry reads in flight at once, at most (default 4). */
  readonly maxConcurrentReads?: number;
  /** The clock (ms), for the head's age. */
  readonly now?: () => number;
}

export const REGISTRY_READS = { headTtlMs: 1_000, maxConcurrentReads: 4 } as const;

/** The chain reads behind the reader, each one RPC call. */
export interface ChainReads {
  headBlock(): Promise<bigint>;
  anchorCount(tenantId: Hex, blockNumber: bigint): Promise<bigint>;
}

/** The reads through a viem client (Ponder's publicClients.base in the API). */
export function clientReads(client: PublicClient, registry: Address): ChainReads {
  return {
    // cacheTime 0: viem's own cache would hold the head as long as the client's polling interval.
    headBlock: () => client.getBlockNumber({ cacheTime: 0 }),
    anchorCount: async (tenantId, blockNumber) =>
      BigInt(
        await client.readContract({
          address: registry,
          abi: processAnchorRegistryAbi,
          functionName: "anchorCount",
          args: [tenantId],
          blockNumber,
        }),
      ),
  };
}

/** The registry's anchorCount through `reads`, with the bounds above. */
export function registryReader(reads: ChainReads, options: RegistryReaderOptions = {}): RegistryReader {
  const now = options.now ?? (() => performance.now());
  const limited = concurrencyLimit(options.maxConcurrentReads ?? REGISTRY_READS.maxConcurrentReads);
  const head = cached(() => reads.headBlock(), options.headTtlMs ?? REGISTRY_READS.headTtlMs, now);
  const counts = new Map<Hex, { readonly blockNumber: bigint; readonly anchorCount: Promise<bigint> }>();
  return {
    async anchorCount(tenantId) {
      const blockNumber = await head();
      let entry = counts.get(tenantId);
      if (entry?.blockNumber !== blockNumber) {
        const fresh = { blockNumber, anchorCount: limited(() => reads.anchorCount(tenantId, blockNumber)) };
        entry = fresh;
        counts.set(tenantId, fresh);
        // A failed read is not kept: the next request tries again.
        fresh.anchorCount.catch(() => {
          if (counts.get(tenantId) === fresh) counts.delete(tenantId);
        });
      }
      return { blockNumber, anchorCount: await entry.anchorCount };
    },
  };
}

/** `read`'s answer, read again once older than `ttlMs`; callers meanwhile share one read, and a failed one is not kept. */
function cached<T>(read: () => Promise<T>, ttlMs: number, now: () => number): () => Promise<T> {
  let entry: { readonly at: number; readonly value: Promise<T> } | undefined;
  return () => {
    if (entry === undefined || now() - entry.at >= ttlMs) {
      const fresh = { at: now(), value: read() };
      entry = fresh;
      fresh.value.catch(() => {
        if (entry === fresh) entry = undefined;
      });
    }
    return entry.value;
  };
}
