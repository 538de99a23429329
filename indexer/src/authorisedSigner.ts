/**
 * Who authorised an anchor, for the ProcessAnchored handler: the registry's
 * own AnchorAuthorised, stored by its handler just before (Ponder runs a
 * block's logs in log-index order). Apart from Ponder, so it can be tested.
 */
import type { Address, Hex } from "viem";

/** An AnchorAuthorised as stored: the anchor it names is the table's key. */
export interface Authorisation {
  readonly signer: Address;
  readonly transactionHash: Hex;
  readonly logIndex: number;
}

/**
 * The signer of an anchor: the AnchorAuthorised the registry logged for the
 * same (tenantId, chainId) earlier in the same transaction, and nothing else.
 * Null when there is none: the verifier then fails anchor.signer, where a
 * guess (the transaction's sender, its input) would let a relay contract
 * name whom it likes.
 *
 * @example
 * const signer = authorisedSigner(await context.db.find(anchorAuthorisation, { tenantId, chainId }), event);
 */
export function authorisedSigner(
  authorisation: Authorisation | null | undefined,
  anchored: { readonly transaction: { readonly hash: Hex }; readonly log: { readonly logIndex: number } },
): Address | null {
  if (authorisation === null || authorisation === undefined) return null;
  // Hashes compared as text: Ponder stores hex lowercased.
  if (authorisation.transactionHash.toLowerCase() !== anchored.transaction.hash.toLowerCase()) return null;
  return authorisation.logIndex < anchored.log.logIndex ? authorisation.signer : null;
}
