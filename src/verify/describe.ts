import { BaseError } from "../errors.ts";

/** One line about a failure: the short message and, for the project's errors, its details (e.g. each gateway's outcome). */
export function describe(error: unknown): string {
  if (error instanceof BaseError)
    return error.details === undefined ? error.shortMessage : `${error.shortMessage} ${error.details}`;
  return error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
}
