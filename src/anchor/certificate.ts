import { encodeAbiParameters, type Hex, hexToBigInt, keccak256 } from "viem";

/**
 * The ERC-1155 token id of an anchor's certificate, as the registry computes it:
 * uint256(keccak256(abi.encode(tenantId, chainId))).
 */
export function certificateId(tenantId: Hex, chainId: Hex): bigint {
  return hexToBigInt(keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32" }], [tenantId, chainId])));
}

/**
 * Resolves the registry's `uri` template for a token id as ERC-1155 clients
 * do: `{id}` becomes the id in lowercase hex, zero-padded to 64 digits, no 0x.
 */
export function resolveCertificateUri(template: string, id: bigint): string {
  return template.replaceAll("{id}", id.toString(16).padStart(64, "0"));
}
