/**
 * Root of every error the library throws on purpose.
 *
 * `shortMessage` is one sentence for humans; `details` carries the specifics
 * (field, offset, provider answer). `retryable` tells a batch pipeline whether
 * trying the same operation again can succeed: invalid input never can, a
 * timeout may. No subclass ever puts secret material in any of these fields.
 */
export class BaseError extends Error {
  override name = "BaseError";
  readonly shortMessage: string;
  readonly details: string | undefined;
  readonly retryable: boolean;

  constructor(shortMessage: string, options: { details?: string; cause?: unknown; retryable?: boolean } = {}) {
    super(
      options.details === undefined ? shortMessage : `${shortMessage}\n\nDetails: ${options.details}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.shortMessage = shortMessage;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}
