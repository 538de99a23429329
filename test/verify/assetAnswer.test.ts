import { expect } from "chai";
import type { CheckResult, VerificationReport } from "../../src/chainscript/report.ts";
import { answerAsset } from "../../src/verify/assetAnswer.ts";
import { findAsset } from "../../src/verify/findAsset.ts";
import { hashOf } from "../helpers/fixtures.ts";
import { threeStageRun } from "../helpers/run.ts";

const check = (id: string, status: CheckResult["status"], failures: CheckResult["failures"] = []): CheckResult => ({
  id,
  description: id,
  status,
  checked: status === "skip" ? 0 : 1,
  skipped: status === "skip" ? 1 : 0,
  failed: failures.length,
  failures,
});
const asked = { file: "out.png", sha256: "ab".repeat(32), tenantId: "studio-aurora", chainId: "c-1" };
const chain = "chain c-1 of tenant studio-aurora";

describe("answerAsset (the first line of pop verify-asset)", () => {
  it("names the step of a valid chain whose output the file is, or says no step's", async () => {
    const run = await threeStageRun();
    const valid: VerificationReport = { verdict: "valid", checks: [check("chain.hash", "pass")] };
    const found = findAsset(run.built.chainscript, run.store, hashOf("lighthouse@4x.png"));
    expect(answerAsset({ ...asked, report: valid, found })).to.deep.equal({
      result: "proven",
      answer: `proven: out.png is the output of step upscale (entry 1) of ${chain}`,
    });
    expect(answerAsset({ ...asked, report: valid, found: undefined })).to.deep.equal({
      result: "not-produced",
      answer: `not produced by this chain: out.png (sha256 ${"ab".repeat(32)}) is the output of no step of the valid ${chain}`,
    });
  });

  it("names the check that makes the chain invalid, not a missing packet listed before it", () => {
    const report: VerificationReport = {
      verdict: "invalid",
      checks: [
        check("packets.available", "fail", [{ entry: 0, message: "packet bafk… is not available" }]),
        check("packets.integrity", "fail", [{ entry: 1, message: "the packet bytes do not match" }]),
      ],
      firstFailure: { check: "packets.available", entry: 0, message: "packet bafk… is not available" },
    };
    expect(answerAsset({ ...asked, report, found: undefined })).to.deep.equal({
      result: "chain-invalid",
      answer: `chain invalid: ${chain} fails packets.integrity (entry 1): the packet bytes do not match; it proves nothing about out.png`,
    });
  });

  it("says what could not be checked when the verification could not complete", () => {
    const unreachable: VerificationReport = {
      verdict: "incomplete",
      checks: [check("rpc.reachable", "fail", [{ message: "rpc 1: connection refused" }])],
      firstFailure: { check: "rpc.reachable", message: "rpc 1: connection refused" },
    };
    expect(answerAsset({ ...asked, report: unreachable, found: undefined })).to.deep.equal({
      result: "incomplete",
      answer: `could not complete: rpc.reachable: rpc 1: connection refused; whether ${chain} produced out.png is not known`,
    });
    const skipped: VerificationReport = {
      verdict: "incomplete",
      checks: [check("chain.hash", "pass"), check("lineage", "skip")],
    };
    expect(answerAsset({ ...asked, report: skipped, found: undefined }).answer).to.equal(
      `could not complete: content was missing for lineage; whether ${chain} produced out.png is not known`,
    );
  });
});
