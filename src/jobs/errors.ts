import { BaseError } from "../errors.ts";

/** A simulator option is missing, of the wrong type or out of range. `field` names the option. */
export class InvalidJobOptionError extends BaseError {
  override name = "InvalidJobOptionError";
  readonly field: string;
  readonly problem: string;

  constructor(field: string, problem: string) {
    super(`Invalid job option "${field}": ${problem}.`);
    this.field = field;
    this.problem = problem;
  }
}

/** A JobCompleted event does not belong with the JobSubmitted it was given, or carries no file to describe. */
export class JobEventError extends BaseError {
  override name = "JobEventError";
}
