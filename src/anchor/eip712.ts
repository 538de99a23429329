/**
 * The one TypeScript definition of the registry's EIP-712 domain and `Anchor`
 * type, shared by tests, the CLI and the verifier. A test proves its digest
 * equals the contract's `anchorDigest`.
 */
import { type Address, type Hex, hashTypedData } from "viem";

export const REGISTRY_DOMAIN_NAME = "ProcessAnchorRegistry";
/** Equal to the contract's `version()`. */
export const REGISTRY_DOMAIN_VERSION = "1";

export const anchorTypes = {
  Anchor: [
    { name: "tenantId", type: "bytes32" },
    { name: "chainId", type: "bytes32" },
    { name: "chainHash", type: "bytes32" },
    { name: "ipfsCid", type: "string" },
    { name: "signer", type: "address" },
    { name: "recipient", type: "address" },
    { name: "amount", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
} as const;

/** The `Anchor` struct: what a tenant's signer authorises. */
export interface AnchorMessage {
  /** keccak256 of the tenant's string id. */
  readonly tenantId: Hex;
  /** keccak256 of the chainscript's UUID. */
  readonly chainId: Hex;
  /** 0x-prefixed SHA-256 chainHash. */
  readonly chainHash: Hex;
  readonly ipfsCid: string;
  readonly signer: Address;
  /** Receives the certificate when `amount` > 0. */
  readonly recipient: Address;
  readonly amount: bigint;
  /** Unix seconds. */
  readonly deadline: bigint;
}

export interface RegistryDomainParameters {
  /** The EVM chain id (8453 Base, 84532 Base Sepolia, 31337 local). */
  readonly chainId: number;
  readonly verifyingContract: Address;
}

export function registryDomain({ chainId, verifyingContract }: RegistryDomainParameters) {
  return { name: REGISTRY_DOMAIN_NAME, version: REGISTRY_DOMAIN_VERSION, chainId, verifyingContract } as const;
}

/** Typed data for viem's `signTypedData` (or any EIP-712 signer). */
export function anchorTypedData(domain: RegistryDomainParameters, message: AnchorMessage) {
  return { domain: registryDomain(domain), types: anchorTypes, primaryType: "Anchor", message } as const;
}

/** The EIP-712 digest of an anchor: what the contract checks the signature against. */
export function anchorDigest(domain: RegistryDomainParameters, message: AnchorMessage): Hex {
  return hashTypedData(anchorTypedData(domain, message));
}
