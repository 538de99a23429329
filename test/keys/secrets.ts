import { createPublicKey, type KeyObject } from "node:crypto";
import { inspect } from "node:util";
import { expect } from "chai";
import { toBase64Url } from "../../src/bytes.ts";

/** RFC 8032 §7.1, TEST 1. */
export const RFC8032_1 = {
  seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
  publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
  /** Signature of the empty message. */
  signature:
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
} as const;

/** RFC 8032 §7.1, TEST 2 (one-byte message 0x72). */
export const RFC8032_2 = {
  seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
  publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
  message: "72",
  signature:
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
} as const;

export const hexBytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, "hex"));

/** Every text form of `bytes` a careless log line could carry: hex (both cases), base64url, base64. */
export function encodings(bytes: Uint8Array): string[] {
  const buffer = Buffer.from(bytes);
  const hex = buffer.toString("hex");
  return [hex, hex.toUpperCase(), toBase64Url(bytes), buffer.toString("base64").replace(/=+$/, "")];
}

/** An Ed25519 public KeyObject built from the raw key as JWK, independently of the code under test. */
export function publicKeyObject(publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: toBase64Url(publicKey) }, format: "jwk" });
}

/** Awaits a promise that must reject and returns what it rejected with. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  expect.fail("expected the promise to reject");
}

/** Calls a function that must throw and returns what it threw. */
export function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  expect.fail("expected the call to throw");
}

/**
 * Everything an error can show a log: message, stack, details, String(),
 * util.inspect and JSON of every error along its cause chain.
 */
export function errorText(error: unknown): string {
  const parts: string[] = [inspect(error, { depth: 20, showHidden: true })];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 20; depth++) {
    parts.push(String(current), JSON.stringify(current) ?? "");
    if (current instanceof Error) {
      parts.push(current.message, current.stack ?? "");
      const { details, shortMessage } = current as { details?: unknown; shortMessage?: unknown };
      parts.push(String(details), String(shortMessage));
    }
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join("\n");
}

/** Asserts that `text` carries none of the given secrets, in any of their text forms. */
export function expectNoSecrets(text: string, secrets: { readonly bytes?: Uint8Array[]; readonly strings?: string[] }) {
  for (const bytes of secrets.bytes ?? []) {
    for (const form of encodings(bytes)) expect(text, "leaks key material").not.to.include(form);
  }
  for (const secret of secrets.strings ?? []) expect(text, "leaks a passphrase").not.to.include(secret);
}
