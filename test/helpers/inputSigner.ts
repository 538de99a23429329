import { type Address, decodeFunctionData, type Hex } from "viem";
import { processAnchorRegistryAbi } from "../../src/anchor/abi.ts";

/**
 * What a naive decoder of the transaction's input takes for the signer of
 * `chainId`'s anchor: how the verifier and indexer used to read it, kept only
 * to show that a relay contract fools it (they now read the registry's
 * AnchorAuthorised). From the input (`anchor`, `anchorBatch` or `anchorDirect`).
 * Undefined when the call came through another contract (a multisig): its
 * input does not name the signer.
 */
export function anchorSignerFromInput(input: Hex, chainId: Hex): Address | undefined {
  try {
    const call = decodeFunctionData({ abi: processAnchorRegistryAbi, data: input });
    if (call.functionName === "anchor" || call.functionName === "anchorDirect") return call.args[0].signer;
    if (call.functionName === "anchorBatch") return call.args[0].find((a) => a.chainId === chainId)?.signer;
  } catch {
    // Not a direct call to the registry.
  }
  return undefined;
}
