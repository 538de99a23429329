import { createPrivateKey, createPublicKey, type KeyObject, sign } from "node:crypto";
import { inspect } from "node:util";
import { toHex } from "../bytes.ts";
import { BaseError } from "../errors.ts";
import type { Signer } from "./signer.ts";

// DER PKCS#8 header for a raw 32-byte Ed25519 seed (RFC 8410).
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

function privateKeyObject(seed: Uint8Array): KeyObject {
  // Node's argument errors quote the start of a wrongly typed value, so check here and say nothing about it.
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new BaseError("An Ed25519 seed must be a Uint8Array of 32 bytes.");
  }
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
}

function publicKeyOf(key: KeyObject): Uint8Array {
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(spki.length - 32));
}

/** The Ed25519 public key of a 32-byte seed. */
export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  return publicKeyOf(privateKeyObject(seed));
}

/**
 * A signer backed by a private key held in an opaque node:crypto KeyObject.
 * It prints and serialises as its key id and public key only.
 */
export class FileSigner implements Signer {
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  readonly #key: KeyObject;

  constructor(keyId: string, key: KeyObject) {
    this.keyId = keyId;
    this.#key = key;
    this.publicKey = publicKeyOf(key);
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return sign(null, message, this.#key);
  }

  toJSON(): { keyId: string; publicKey: string } {
    return { keyId: this.keyId, publicKey: toHex(this.publicKey) };
  }

  [inspect.custom](): string {
    return `FileSigner { keyId: ${JSON.stringify(this.keyId)}, publicKey: ${toHex(this.publicKey)} }`;
  }
}

/** A signer for a raw 32-byte Ed25519 seed (the caller should wipe its copy). */
export function signerFromSeed(keyId: string, seed: Uint8Array): FileSigner {
  return new FileSigner(keyId, privateKeyObject(seed));
}
