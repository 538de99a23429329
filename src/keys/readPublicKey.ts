import { readFile } from "node:fs/promises";
import { fromHex } from "../bytes.ts";
import { KeyFileError } from "./errors.ts";
import { KEY_FILE_FORMAT } from "./keyFile.ts";

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
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new KeyFileError(path, code === "ENOENT" ? "does not exist" : `cannot be read (${code})`, error);
  }
  let contents: unknown;
  try {
    contents = JSON.parse(text);
  } catch {
    // No cause: JSON.parse's message quotes the start of the text, which may be secret.
    throw new KeyFileError(path, "is not JSON");
  }
  const c = contents as { format?: unknown; keyId?: unknown; publicKey?: unknown } | null;
  if (typeof c !== "object" || c === null || c.format !== KEY_FILE_FORMAT)
    throw new KeyFileError(path, `not a ${KEY_FILE_FORMAT} file`);
  if (typeof c.keyId !== "string" || c.keyId.trim().length === 0)
    throw new KeyFileError(path, `"keyId" is missing or empty`);
  const publicKey = typeof c.publicKey === "string" ? fromHex(c.publicKey) : undefined;
  if (publicKey?.length !== 32) throw new KeyFileError(path, `"publicKey" is not 32 bytes of hex`);
  return { keyId: c.keyId, publicKey };
}
