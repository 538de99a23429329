import { type Hex, keccak256, stringToBytes } from "viem";

/**
 * The on-chain id of a tenant, chain or key id: keccak256 of its UTF-8 bytes (DESIGN.md).
 *
 * @example
 * toOnchainId("studio-aurora") // 0x…
 */
export function toOnchainId(id: string): Hex {
  return keccak256(stringToBytes(id));
}
