/**
 * Ethereum accounts from private keys held in environment variables (never
 * arguments, which other users of the machine can read in the process list).
 * Errors name the variable, never its value.
 */
import { privateKeyToAccount } from "viem/accounts";
import { BaseError } from "../errors.ts";

/** A private key variable is missing or malformed. Never carries the value. */
export class AdminKeyError extends BaseError {
  override name = "AdminKeyError";
}

/** The account whose private key is in `variable`; errors name the variable, never its value. */
export function accountFromEnv(
  variable: string,
  purpose: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
) {
  const value = env[variable]?.trim();
  if (value === undefined || value.length === 0)
    throw new AdminKeyError(`${variable} is not set: it holds the private key of ${purpose}.`);
  const hex = value.startsWith("0x") ? value : `0x${value}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new AdminKeyError(`${variable} is not a private key (32 bytes of hex).`);
  try {
    return privateKeyToAccount(hex as `0x${string}`);
  } catch {
    // No cause: the underlying error could quote the value.
    throw new AdminKeyError(`${variable} is not a valid secp256k1 private key.`);
  }
}
