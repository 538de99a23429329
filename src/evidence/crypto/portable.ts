/**
 * The `#crypto` API for runtimes without node:crypto (browsers): @noble's
 * audited pure-JS Ed25519 and SHA-256. Same results as ./node.ts, which a test
 * cross-checks.
 */
import * as ed from "@noble/ed25519";
import { sha256 as nobleSha256, sha512 } from "@noble/hashes/sha2.js";
import type { SignatureCheck } from "./types.ts";

ed.hashes.sha512 = sha512;

export const backend = "@noble/ed25519";

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

/** RFC 8032 verification; zip215 off to match OpenSSL's strict checks. */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

export type { SignatureCheck } from "./types.ts";

/** One boolean per check, in order (no threads here: the caller may run this in a web worker). */
export async function verifyEd25519Batch(checks: readonly SignatureCheck[]): Promise<boolean[]> {
  return checks.map((c) => verifyEd25519(c.publicKey, c.message, c.signature));
}
