import { expect } from "chai";
import { CID } from "multiformats/cid";
import { contentCid, rawCid, UNIXFS_CHUNK_SIZE } from "../../src/evidence/cid.ts";
import { encodeCar } from "../../src/storage/car.ts";
import { CidMismatchError, InvalidCidError, ProviderError } from "../../src/storage/errors.ts";
import type { RetryPolicy } from "../../src/storage/http.ts";
import { CarRootsError } from "../../src/storage/providers/cids.ts";
import {
  FILEBASE_RPC_URL,
  filebaseFromEnv,
  kuboFromEnv,
  ProviderConfigError,
} from "../../src/storage/providers/env.ts";
import { createKuboProvider } from "../../src/storage/providers/kubo.ts";
import { fileBlocks } from "../../src/storage/unixfs.ts";
import { rejection } from "../helpers/rejection.ts";
import { type KuboStandin, startKuboStandin } from "./standins/kuboStandin.ts";

const RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 5, timeoutMs: 200 };
const FILEBASE_KEY = "ZmlsZWJhc2Utc3RhbmQtaW4tYnVja2V0LXRva2Vu";
const utf8 = (text: string) => new TextEncoder().encode(text);

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

/** A CAR holding raw packets and a multi-block file, every one a root, as a batch is uploaded. */
async function batchCar() {
  const packets = [utf8("packet 1"), utf8("packet 2")].map((bytes) => ({ cid: CID.parse(rawCid(bytes)), bytes }));
  const file = await fileBlocks(new Uint8Array(UNIXFS_CHUNK_SIZE + 5).fill(7));
  const roots = [file.root, ...packets.map((p) => p.cid)];
  return { car: encodeCar(roots, [...file.blocks, ...packets]), roots: roots.map(String), file };
}

describe("the Kubo RPC provider", () => {
  let standin: KuboStandin;
  const provider = () => createKuboProvider({ url: standin.url, retry: RETRY });
  const calls = (path: string) => standin.requests.filter((r) => r.path === path);

  beforeEach(async () => {
    standin = await startKuboStandin();
  });
  afterEach(async () => {
    await standin.close();
  });

  describe("when the node answers", () => {
    it("adds one object as CIDv1 with raw leaves, pinned, and finds the pin", async () => {
      const bytes = new Uint8Array(UNIXFS_CHUNK_SIZE * 3).map((_, i) => i % 256);
      const cid = await contentCid(bytes);
      const kubo = provider();
      await kubo.put(bytes, cid);
      const [add] = calls("/api/v0/add");
      expect(add?.method).to.equal("POST");
      expect(add?.query).to.include({ "cid-version": "1", "raw-leaves": "true", pin: "true", chunker: "size-262144" });
      expect(await kubo.has(cid)).to.equal(true);
      expect(calls("/api/v0/pin/ls")[0]?.query).to.deep.equal({ arg: cid, type: "recursive" });
    });

    it("reads Kubo's 500 'is not pinned' as a plain no, without retrying", async () => {
      expect(await provider().has(rawCid(utf8("never added")))).to.equal(false);
      expect(calls("/api/v0/pin/ls")).to.have.length(1);
    });

    it("imports a CAR with every root pinned", async () => {
      const { car, roots } = await batchCar();
      const kubo = provider();
      await kubo.putCar(car, roots);
      expect(calls("/api/v0/dag/import")[0]?.query).to.deep.equal({ "pin-roots": "true" });
      for (const root of roots) expect(await kubo.has(root)).to.equal(true);
    });

    it("fails, not retryable, with Kubo's PinErrorMsg when a root cannot be pinned", async () => {
      const { file, roots } = await batchCar();
      // The file's root without its leaves: Kubo imports it but cannot pin the DAG.
      const rootBlock = file.blocks.find((b) => b.cid.equals(file.root));
      const car = encodeCar([file.root], rootBlock === undefined ? [] : [rootBlock]);
      const error = await rejection(provider().putCar(car, [roots[0] as string]));
      expect(error).to.be.instanceOf(ProviderError);
      expect((error as ProviderError).retryable).to.equal(false);
      expect((error as ProviderError).details).to.match(/could not find/);
      expect(calls("/api/v0/dag/import")).to.have.length(1);
    });

    it("refuses a CAR that does not declare the roots asked for, before sending it", async () => {
      const { car } = await batchCar();
      const error = await rejection(provider().putCar(car, [rawCid(utf8("not in the CAR"))]));
      expect(error).to.be.instanceOf(CarRootsError);
      expect(standin.requests).to.have.length(0);
    });

    it("refuses a string that is not a CID, before sending anything", async () => {
      expect(await rejection(provider().has("not-a-cid"))).to.be.instanceOf(InvalidCidError);
      expect(standin.requests).to.have.length(0);
    });
  });

  describe("when the node is busy or failing", () => {
    it("retries a 429 and succeeds on the third request", async () => {
      standin.inject({ status: 429, times: 2 }, "add");
      const bytes = utf8("rate limited");
      await provider().put(bytes, rawCid(bytes));
      expect(calls("/api/v0/add")).to.have.length(3);
      expect(standin.pins.has(rawCid(bytes))).to.equal(true);
    });

    it("gives up on a persistent 500 with a retryable ProviderError quoting Kubo's Message", async () => {
      standin.inject({ status: 500 });
      const bytes = utf8("node failing");
      const error = await rejection(provider().put(bytes, rawCid(bytes)));
      expect(error).to.be.instanceOf(ProviderError);
      expect((error as ProviderError).status).to.equal(500);
      expect((error as ProviderError).retryable).to.equal(true);
      expect((error as ProviderError).details).to.equal("injected failure");
      expect(calls("/api/v0/add")).to.have.length(RETRY.attempts);
    });

    it("gives up on a persistent 503 from a proxy in front of the node", async () => {
      standin.inject({ status: 503 }, "dag/import");
      const { car, roots } = await batchCar();
      const error = await rejection(provider().putCar(car, roots));
      expect((error as ProviderError).status).to.equal(503);
      expect((error as ProviderError).retryable).to.equal(true);
      expect(calls("/api/v0/dag/import")).to.have.length(RETRY.attempts);
    });

    it("times out each attempt of a request that gets no answer", async () => {
      standin.inject({ hang: true }, "pin/ls");
      const error = await rejection(provider().has(rawCid(utf8("x"))));
      expect(error).to.be.instanceOf(ProviderError);
      expect(error.message).to.match(/no answer within 200 ms/);
      expect((error as ProviderError).retryable).to.equal(true);
      expect(calls("/api/v0/pin/ls")).to.have.length(RETRY.attempts);
    });

    it("stops when the caller aborts", async () => {
      standin.inject({ hang: true });
      const controller = new AbortController();
      // Attempts never time out here, and the abort comes once the request has arrived: only the abort ends it.
      const patient = createKuboProvider({ url: standin.url, retry: { ...RETRY, timeoutMs: 600_000 } });
      const pending = patient.has(rawCid(utf8("x")), { signal: controller.signal });
      while (standin.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      controller.abort(new Error("caller gave up"));
      expect((await rejection(pending)).message).to.equal("caller gave up");
      expect(standin.requests).to.have.length(1);
    });
  });

  describe("when the node reports another CID", () => {
    it("fails add with CidMismatchError, once", async () => {
      standin.inject({ lie: true }, "add");
      const bytes = utf8("honest bytes");
      const error = await rejection(provider().put(bytes, rawCid(bytes)));
      expect(error).to.be.instanceOf(CidMismatchError);
      expect((error as CidMismatchError).expected).to.equal(rawCid(bytes));
      expect((error as CidMismatchError).retryable).to.equal(false);
      expect(calls("/api/v0/add")).to.have.length(1);
    });

    it("fails dag/import with CidMismatchError", async () => {
      standin.inject({ lie: true }, "dag/import");
      const { car, roots } = await batchCar();
      expect(await rejection(provider().putCar(car, roots))).to.be.instanceOf(CidMismatchError);
    });
  });

  describe("behind Filebase's Bearer token", () => {
    let filebase: KuboStandin;
    beforeEach(async () => {
      filebase = await startKuboStandin({ auth: `Bearer ${FILEBASE_KEY}` });
    });
    afterEach(async () => {
      await filebase.close();
    });

    it("sends the bucket token and works", async () => {
      const options = filebaseFromEnv({ FILEBASE_API_KEY: FILEBASE_KEY, FILEBASE_RPC_URL: filebase.url });
      const store = createKuboProvider({ ...options, retry: RETRY });
      expect(store.name).to.equal("filebase");
      const bytes = utf8("on filebase");
      await store.put(bytes, rawCid(bytes));
      expect(await store.has(rawCid(bytes))).to.equal(true);
      expect(filebase.requests.every((r) => r.authorization === `Bearer ${FILEBASE_KEY}`)).to.equal(true);
    });

    it("fails at once, not retryable, when the token is refused, without repeating it", async () => {
      const wrong = "d3JvbmctdG9rZW4td3JvbmctdG9rZW4";
      const store = createKuboProvider({
        ...filebaseFromEnv({ FILEBASE_API_KEY: wrong, FILEBASE_RPC_URL: filebase.url }),
        retry: RETRY,
      });
      const bytes = utf8("refused");
      const error = await rejection(store.put(bytes, rawCid(bytes)));
      expect((error as ProviderError).status).to.equal(401);
      expect((error as ProviderError).retryable).to.equal(false);
      expect(error.message).to.not.include(wrong);
      expect(filebase.requests).to.have.length(1);
    });

    it("redacts the token when a server quotes it back", async () => {
      filebase.inject({ status: 500, body: `{"Message":"bad header Bearer ${FILEBASE_KEY}","Code":0,"Type":"error"}` });
      const store = createKuboProvider({ url: filebase.url, auth: `Bearer ${FILEBASE_KEY}`, retry: RETRY });
      const error = await rejection(store.has(rawCid(utf8("x"))));
      expect(error.message).to.include("[redacted]");
      expect(error.message).to.not.include(FILEBASE_KEY);
    });
  });

  describe("configuration from the environment", () => {
    it("names KUBO_RPC_URL and FILEBASE_API_KEY when they are missing", () => {
      const kubo = thrown(() => kuboFromEnv({}));
      expect(kubo).to.be.instanceOf(ProviderConfigError);
      expect((kubo as ProviderConfigError).variable).to.equal("KUBO_RPC_URL");
      expect(kubo.message).to.include("KUBO_RPC_URL");
      const filebase = thrown(() => filebaseFromEnv({ FILEBASE_RPC_URL: "https://rpc.example" }));
      expect((filebase as ProviderConfigError).variable).to.equal("FILEBASE_API_KEY");
      expect(filebase.message).to.include("FILEBASE_API_KEY");
    });

    it("defaults Filebase to its documented endpoint and reads Kubo's optional auth", () => {
      expect(filebaseFromEnv({ FILEBASE_API_KEY: FILEBASE_KEY })).to.deep.equal({
        url: FILEBASE_RPC_URL,
        auth: `Bearer ${FILEBASE_KEY}`,
        name: "filebase",
      });
      expect(kuboFromEnv({ KUBO_RPC_URL: "http://127.0.0.1:5001/", KUBO_RPC_AUTH: "Basic dTpw" })).to.deep.equal({
        url: "http://127.0.0.1:5001",
        auth: "Basic dTpw",
        name: "kubo",
      });
    });

    it("rejects credentials inside KUBO_RPC_URL without quoting them", () => {
      const error = thrown(() => kuboFromEnv({ KUBO_RPC_URL: "https://admin:s3cret-pass@kubo.example" }));
      expect((error as ProviderConfigError).variable).to.equal("KUBO_RPC_URL");
      expect(error.message).to.include("KUBO_RPC_AUTH");
      expect(error.message).to.not.include("s3cret-pass");
    });
  });
});
