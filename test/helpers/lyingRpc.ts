import { type AbiFunction, getAbiItem, type Hex, toEventSelector, toFunctionSelector, toHex } from "viem";
import { processAnchorRegistryAbi } from "../../src/anchor/abi.ts";
import { type RpcProxy, startRpcProxy } from "./rpcProxy.ts";

/** A log as eth_getLogs answers it. */
export interface RpcLog {
  readonly address: Hex;
  readonly topics: readonly Hex[];
  readonly data: Hex;
  readonly blockNumber: Hex;
  readonly transactionHash: Hex;
  readonly logIndex: Hex;
}

type RegistryFunction = (typeof processAnchorRegistryAbi)[number] & { type: "function" };

/** What a lying endpoint changes in the node's honest answers. */
export interface Lies {
  /** Rewrites the ABI-encoded result of eth_calls of these registry functions. */
  readonly calls?: Partial<Record<RegistryFunction["name"], (result: Hex) => Hex>>;
  /** Replaces each log of an eth_getLogs answer by the logs returned (none drops it). */
  readonly logs?: (log: RpcLog) => RpcLog[];
  /** Rewrites the latest block number. */
  readonly blockNumber?: (head: bigint) => bigint;
}

/** topics[0] of the registry's events, by name. */
export const eventTopic = {
  ProcessAnchored: toEventSelector(getAbiItem({ abi: processAnchorRegistryAbi, name: "ProcessAnchored" })),
  AnchorAuthorised: toEventSelector(getAbiItem({ abi: processAnchorRegistryAbi, name: "AnchorAuthorised" })),
} as const;

/** An address as a 32-byte topic. */
export const addressTopic = (address: Hex): Hex => `0x${address.slice(2).toLowerCase().padStart(64, "0")}`;

/**
 * A JSON-RPC endpoint in front of `target` that tells the node's answers with
 * `lies` applied: how tests play an endpoint that lies about one read only.
 */
export function lyingRpc(target: string, lies: Lies): Promise<RpcProxy> {
  const rewrites = new Map<string, (result: Hex) => Hex>();
  for (const [name, rewrite] of Object.entries(lies.calls ?? {})) {
    const item = getAbiItem({ abi: processAnchorRegistryAbi, name: name as RegistryFunction["name"] }) as AbiFunction;
    rewrites.set(toFunctionSelector(item), rewrite);
  }
  return startRpcProxy(target, {
    onAnswer: (call, answer) => {
      if (typeof answer.result !== "string" && !Array.isArray(answer.result)) return answer;
      if (call.method === "eth_call") {
        const [request] = call.params as [{ data?: Hex; input?: Hex }];
        const rewrite = rewrites.get((request.data ?? request.input ?? "0x").slice(0, 10));
        return rewrite ? { ...answer, result: rewrite(answer.result as Hex) } : answer;
      }
      if (call.method === "eth_getLogs" && lies.logs) {
        return { ...answer, result: (answer.result as RpcLog[]).flatMap(lies.logs) };
      }
      if (call.method === "eth_blockNumber" && lies.blockNumber) {
        return { ...answer, result: toHex(lies.blockNumber(BigInt(answer.result as Hex))) };
      }
      return answer;
    },
  });
}
