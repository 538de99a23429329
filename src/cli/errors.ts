import { BaseError } from "../errors.ts";

/** Exit codes: 0 success or a valid proof, 1 an invalid proof, 2 usage or input errors (and proofs that could not be checked). */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;

/** The command line is wrong: an unknown command or option, a missing argument. */
export class UsageError extends BaseError {
  override name = "UsageError";
}
