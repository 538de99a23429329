import { BaseError } from "../errors.ts";

/** A packet field is missing, of the wrong type or out of range. `field` is its dotted path. */
export class InvalidPacketError extends BaseError {
  override name = "InvalidPacketError";
  readonly field: string;
  readonly problem: string;

  constructor(field: string, problem: string) {
    super(`Invalid packet field "${field}": ${problem}.`);
    this.field = field;
    this.problem = problem;
  }
}

/** A signature does not verify under the given public key. */
export class InvalidSignatureError extends BaseError {
  override name = "InvalidSignatureError";

  constructor(what: string) {
    super(`The ${what} signature does not verify under the given public key.`);
  }
}
