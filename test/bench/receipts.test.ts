/**
 * `npm run bench -- receipts` in a tiny configuration, so the bench cannot rot: the same run (HTTP clients,
 * repeats, a restart halfway, the direct committer on a local chain, `?wait=commit` after the drain) and the
 * same counts it asserts. No timing is checked here: speed lives in the bench.
 */
import { expect } from "chai";
import {
  FULL_RUN,
  type ReceiptsBenchConfig,
  receiptsProblems,
  runReceiptsBench,
} from "../../scripts/bench/receipts.ts";
import { describeEachDatabase } from "../helpers/databases.ts";

const TINY: ReceiptsBenchConfig = { ...FULL_RUN, jobs: 20, clients: 4, waitJobs: 2, healthPerClient: 2 };

describeEachDatabase("npm run bench -- receipts, tiny", (target) => {
  it("records, stores and commits every event exactly once through a restart, repeats answered 409", async function () {
    this.timeout(120_000);
    const result = await runReceiptsBench(TINY, { database: target, chain: "in-process" });
    expect(receiptsProblems(TINY, result)).to.deep.equal([]);
    expect(result.database).to.equal(target.name);
    expect(result.counts.chainCommits).to.deep.equal({ JobSubmitted: 20, JobCompleted: 20 });
    // Every fifth event of the timed phase was sent twice and answered 409 with its original receipt.
    expect(result.load.duplicates).to.equal(Math.ceil((2 * (TINY.jobs - TINY.waitJobs)) / 5));
    expect(result.waited.waitMs).to.have.length(4);
    expect(result.load.statuses.get(409)).to.be.at.least(result.load.duplicates);
  });
});
