import { expect } from "chai";
import { contentCid, rawCid } from "../../src/evidence/cid.ts";
import { type CaptureApi, createCaptureApi, DEFAULT_CAPTURE_API_URL } from "../../src/numbers/captureApi.ts";
import { captureApiFromEnv } from "../../src/numbers/env.ts";
import {
  CaptureAnswerError,
  CaptureAuthError,
  InsufficientNumError,
  UnknownNidError,
} from "../../src/numbers/errors.ts";
import { ProviderError } from "../../src/storage/errors.ts";
import type { RetryPolicy } from "../../src/storage/http.ts";
import { ProviderConfigError } from "../../src/storage/providers/env.ts";
import { rejection } from "../helpers/rejection.ts";
import { type CaptureStandin, INSUFFICIENT_FUND_BODY, startCaptureStandin } from "./standins/captureStandin.ts";

const TOKEN = "capture-test-token-5f2c9d1e";
const RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 5, timeoutMs: 300 };
const utf8 = (text: string) => new TextEncoder().encode(text);

describe("the Capture API client", () => {
  let standin: CaptureStandin;
  let bytes: Uint8Array;
  let cid: string;
  const api = (token = TOKEN): CaptureApi => createCaptureApi({ token, baseUrl: standin.url, retry: RETRY });
  const registration = () => ({ cid, asset: bytes, caption: "a packet", headline: "PoP packet", publicAccess: true });
  const sent = (method: string) => standin.requests.filter((r) => r.method === method);

  beforeEach(async () => {
    standin = await startCaptureStandin({ token: TOKEN });
    bytes = utf8(`packet ${Math.random()}`);
    cid = await contentCid(bytes);
  });
  afterEach(async () => {
    await standin.close();
  });

  describe("when the API answers", () => {
    it("registers the packet as a multipart upload named <cid>.cbor and answers its NID", async () => {
      const asset = await api().register(registration());
      expect(asset.nid).to.equal(cid);
      const [request] = sent("POST");
      expect(request?.path).to.equal("/api/v3/assets/");
      expect(request?.authorization).to.equal(`token ${TOKEN}`);
      expect(request?.fields).to.include({ caption: "a packet", headline: "PoP packet", public_access: "true" });
      expect(standin.assets.get(cid)?.bytes).to.deep.equal(bytes);
    });

    it("updates with commit_message and nit_commit_custom as a JSON string, then reads the commits' transactions", async () => {
      const client = api();
      await client.register(registration());
      await client.update({
        nid: cid,
        caption: "committed",
        headline: "PoP GPU job receipt",
        commitMessage: "JobCompleted",
        custom: { packetHash: "ab", jobDetails: { jobId: "j" } },
      });
      const [patch] = sent("PATCH");
      expect(patch?.path).to.equal(`/api/v3/assets/${cid}/`);
      expect(patch?.fields).to.include({ commit_message: "JobCompleted", caption: "committed" });
      expect(JSON.parse(patch?.fields.nit_commit_custom ?? "")).to.deep.equal({
        packetHash: "ab",
        jobDetails: { jobId: "j" },
      });
      const asset = await client.read(cid);
      expect(asset.caption).to.equal("committed");
      expect(asset.commits).to.have.length(2);
      expect(asset.commits[1]?.txHash).to.match(/^0x[0-9a-f]{64}$/);
      expect(asset.commits[1]?.explorerUrl).to.equal(`https://mainnet.num.network/tx/${asset.commits[1]?.txHash}`);
    });

    it("lists no transactions until Numbers reports them", async () => {
      await standin.close();
      standin = await startCaptureStandin({ token: TOKEN, integrityAfterReads: 1 });
      const client = api();
      await client.register(registration());
      expect((await client.read(cid)).commits).to.deep.equal([]);
      expect((await client.read(cid)).commits).to.have.length(1);
    });
  });

  describe("when the API refuses", () => {
    it("says the account has insufficient NUM on 400 asset_commit_insufficient_fund, without retrying", async () => {
      standin.inject({ status: 400, body: INSUFFICIENT_FUND_BODY });
      const error = await rejection(api().register(registration()));
      expect(error).to.be.instanceOf(InsufficientNumError);
      expect(error.message).to.match(/insufficient NUM/);
      expect((error as InsufficientNumError).retryable).to.equal(false);
      expect(sent("POST")).to.have.length(1);
    });

    it("reports another 400 with its status and the API's words", async () => {
      standin.inject({ status: 400, body: JSON.stringify({ caption: ["This field may not be blank."] }) });
      const error = (await rejection(api().register(registration()))) as ProviderError;
      expect(error).to.be.instanceOf(ProviderError).and.not.instanceOf(InsufficientNumError);
      expect(error.status).to.equal(400);
      expect(error.message)
        .to.match(/HTTP 400/)
        .and.match(/may not be blank/);
      expect(sent("POST")).to.have.length(1);
    });

    it("says the token was refused on 401, never quoting it, without retrying", async () => {
      const wrong = "wrong-token-7d41aa";
      const error = await rejection(api(wrong).register(registration()));
      expect(error).to.be.instanceOf(CaptureAuthError);
      expect(error.message)
        .to.match(/token was refused/)
        .and.not.include(wrong);
      expect(sent("POST")).to.have.length(1);
    });

    it("says the token is not allowed on 403", async () => {
      standin.inject({ status: 403, body: JSON.stringify({ detail: "You do not have permission." }) }, "update");
      const error = await rejection(
        api().update({ nid: cid, caption: "c", headline: "h", commitMessage: "m", custom: {} }),
      );
      expect(error).to.be.instanceOf(CaptureAuthError);
      expect(error.message).to.match(/not allowed/);
    });

    it("redacts the token when an answer quotes it", async () => {
      standin.inject({ status: 400, body: JSON.stringify({ detail: `bad request from token ${TOKEN}` }) });
      const error = await rejection(api().register(registration()));
      expect(error.message).to.include("[redacted]");
      expect(error.message).to.not.include(TOKEN);
    });

    it("says the NID is unknown on 404, and find answers nothing", async () => {
      const unknown = rawCid(utf8("never registered"));
      const error = await rejection(api().read(unknown));
      expect(error).to.be.instanceOf(UnknownNidError);
      expect(error.message).to.include(unknown);
      expect(await api().find(unknown)).to.equal(undefined);
    });

    it("refuses a headline longer than 25 characters before sending anything", async () => {
      const error = await rejection(api().register({ ...registration(), headline: "x".repeat(26) }));
      expect(error.message).to.match(/longer than 25/);
      expect(standin.requests).to.have.length(0);
    });
  });

  describe("when the API is busy or failing", () => {
    it("retries a read after 429 (honouring Retry-After) and 5xx, then succeeds", async () => {
      await api().register(registration());
      standin.inject({ status: 429, retryAfter: 0, times: 1 }, "read");
      standin.inject({ status: 502, times: 1 }, "read");
      expect((await api().read(cid)).nid).to.equal(cid);
      expect(sent("GET")).to.have.length(3);
    });

    it("sends a register again after a 429, which did nothing", async () => {
      standin.inject({ status: 429, retryAfter: 0, times: 1 }, "register");
      expect((await api().register(registration())).nid).to.equal(cid);
      expect(sent("POST")).to.have.length(2);
      expect(standin.applied("register")).to.equal(1);
    });

    it("after a 5xx sends a register again only once the probe says it did not take effect", async () => {
      standin.inject({ status: 503, times: 1 }, "register");
      let probes = 0;
      const asset = await api().register(registration(), {
        probe: async () => {
          probes += 1;
          return "absent";
        },
      });
      expect(asset.nid).to.equal(cid);
      expect(probes).to.equal(1);
      expect(sent("POST")).to.have.length(2);
    });

    it("answers what the probe found when a register took effect but its answer was a 5xx", async () => {
      standin.failAfterApplying({ status: 500, times: 1 }, "register");
      const client = api();
      const asset = await client.register(registration(), {
        probe: async (signal) => (await client.find(cid, { signal })) ?? "absent",
      });
      expect(asset.nid).to.equal(cid);
      expect(sent("POST")).to.have.length(1);
      expect(standin.applied("register")).to.equal(1);
    });

    it("does not send a register again after a 5xx when no probe can tell", async () => {
      standin.failAfterApplying({ status: 500, times: 1 }, "register");
      const error = await rejection(api().register(registration()));
      expect(error.message).to.match(/may have taken effect/);
      expect(standin.applied("register")).to.equal(1);
    });

    it("gives up after the policy's attempts with the last status, retryable", async () => {
      standin.inject({ status: 500 }, "read");
      const error = (await rejection(api().read(cid))) as ProviderError;
      expect(error.status).to.equal(500);
      expect(error.retryable).to.equal(true);
      expect(sent("GET")).to.have.length(RETRY.attempts);
    });

    it("times out a request that never answers", async () => {
      standin.inject({ hang: true }, "read");
      const error = (await rejection(api().read(cid))) as ProviderError;
      expect(error.message).to.match(/no answer within 300 ms/);
      expect(sent("GET")).to.have.length(RETRY.attempts);
    });
  });

  describe("when the answer is hostile", () => {
    it("refuses an NID that is not a CID", async () => {
      standin.inject({ lie: true, cid: "../../etc/passwd" }, "register");
      const error = await rejection(api().register(registration()));
      expect(error).to.be.instanceOf(CaptureAnswerError);
      expect(error.message).to.match(/not a CIDv1/);
    });

    it("answers another NID as it came, for the caller to compare", async () => {
      standin.inject({ lie: true }, "register");
      const asset = await api().register(registration());
      expect(asset.nid).to.match(/^bafkrei/);
      expect(asset.nid).to.not.equal(cid);
    });

    it("refuses a read that names another asset", async () => {
      await api().register(registration());
      standin.inject({ lie: true }, "read");
      const error = await rejection(api().read(cid));
      expect(error).to.be.instanceOf(CaptureAnswerError);
    });
  });

  describe("configuration", () => {
    it("reads the token and URL from the environment, naming a missing variable without values", () => {
      expect(captureApiFromEnv({ POP_NUMBERS_API_TOKEN: " t " })).to.deep.equal({
        token: "t",
        baseUrl: DEFAULT_CAPTURE_API_URL,
      });
      expect(
        captureApiFromEnv({ POP_NUMBERS_API_TOKEN: "t", POP_NUMBERS_API_URL: "http://127.0.0.1:9/api/v3/" }).baseUrl,
      ).to.equal("http://127.0.0.1:9/api/v3");
      expect(() => captureApiFromEnv({})).to.throw(ProviderConfigError, /POP_NUMBERS_API_TOKEN is not set/);
      expect(() => captureApiFromEnv({ POP_NUMBERS_API_TOKEN: "t", POP_NUMBERS_API_URL: "https://u:p@x" })).to.throw(
        ProviderConfigError,
        /contains credentials/,
      );
    });
  });
});
