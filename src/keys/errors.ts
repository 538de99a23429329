import { BaseError } from "../errors.ts";

/** POP_KEY_PASSPHRASE is not set (or empty), so no key file can be opened or written. */
export class MissingPassphraseError extends BaseError {
  override name = "MissingPassphraseError";

  constructor(variable: string) {
    super(`${variable} is not set: key files are encrypted and need a passphrase.`, {
      details: `Set ${variable} in the environment of this command (at least 8 characters).`,
    });
  }
}

/**
 * A key file cannot be used: unreadable, not a key file, or its passphrase is
 * wrong. Messages name the file, never the passphrase or key material.
 */
export class KeyFileError extends BaseError {
  override name = "KeyFileError";
  readonly file: string;

  constructor(file: string, problem: string, cause?: unknown) {
    super(`Key file ${file}: ${problem}.`, cause === undefined ? {} : { cause });
    this.file = file;
  }
}
