import type { CheckFailure, VerificationReport } from "../chainscript/report.ts";
import type { AssetProvenance } from "./findAsset.ts";
import { AVAILABILITY } from "./verifyAnchored.ts";

/**
 * What `verify-asset` found, in one word: the file is the output of a step
 * (`proven`), of no step of a valid chain (`not-produced`), the chain does not
 * verify (`chain-invalid`), or the verification could not finish (`incomplete`).
 */
export type AssetResult = "proven" | "not-produced" | "chain-invalid" | "incomplete";

export interface AssetAnswerParameters {
  /** The file as the user named it. */
  readonly file: string;
  /** Hex SHA-256 of the file's bytes. */
  readonly sha256: string;
  readonly tenantId: string;
  readonly chainId: string;
  readonly report: VerificationReport;
  /** The step whose output the file is, when the chain is valid and one is. */
  readonly found: AssetProvenance | undefined;
}

export interface AssetAnswer {
  readonly result: AssetResult;
  /** The answer as one line a reader can stop at: it starts with the result in words. */
  readonly answer: string;
}

const at = (failure: CheckFailure & { readonly check: string }) =>
  `${failure.check}${failure.entry === undefined ? "" : ` (entry ${failure.entry})`}: ${failure.message}`;

/**
 * The one-line answer to "did this chain produce this file?". For an invalid
 * chain it names the first check that proves it invalid, not a content
 * failure listed before it (a missing packet does not make a chain invalid).
 *
 * @example
 * answerAsset({ file, sha256, tenantId, chainId, report, found }).answer
 * // "proven: out.png is the output of step upscale (entry 1) of chain 7c9e… of tenant studio-aurora"
 */
export function answerAsset(parameters: AssetAnswerParameters): AssetAnswer {
  const { file, sha256, tenantId, chainId, report, found } = parameters;
  const chain = `chain ${chainId} of tenant ${tenantId}`;
  if (report.verdict === "valid") {
    return found
      ? {
          result: "proven",
          answer: `proven: ${file} is the output of step ${found.stageId} (entry ${found.entry}) of ${chain}`,
        }
      : {
          result: "not-produced",
          answer: `not produced by this chain: ${file} (sha256 ${sha256}) is the output of no step of the valid ${chain}`,
        };
  }
  if (report.verdict === "invalid") {
    const check = report.checks.find((c) => c.status === "fail" && !AVAILABILITY.has(c.id));
    const first = check?.failures[0];
    const reason = check && first ? at({ check: check.id, ...first }) : "a check failed";
    return {
      result: "chain-invalid",
      answer: `chain invalid: ${chain} fails ${reason}; it proves nothing about ${file}`,
    };
  }
  const skipped = report.checks.filter((c) => c.status === "skip" && !c.optional).map((c) => c.id);
  const reason = report.firstFailure
    ? at(report.firstFailure)
    : `content was missing for ${skipped.join(", ") || "some checks"}`;
  return {
    result: "incomplete",
    answer: `could not complete: ${reason}; whether ${chain} produced ${file} is not known`,
  };
}
