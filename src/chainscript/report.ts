/** A verification report names every check, its outcome, and the first failure: never just a boolean. */

export type CheckStatus = "pass" | "fail" | "skip";

export interface CheckFailure {
  /** Index of the chain entry concerned, when the failure is about one entry. */
  readonly entry?: number;
  /** The field of the document concerned (`proof.packets[1].cid`), when the check names one. */
  readonly field?: string;
  readonly message: string;
}

export interface CheckResult {
  readonly id: string;
  readonly description: string;
  /** `skip` when nothing could be checked because an earlier check failed or content is missing. */
  readonly status: CheckStatus;
  /** Items examined (entries, packets, signatures). */
  readonly checked: number;
  /** Items that could not be examined. */
  readonly skipped: number;
  readonly failed: number;
  /** The first failures, in entry order (at most {@link MAX_LISTED_FAILURES}). */
  readonly failures: readonly CheckFailure[];
  /** Present on checks that only run when asked for: their `skip` is not missing content. */
  readonly optional?: true;
}

/** `incomplete`: nothing failed, but some content was not available to check. */
export type Verdict = "valid" | "invalid" | "incomplete";

export interface VerificationReport {
  readonly verdict: Verdict;
  readonly checks: readonly CheckResult[];
  readonly firstFailure?: CheckFailure & { readonly check: string };
}

export const MAX_LISTED_FAILURES = 20;

/** Accumulates one check's outcome. */
export class Check {
  readonly id: string;
  readonly description: string;
  /** An optional check that was not asked for is reported as `skip` without making the verdict incomplete. */
  readonly optional: boolean;
  #checked = 0;
  #skipped = 0;
  #failed = 0;
  readonly #failures: CheckFailure[] = [];

  constructor(id: string, description: string, options: { optional?: boolean } = {}) {
    this.id = id;
    this.description = description;
    this.optional = options.optional ?? false;
  }

  pass(count = 1): void {
    this.#checked += count;
  }

  fail(message: string, entry?: number, field?: string): void {
    this.#checked += 1;
    this.#failed += 1;
    if (this.#failures.length < MAX_LISTED_FAILURES)
      this.#failures.push({
        ...(entry === undefined ? {} : { entry }),
        ...(field === undefined ? {} : { field }),
        message,
      });
  }

  skip(count = 1): void {
    this.#skipped += count;
  }

  /** Records `ok` as a pass or a failure with `message`. */
  expect(ok: boolean, message: string, entry?: number): boolean {
    if (ok) this.pass();
    else this.fail(message, entry);
    return ok;
  }

  result(): CheckResult {
    const status: CheckStatus = this.#failed > 0 ? "fail" : this.#checked === 0 ? "skip" : "pass";
    const failures = [...this.#failures].sort((a, b) => (a.entry ?? -1) - (b.entry ?? -1));
    return {
      id: this.id,
      description: this.description,
      status,
      checked: this.#checked,
      skipped: this.#skipped,
      failed: this.#failed,
      failures,
      ...(this.optional ? { optional: true as const } : {}),
    };
  }
}

/**
 * Builds the report from checks in protocol order. A check counts as missing
 * content (verdict `incomplete`) only when its id is in `availabilityChecks`.
 */
export function buildReport(checks: readonly Check[], availabilityChecks: ReadonlySet<string>): VerificationReport {
  return summarize(
    checks.map((check) => check.result()),
    availabilityChecks,
  );
}

/** The verdict and first failure of check results already taken, in protocol order. */
export function summarize(
  results: readonly CheckResult[],
  availabilityChecks: ReadonlySet<string>,
): VerificationReport {
  const failedResults = results.filter((r) => r.status === "fail");
  const first = failedResults[0];
  const firstFailure = first === undefined ? undefined : { check: first.id, ...(first.failures[0] as CheckFailure) };
  const missing = results.some((r) => r.status === "skip" && !r.optional);
  let verdict: Verdict = "valid";
  if (failedResults.some((r) => !availabilityChecks.has(r.id))) verdict = "invalid";
  else if (failedResults.length > 0 || missing) verdict = "incomplete";
  return firstFailure === undefined ? { verdict, checks: results } : { verdict, checks: results, firstFailure };
}
