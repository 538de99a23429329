/**
 * Anything that holds an Ed25519 private key and signs with it: a key file
 * today, an HSM or a cloud KMS tomorrow. Callers never see the private key.
 */
export interface Signer {
  /** The tenant's key id (its on-chain id is keccak256 of this string). */
  readonly keyId: string;
  /** The 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** A 64-byte RFC 8032 Ed25519 signature of `message`. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}
