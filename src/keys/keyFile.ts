import {
  createCipheriv,
  createDecipheriv,
  randomBytes,
  type ScryptOptions,
  scrypt as scryptCallback,
} from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { fromBase64Url, fromHex, toBase64Url, toHex } from "../bytes.ts";
import { KeyFileError, MissingPassphraseError } from "./errors.ts";
import { ed25519PublicKey, type FileSigner, signerFromSeed } from "./fileSigner.ts";

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Uint8Array,
  length: number,
  options: ScryptOptions,
) => Promise<Buffer>;

export const KEY_FILE_FORMAT = "pop-ed25519-key";
export const PASSPHRASE_VARIABLE = "POP_KEY_PASSPHRASE";
const MIN_PASSPHRASE_LENGTH = 8;

/** scrypt cost. The default (N = 2^17, r = 8: 128 MiB, about 0.3 s) is OWASP's recommendation. */
export interface ScryptParameters {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export const DEFAULT_SCRYPT: ScryptParameters = { N: 2 ** 17, r: 8, p: 1 };

/** The JSON layout of a key file. Everything but `ciphertext` is authenticated as AES-GCM associated data. */
export interface KeyFileContents {
  readonly format: typeof KEY_FILE_FORMAT;
  readonly version: 1;
  readonly keyId: string;
  /** Hex Ed25519 public key, readable without the passphrase. */
  readonly publicKey: string;
  readonly kdf: { readonly name: "scrypt"; readonly salt: string } & ScryptParameters;
  readonly cipher: { readonly name: "aes-256-gcm"; readonly iv: string; readonly tag: string };
  /** The 32-byte Ed25519 seed, encrypted. */
  readonly ciphertext: string;
}

/** The passphrase from `POP_KEY_PASSPHRASE`; never logged, never put into an error. */
export function passphraseFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const value = env[PASSPHRASE_VARIABLE];
  if (value === undefined || value.length === 0) throw new MissingPassphraseError(PASSPHRASE_VARIABLE);
  return value;
}

function associatedData(contents: Omit<KeyFileContents, "cipher" | "ciphertext">): Buffer {
  const { format, version, keyId, publicKey, kdf } = contents;
  return Buffer.from(JSON.stringify([format, version, keyId, publicKey, kdf.name, kdf.salt, kdf.N, kdf.r, kdf.p]));
}

async function deriveKey(passphrase: string, salt: Uint8Array, kdf: ScryptParameters): Promise<Buffer> {
  return scrypt(passphrase.normalize("NFC"), salt, 32, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.N * kdf.r + 1024 * 1024,
  });
}

function integerIn(value: unknown, min: number, max: number): value is number {
  return Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
}

/** scrypt needs 128·N·r bytes: a key file must not be able to ask for more than this. */
const MAX_SCRYPT_MEMORY = 512 * 1024 * 1024;

/**
 * The scrypt cost a key file may ask for: integers only, N a power of two in
 * [2^14, 2^20], r in [1, 32], p in [1, 4], at most 512 MiB of memory. The
 * bounds keep a hostile key file from stalling or exhausting the machine.
 */
function acceptedScrypt(value: { readonly N?: unknown; readonly r?: unknown; readonly p?: unknown }) {
  const { N, r, p } = value;
  if (!integerIn(N, 2 ** 14, 2 ** 20) || (N & (N - 1)) !== 0 || !integerIn(r, 1, 32) || !integerIn(p, 1, 4)) {
    return undefined;
  }
  if (128 * N * r > MAX_SCRYPT_MEMORY) return undefined;
  return { N, r, p };
}

export interface WriteKeyFileParameters {
  readonly keyId: string;
  /** The 32-byte Ed25519 private seed; a fresh random one when absent. */
  readonly seed?: Uint8Array;
  readonly passphrase: string;
  readonly scryptParameters?: ScryptParameters;
}

/** Encrypts an Ed25519 seed into key-file contents. */
export async function sealKey(parameters: WriteKeyFileParameters): Promise<KeyFileContents> {
  const { keyId, passphrase } = parameters;
  if (keyId.trim().length === 0) throw new KeyFileError("(new)", "the key id must not be empty");
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new KeyFileError("(new)", `the passphrase must have at least ${MIN_PASSPHRASE_LENGTH} characters`);
  }
  const seed: unknown = parameters.seed ?? randomBytes(32);
  // Checked before any node:crypto call: Node's argument errors quote the start of a wrongly typed value.
  if (!(seed instanceof Uint8Array))
    throw new KeyFileError("(new)", `the seed must be a Uint8Array, got ${typeof seed}`);
  if (seed.length !== 32) throw new KeyFileError("(new)", `the seed must be 32 bytes, got ${seed.length}`);
  // The same range openKey accepts, so that no key is ever written into a file that cannot be opened.
  const params = acceptedScrypt(parameters.scryptParameters ?? DEFAULT_SCRYPT);
  if (params === undefined) throw new KeyFileError("(new)", "the scrypt parameters are out of the accepted range");
  const salt = randomBytes(16);
  const header = {
    format: KEY_FILE_FORMAT,
    version: 1,
    keyId,
    publicKey: toHex(ed25519PublicKey(seed)),
    kdf: { name: "scrypt", salt: toBase64Url(salt), ...params },
  } as const;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", await deriveKey(passphrase, salt, params), iv);
  cipher.setAAD(associatedData(header));
  const ciphertext = Buffer.concat([cipher.update(seed), cipher.final()]);
  return {
    ...header,
    cipher: { name: "aes-256-gcm", iv: toBase64Url(iv), tag: toBase64Url(cipher.getAuthTag()) },
    ciphertext: toBase64Url(ciphertext),
  };
}

function field(value: unknown, file: string, name: string): string {
  if (typeof value !== "string") throw new KeyFileError(file, `"${name}" is missing or not a string`);
  return value;
}

function bytesField(value: unknown, file: string, name: string, length: number): Uint8Array {
  const bytes = fromBase64Url(field(value, file, name));
  if (bytes === undefined || bytes.length !== length)
    throw new KeyFileError(file, `"${name}" is not ${length} bytes of base64url`);
  return bytes;
}

/** Decrypts key-file contents into a signer; `file` only names the source in errors. */
export async function openKey(contents: unknown, passphrase: string, file = "(memory)"): Promise<FileSigner> {
  const c = contents as Partial<Record<keyof KeyFileContents, unknown>> | null;
  if (typeof c !== "object" || c === null || c.format !== KEY_FILE_FORMAT) {
    throw new KeyFileError(file, `not a ${KEY_FILE_FORMAT} file`);
  }
  if (c.version !== 1) throw new KeyFileError(file, `unsupported version ${String(c.version)}`);
  const keyId = field(c.keyId, file, "keyId");
  const publicKey = fromHex(field(c.publicKey, file, "publicKey"));
  if (publicKey?.length !== 32) throw new KeyFileError(file, `"publicKey" is not 32 bytes of hex`);
  const kdf = c.kdf as Record<string, unknown> | undefined;
  const cipher = c.cipher as Record<string, unknown> | undefined;
  if (kdf?.name !== "scrypt" || cipher?.name !== "aes-256-gcm") {
    throw new KeyFileError(file, "only scrypt with aes-256-gcm is supported");
  }
  // JSON integers only: a fractional r or p would otherwise reach scrypt and fail with a bare RangeError.
  const params = acceptedScrypt(kdf);
  if (params === undefined) throw new KeyFileError(file, "the scrypt parameters are out of the accepted range");
  const salt = bytesField(kdf.salt, file, "kdf.salt", 16);
  const iv = bytesField(cipher.iv, file, "cipher.iv", 12);
  const tag = bytesField(cipher.tag, file, "cipher.tag", 16);
  const ciphertext = bytesField(c.ciphertext, file, "ciphertext", 32);
  const header = {
    format: KEY_FILE_FORMAT,
    version: 1,
    keyId,
    publicKey: field(c.publicKey, file, "publicKey"),
    kdf: { name: "scrypt", salt: field(kdf.salt, file, "kdf.salt"), ...params },
  } as const;
  const decipher = createDecipheriv("aes-256-gcm", await deriveKey(passphrase, salt, params), iv);
  decipher.setAAD(associatedData(header));
  decipher.setAuthTag(tag);
  let seed: Buffer;
  try {
    seed = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    // GCM cannot tell a wrong passphrase from a modified file; say both, and nothing else.
    throw new KeyFileError(file, `the passphrase in ${PASSPHRASE_VARIABLE} is wrong, or the file was modified`);
  }
  const signer = signerFromSeed(keyId, seed);
  seed.fill(0);
  if (toHex(signer.publicKey) !== toHex(publicKey))
    throw new KeyFileError(file, "the public key does not match the private key");
  return signer;
}

/** Writes a new encrypted key file (mode 0600); refuses to overwrite an existing file. */
export async function writeKeyFile(path: string, parameters: WriteKeyFileParameters): Promise<KeyFileContents> {
  const contents = await sealKey(parameters);
  try {
    await writeFile(path, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new KeyFileError(
      path,
      code === "EEXIST" ? "already exists; refusing to overwrite a key" : `cannot be written (${code})`,
      error,
    );
  }
  return contents;
}

/** A key file's JSON, unparsed beyond JSON. Errors name the file and never quote its content. */
export async function readKeyFileJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new KeyFileError(path, code === "ENOENT" ? "does not exist" : `cannot be read (${code})`, error);
  }
  try {
    return JSON.parse(text);
  } catch {
    // No cause: JSON.parse's message quotes the start of the text, which may be a plaintext seed or passphrase.
    throw new KeyFileError(path, "is not JSON");
  }
}

/** Reads and decrypts a key file. */
export async function loadKeyFile(path: string, passphrase: string): Promise<FileSigner> {
  return openKey(await readKeyFileJson(path), passphrase, path);
}
