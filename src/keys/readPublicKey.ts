import { fromHex } from "../bytes.ts";
import { KeyFileError } from "./errors.ts";
import { KEY_FILE_FORMAT, readKeyFileJson } from "./keyFile.ts";

/** The public half of a key file: what registering the key on-chain needs. */
export interface PublicKeyInfo {
  readonly keyId: string;
  /** The 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
}

/**
 * Reads a key file's key id and public key, which are stored in clear: no
 * passphrase, no decryption, the private seed is never touched.
 *
 * @example
 * const { keyId, publicKey } = await readPublicKey("studio.key")
 */
export async function readPublicKey(path: string): Promise<PublicKeyInfo> {
  const contents = await readKeyFileJson(path);
  const c = contents as { format?: unknown; keyId?: unknown; publicKey?: unknown } | null;
  if (typeof c !== "object" || c === null || c.format !== KEY_FILE_FORMAT)
    throw new KeyFileError(path, `not a ${KEY_FILE_FORMAT} file`);
  if (typeof c.keyId !== "string" || c.keyId.trim().length === 0)
    throw new KeyFileError(path, `"keyId" is missing or empty`);
  const publicKey = typeof c.publicKey === "string" ? fromHex(c.publicKey) : undefined;
  if (publicKey?.length !== 32) throw new KeyFileError(path, `"publicKey" is not 32 bytes of hex`);
  return { keyId: c.keyId, publicKey };
}
