import type { Address, Hex } from "viem";
import type { RegistryView } from "./registryView.ts";

/**
 * Why the anchor's authorising signer does not count, or undefined when it
 * does. The signer is the one the registry's own AnchorAuthorised event names
 * (never a transaction's input, which a relay contract can shape or a
 * forwarder hide); without it nobody can say who authorised the anchor, and
 * the anchor does not count. It must have been allowed at the anchor's block
 * and still be allowed "now" (see RegistryView): removing a signer is how a
 * tenant withdraws its endorsement after a compromise (decision 009).
 *
 * @example
 * const problem = await signerProblem(view, { tenantId, signer, blockNumber });
 */
export async function signerProblem(
  registry: RegistryView,
  anchor: { readonly tenantId: Hex; readonly signer: Address | undefined; readonly blockNumber: bigint },
): Promise<string | undefined> {
  const { tenantId, signer, blockNumber } = anchor;
  if (signer === undefined) {
    return `no AnchorAuthorised event of the registry names who authorised the anchor at block ${blockNumber}, so its signer cannot be established`;
  }
  const [then, now] = await Promise.all([
    registry.isAnchorSigner(tenantId, signer, blockNumber),
    registry.isAnchorSigner(tenantId, signer),
  ]);
  if (!then) return `signer ${signer} was not allowed at block ${blockNumber}`;
  if (!now) return `signer ${signer} has since been removed by the tenant`;
  return undefined;
}
