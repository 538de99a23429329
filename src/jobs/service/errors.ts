/**
 * The receipts service's one error shape: every 4xx and 5xx answers
 * `{ "error": { "code", "message", "field"? } }`, where `field` names the
 * request field at fault (`inputs.0.sha256`, `cursor`, `x-api-key`) and
 * `message` is a sentence naming it and the problem.
 */
import { BaseError } from "../../errors.ts";
import type { Signer } from "../../keys/signer.ts";

export type ServiceErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 503;

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
}

/** An answer other than 200/202, thrown by a route and turned into JSON by the app's error handler. */
export class ServiceError extends BaseError {
  override name = "ServiceError";
  readonly status: ServiceErrorStatus;
  readonly code: string;
  readonly field: string | undefined;
  /** More of the answer beside `error` (a 409's original receipt). */
  readonly extra: Readonly<Record<string, unknown>> | undefined;
  /** Headers of the answer (a 429's Retry-After). */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(
    status: ServiceErrorStatus,
    code: string,
    message: string,
    options: {
      field?: string;
      extra?: Readonly<Record<string, unknown>>;
      headers?: Readonly<Record<string, string>>;
    } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = options.field;
    this.extra = options.extra;
    this.headers = options.headers;
  }

  body(): ErrorBody & Readonly<Record<string, unknown>> {
    const error = {
      code: this.code,
      message: this.shortMessage,
      ...(this.field === undefined ? {} : { field: this.field }),
    };
    return { error, ...this.extra };
  }
}

/** A request field failed validation: 400 naming it. */
export function invalidField(field: string, message: string): ServiceError {
  return new ServiceError(400, "invalid_request", message, { field });
}

/** 403 for a job id that names another tenant's job. */
export function jobOfAnotherTenant(jobId: string): ServiceError {
  return new ServiceError(403, "forbidden", `Job ${jobId} belongs to another tenant than this API key's.`, {
    field: "jobId",
  });
}

/** The tenant's packet signer; 503 when this service was started without the tenant's key. */
export function tenantSigner(signers: ReadonlyMap<string, Signer>, tenantId: string): Signer {
  const signer = signers.get(tenantId);
  if (signer === undefined)
    throw new ServiceError(
      503,
      "signer_unavailable",
      `This service holds no signing key for tenant ${JSON.stringify(tenantId)}: start it with --tenant ${tenantId} --key <file>.`,
    );
  return signer;
}
