/**
 * The `#crypto` API for runtimes without node:crypto (browsers): @noble's
 * audited pure-JS Ed25519 and SHA-256, and the runtime's own WebCrypto Ed25519
 * for batches where it has one (many times faster). Every path takes the same
 * strict inputs (strict.ts) and the same cofactorless equation as ./node.ts, so
 * the verdicts are the same; tests cross-check all of them on edge cases.
 */
import * as ed from "@noble/ed25519";
import { sha256 as nobleSha256, sha512 } from "@noble/hashes/sha2.js";
import { strictEd25519Inputs } from "./strict.ts";
import type { SignatureCheck } from "./types.ts";

ed.hashes.sha512 = sha512;

export const backend = "@noble/ed25519";

const L = 2n ** 252n + 27742317777372353535851937790883648493n;

const littleEndian = (bytes: Uint8Array): bigint => {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i] as number);
  return value;
};

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

/**
 * RFC 8032 verification with the strict inputs and the cofactorless equation [S]B = R + [k]A: noble's own
 * `verify` multiplies by the cofactor, and would accept what OpenSSL and BoringSSL refuse (decision 033).
 */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!strictEd25519Inputs(publicKey, signature)) return false;
  try {
    const r = signature.subarray(0, 32);
    const A = ed.Point.fromBytes(publicKey, false);
    const R = ed.Point.fromBytes(r, false);
    const hashed = new Uint8Array(64 + message.length);
    hashed.set(r, 0);
    hashed.set(publicKey, 32);
    hashed.set(message, 64);
    const k = littleEndian(sha512(hashed)) % L;
    return ed.Point.BASE.multiply(littleEndian(signature.subarray(32)), false).equals(R.add(A.multiply(k, false)));
  } catch {
    return false; // not a point on the curve
  }
}

export type { SignatureCheck } from "./types.ts";

// RFC 8032 §7.1 test 2: the runtime's Ed25519 must verify it (and refuse it altered) to be used.
const PROBE = {
  publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
  message: "72",
  signature:
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
};
/** WebCrypto's types as either runtime (DOM or Node) declares them. */
type Subtle = NonNullable<typeof globalThis.crypto>["subtle"];
type Key = Awaited<ReturnType<Subtle["importKey"]>>;

const bytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

let subtle: Promise<Subtle | undefined> | undefined;

/** The runtime's WebCrypto when it verifies Ed25519 correctly; undefined otherwise (then noble does it all). */
export function webCryptoEd25519(): Promise<Subtle | undefined> {
  subtle ??= (async () => {
    const candidate = globalThis.crypto?.subtle;
    if (candidate === undefined) return undefined;
    try {
      const key = await candidate.importKey("raw", bytes(PROBE.publicKey), { name: "Ed25519" }, false, ["verify"]);
      const good = bytes(PROBE.signature);
      const bad = good.slice();
      bad[0] = (bad[0] as number) ^ 1;
      const [accepts, refuses] = await Promise.all([
        candidate.verify({ name: "Ed25519" }, key, good, bytes(PROBE.message)),
        candidate.verify({ name: "Ed25519" }, key, bad, bytes(PROBE.message)),
      ]);
      return accepts && !refuses ? candidate : undefined;
    } catch {
      return undefined; // no Ed25519 in this runtime's WebCrypto
    }
  })();
  return subtle;
}

const KEY_CACHE_LIMIT = 4096;
const keys = new Map<string, Promise<Key | null>>();

function importKey(webCrypto: Subtle, publicKey: Uint8Array): Promise<Key | null> {
  const id = Array.from(publicKey, (b) => b.toString(16).padStart(2, "0")).join("");
  let key = keys.get(id);
  if (key === undefined) {
    key = webCrypto
      .importKey("raw", publicKey as Uint8Array<ArrayBuffer>, { name: "Ed25519" }, false, ["verify"])
      .catch(() => null); // not a point: nothing verifies under it
    if (keys.size >= KEY_CACHE_LIMIT) keys.clear();
    keys.set(id, key);
  }
  return key;
}

async function verifyWith(webCrypto: Subtle, check: SignatureCheck): Promise<boolean> {
  if (!strictEd25519Inputs(check.publicKey, check.signature)) return false;
  const key = await importKey(webCrypto, check.publicKey);
  if (key === null) return false;
  try {
    return await webCrypto.verify(
      { name: "Ed25519" },
      key,
      check.signature as Uint8Array<ArrayBuffer>,
      check.message as Uint8Array<ArrayBuffer>,
    );
  } catch {
    return false;
  }
}

/**
 * One boolean per check, in order: through the runtime's WebCrypto when it has Ed25519 (a browser runs
 * those off the page's thread), else noble on this thread. `webCrypto: false` forces noble (tests).
 */
export async function verifyEd25519Batch(
  checks: readonly SignatureCheck[],
  options: { readonly webCrypto?: boolean } = {},
): Promise<boolean[]> {
  const webCrypto = options.webCrypto === false ? undefined : await webCryptoEd25519();
  if (webCrypto === undefined) return checks.map((c) => verifyEd25519(c.publicKey, c.message, c.signature));
  return Promise.all(checks.map((check) => verifyWith(webCrypto, check)));
}
