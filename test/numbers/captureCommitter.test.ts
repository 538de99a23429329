import { expect } from "chai";
import { contentCid } from "../../src/evidence/cid.ts";
import { createCaptureApi } from "../../src/numbers/captureApi.ts";
import {
  type CaptureCommitter,
  type CaptureCommitterOptions,
  type CaptureStep,
  createCaptureCommitter,
} from "../../src/numbers/captureCommitter.ts";
import { nidMismatchWarning } from "../../src/numbers/commitRows.ts";
import type { CommitRequest } from "../../src/numbers/committer.ts";
import {
  CaptureAuthError,
  CommitAmbiguousError,
  CommitKeyConflictError,
  InsufficientNumError,
  InvalidCommitRequestError,
} from "../../src/numbers/errors.ts";
import type { RetryPolicy } from "../../src/storage/http.ts";
import { describeEachDatabase, freshDatabaseEach } from "../helpers/databases.ts";
import { rejection } from "../helpers/rejection.ts";
import { type CaptureStandin, INSUFFICIENT_FUND_BODY, startCaptureStandin } from "./standins/captureStandin.ts";

const TOKEN = "capture-committer-token-91b0";
const RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 5, timeoutMs: 2_000 };
const utf8 = (text: string) => new TextEncoder().encode(text);

async function commitRequest(key: string, text = `packet for ${key}`): Promise<CommitRequest> {
  const asset = utf8(text);
  return {
    idempotencyKey: key,
    assetCid: await contentCid(asset),
    asset,
    commitData: { abstract: `receipt ${key}`, jobDetails: { jobId: key, eventType: "JobCompleted" }, packetHash: "ab" },
  };
}

/** A hook that stops the committer at `at`, as a crash there would. */
const crashAt = (at: CaptureStep) => (step: CaptureStep) => {
  if (step === at) throw new Error(`simulated crash at ${step}`);
};

describeEachDatabase("the capture-api committer", (target) => {
  const db = freshDatabaseEach(target);
  let standin: CaptureStandin;
  const open = (options: Partial<CaptureCommitterOptions> = {}): Promise<CaptureCommitter> =>
    createCaptureCommitter({
      db: db(),
      api: createCaptureApi({ token: TOKEN, baseUrl: standin.url, retry: RETRY }),
      pollMs: 10,
      ...options,
    });
  const registers = () => standin.requests.filter((r) => r.method === "POST").length;
  const updates = () => standin.requests.filter((r) => r.method === "PATCH").length;
  const status = async (key: string) =>
    (await db().query<{ status: string }>("select status from pop_numbers_commit where idempotency_key = $1", [key]))[0]
      ?.status;

  beforeEach(async () => {
    standin = await startCaptureStandin({ token: TOKEN, integrityAfterReads: 1 });
  });
  afterEach(async () => {
    await standin.close();
  });

  describe("a commit", () => {
    it("registers the packet, updates it with commitData, and settles once Numbers reports the transaction", async () => {
      const committer = await open();
      const request = await commitRequest("gpu-job-1-JobCompleted");
      const receipt = await committer.submit(request);
      expect(receipt).to.deep.equal({
        idempotencyKey: request.idempotencyKey,
        committer: "capture-api",
        status: "pending",
        assetCid: request.assetCid,
        nid: request.assetCid,
        nidMatchesCid: true,
      });
      const patch = standin.requests.find((r) => r.method === "PATCH");
      expect(JSON.parse(patch?.fields.nit_commit_custom ?? "")).to.deep.equal(request.commitData);
      expect(patch?.fields.commit_message).to.equal("receipt gpu-job-1-JobCompleted");
      expect((await committer.settle(request.idempotencyKey))?.status).to.equal("pending");
      const settled = await committer.settle(request.idempotencyKey);
      expect(settled?.status).to.equal("committed");
      expect(settled?.txHash).to.match(/^0x[0-9a-f]{64}$/);
      expect(settled?.explorerUrl).to.equal(`https://mainnet.num.network/tx/${settled?.txHash}`);
      expect(await committer.settle(request.idempotencyKey)).to.deep.equal(settled);
    });

    it("answers nothing when settling a key never submitted", async () => {
      expect(await (await open()).settle("gpu-job-none-JobCompleted")).to.equal(undefined);
    });

    it("refuses an asset whose CID is not the assetCid given", async () => {
      const request = await commitRequest("gpu-job-2-JobCompleted");
      const error = await rejection((await open()).submit({ ...request, asset: utf8("other bytes") }));
      expect(error).to.be.instanceOf(InvalidCommitRequestError);
      expect(error.message).to.match(/assetCid/);
      expect(standin.requests).to.have.length(0);
    });
  });

  describe("exactly once per idempotency key", () => {
    it("answers a repeat with the recorded receipt and sends nothing again", async () => {
      const committer = await open();
      const request = await commitRequest("gpu-job-3-JobCompleted");
      const first = await committer.submit(request);
      expect(await committer.submit(request)).to.deep.equal(first);
      expect(await (await open()).submit(request)).to.deep.equal(first);
      expect([registers(), updates()]).to.deep.equal([1, 1]);
    });

    it("registers once for concurrent submits of one key", async () => {
      const committer = await open();
      const other = await open();
      const request = await commitRequest("gpu-job-4-JobCompleted");
      const receipts = await Promise.all([committer.submit(request), committer.submit(request), other.submit(request)]);
      expect(receipts[1]).to.deep.equal(receipts[0]);
      expect(receipts[2]).to.deep.equal(receipts[0]);
      expect([registers(), updates()]).to.deep.equal([1, 1]);
    });

    it("refuses the key for another packet", async () => {
      const committer = await open();
      await committer.submit(await commitRequest("gpu-job-5-JobCompleted"));
      const error = await rejection(committer.submit(await commitRequest("gpu-job-5-JobCompleted", "other packet")));
      expect(error).to.be.instanceOf(CommitKeyConflictError);
      expect(registers()).to.equal(1);
    });

    it("registers once when a register took effect but answered 5xx", async () => {
      // A first commit shows that this API's NIDs are CIDs, so the probe by CID can be trusted.
      const committer = await open();
      await committer.submit(await commitRequest("gpu-job-6-JobSubmitted"));
      standin.failAfterApplying({ status: 502, times: 1 }, "register");
      const receipt = await committer.submit(await commitRequest("gpu-job-6-JobCompleted"));
      expect(receipt.nidMatchesCid).to.equal(true);
      expect(standin.applied("register")).to.equal(2);
    });
  });

  describe("after a crash", () => {
    it("between recording the key and registering, reports the ambiguity while NIDs are not known to be CIDs", async () => {
      const request = await commitRequest("gpu-job-7-JobCompleted");
      const crashed = await open({ leaseMs: 0, hook: crashAt("before-register") });
      await rejection(crashed.submit(request));
      const committer = await open();
      const error = await rejection(committer.settle(request.idempotencyKey));
      expect(error).to.be.instanceOf(CommitAmbiguousError);
      expect(await status(request.idempotencyKey)).to.equal("ambiguous");
      expect(registers()).to.equal(0);
      // The operator looked in the Numbers account: not registered.
      await committer.resolveAmbiguous(request.idempotencyKey, { notRegistered: true });
      expect((await committer.settle(request.idempotencyKey))?.nid).to.equal(request.assetCid);
      expect([registers(), updates()]).to.deep.equal([1, 1]);
    });

    it("between recording the key and registering, registers once when NIDs have been CIDs so far", async () => {
      await (await open()).submit(await commitRequest("gpu-job-8-JobSubmitted"));
      const request = await commitRequest("gpu-job-8-JobCompleted");
      await rejection((await open({ leaseMs: 0, hook: crashAt("before-register") })).submit(request));
      const receipt = await (await open()).settle(request.idempotencyKey);
      expect(receipt?.nid).to.equal(request.assetCid);
      expect(standin.applied("register")).to.equal(2);
    });

    it("after registering, before recording the NID, finds the registration instead of registering again", async () => {
      const request = await commitRequest("gpu-job-9-JobCompleted");
      await rejection((await open({ leaseMs: 0, hook: crashAt("before-record-nid") })).submit(request));
      expect(standin.applied("register")).to.equal(1);
      const receipt = await (await open()).submit(request);
      expect(receipt.nid).to.equal(request.assetCid);
      expect(standin.applied("register")).to.equal(1);
      expect(standin.applied("update")).to.equal(1);
    });

    it("after updating, before recording it, sees the update took effect and does not commit again", async () => {
      const request = await commitRequest("gpu-job-10-JobCompleted");
      await rejection((await open({ leaseMs: 0, hook: crashAt("before-record-submitted") })).submit(request));
      const receipt = await (await open()).settle(request.idempotencyKey);
      expect(receipt?.nid).to.equal(request.assetCid);
      expect([standin.applied("register"), standin.applied("update")]).to.deep.equal([1, 1]);
      expect((await (await open()).settle(request.idempotencyKey))?.status).to.equal("committed");
    });

    it("before updating, updates once", async () => {
      const request = await commitRequest("gpu-job-11-JobCompleted");
      await rejection((await open({ leaseMs: 0, hook: crashAt("before-update") })).submit(request));
      await (await open()).settle(request.idempotencyKey);
      expect([standin.applied("register"), standin.applied("update")]).to.deep.equal([1, 1]);
    });
  });

  describe("when the API refuses or answers another NID", () => {
    it("records insufficient NUM as not sent, and registers once when settled after a top-up", async () => {
      const committer = await open();
      const request = await commitRequest("gpu-job-12-JobCompleted");
      standin.inject({ status: 400, body: INSUFFICIENT_FUND_BODY, times: 1 }, "register");
      expect(await rejection(committer.submit(request))).to.be.instanceOf(InsufficientNumError);
      expect(await status(request.idempotencyKey)).to.equal("unsent");
      expect((await committer.settle(request.idempotencyKey))?.nid).to.equal(request.assetCid);
      expect(standin.applied("register")).to.equal(1);
    });

    it("does not retry a refused token", async () => {
      const committer = await createCaptureCommitter({
        db: db(),
        api: createCaptureApi({ token: "wrong-token-0000", baseUrl: standin.url, retry: RETRY }),
      });
      const error = await rejection(committer.submit(await commitRequest("gpu-job-13-JobCompleted")));
      expect(error).to.be.instanceOf(CaptureAuthError);
      expect(error.message).to.not.include("wrong-token-0000");
      expect(registers()).to.equal(1);
    });

    it("keeps an NID that differs from the CID in the receipt and the state, and warns", async () => {
      const warnings: string[] = [];
      const committer = await open({ onWarning: (message) => warnings.push(message) });
      const request = await commitRequest("gpu-job-14-JobCompleted");
      standin.inject({ lie: true, times: 1 }, "register");
      const receipt = await committer.submit(request);
      expect(receipt.nid).to.not.equal(request.assetCid);
      expect(receipt.nidMatchesCid).to.equal(false);
      expect(warnings).to.deep.equal([nidMismatchWarning(receipt)]);
      expect(warnings[0]).to.include(receipt.nid);
      expect(warnings[0]).to.include(request.assetCid);
      const [row] = await db().query("select nid, nid_matches from pop_numbers_commit where idempotency_key = $1", [
        request.idempotencyKey,
      ]);
      expect(row).to.deep.equal({ nid: receipt.nid, nid_matches: false });
      expect((await committer.settle(request.idempotencyKey))?.nidMatchesCid).to.equal(false);
    });

    it("stops trusting a lookup by CID once an NID differed", async () => {
      const committer = await open();
      await committer.submit(await commitRequest("gpu-job-15-JobSubmitted"));
      standin.inject({ lie: true, times: 1 }, "register");
      await committer.submit(await commitRequest("gpu-job-15-JobStarted"));
      const request = await commitRequest("gpu-job-15-JobCompleted");
      await rejection((await open({ leaseMs: 0, hook: crashAt("before-register") })).submit(request));
      expect(await rejection(committer.settle(request.idempotencyKey))).to.be.instanceOf(CommitAmbiguousError);
    });
  });
});
