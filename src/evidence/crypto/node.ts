/**
 * Hashing and Ed25519 verification on node:crypto (OpenSSL): many times faster
 * than pure-JS implementations. Selected through the `#crypto` import
 * condition `node`; ./portable.ts is the same API for browsers.
 */
import { createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import { strictEd25519Inputs } from "./strict.ts";

// DER SubjectPublicKeyInfo header for a raw 32-byte Ed25519 key (RFC 8410).
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
const keyCache = new Map<string, KeyObject | null>();
const KEY_CACHE_LIMIT = 4096;

export const backend = "node:crypto";

export function sha256(data: Uint8Array): Uint8Array {
  return createHash("sha256").update(data).digest();
}

function publicKeyObject(publicKey: Uint8Array): KeyObject | null {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString("latin1");
  let key = keyCache.get(id);
  if (key === undefined) {
    try {
      key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: "der", type: "spki" });
    } catch {
      key = null; // not a valid point: no signature can verify under it
    }
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}

/** RFC 8032 Ed25519 verification: the strict inputs (strict.ts), then OpenSSL's cofactorless equation. */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!strictEd25519Inputs(publicKey, signature)) return false;
  const key = publicKeyObject(publicKey);
  if (key === null) return false;
  try {
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

export { verifyEd25519Batch } from "./batch.ts";
export type { SignatureCheck } from "./types.ts";
