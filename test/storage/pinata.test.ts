import { expect } from "chai";
import { CID } from "multiformats/cid";
import { contentCid, rawCid, UNIXFS_CHUNK_SIZE } from "../../src/evidence/cid.ts";
import { encodeCar } from "../../src/storage/car.ts";
import { CidMismatchError, ProviderError } from "../../src/storage/errors.ts";
import type { RetryPolicy } from "../../src/storage/http.ts";
import { ProviderConfigError, pinataFromEnv } from "../../src/storage/providers/env.ts";
import { createPinataProvider } from "../../src/storage/providers/pinata.ts";
import { IncompleteDagError } from "../../src/storage/providers/splitCar.ts";
import { fileBlocks } from "../../src/storage/unixfs.ts";
import { rejection } from "../helpers/rejection.ts";
import { type PinataStandin, startPinataStandin } from "./standins/pinataStandin.ts";

const JWT = "eyJhbGciOiJIUzI1NiJ9.c3RhbmQtaW4tc2VjcmV0.pinata-test-signature";
const RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 5, timeoutMs: 200 };
const utf8 = (text: string) => new TextEncoder().encode(text);

/** A CAR of `bytes` as a UnixFS file, its root the file's CID. */
async function carOf(bytes: Uint8Array): Promise<{ car: Uint8Array; root: string }> {
  const { root, blocks } = await fileBlocks(bytes);
  return { car: encodeCar([root], blocks), root: root.toString() };
}

describe("the Pinata provider", () => {
  let standin: PinataStandin;
  const provider = (jwt = JWT) =>
    createPinataProvider({ jwt, uploadUrl: standin.url, endpointUrl: standin.url, retry: RETRY });
  const uploads = () => standin.requests.filter((r) => r.path === "/v3/files");

  beforeEach(async () => {
    standin = await startPinataStandin({ jwt: JWT });
  });
  afterEach(async () => {
    await standin.close();
  });

  describe("when Pinata answers", () => {
    it("uploads one object publicly as CIDv1 and then finds it by CID", async () => {
      const bytes = utf8("packet bytes");
      const cid = await contentCid(bytes);
      const pinata = provider();
      await pinata.put(bytes, cid);
      expect(uploads()).to.have.length(1);
      expect(uploads()[0]?.fields).to.include({ network: "public", cid_version: "v1", name: cid });
      expect(uploads()[0]?.authorization).to.equal(`Bearer ${JWT}`);
      expect(await pinata.has(cid)).to.equal(true);
      expect(await pinata.has(rawCid(utf8("never stored")))).to.equal(false);
      const list = standin.requests.find((r) => r.path === "/v3/files/public");
      expect(list?.query.cid).to.equal(cid);
    });

    it("sends content larger than one chunk as a CAR of the local DAG, so the CID is ours", async () => {
      const bytes = new Uint8Array(UNIXFS_CHUNK_SIZE * 2 + 17).map((_, i) => (i * 31) % 251);
      const cid = await contentCid(bytes);
      await provider().put(bytes, cid);
      expect(uploads()[0]?.fields).to.include({ car: "true", network: "public" });
      expect(standin.files.has(cid)).to.equal(true);
    });

    it("uploads a CAR as a CAR and checks the root Pinata reports", async () => {
      const { car, root } = await carOf(utf8("a chainscript"));
      const pinata = provider();
      await pinata.putCar(car, [root]);
      expect(uploads()[0]?.fields).to.include({ car: "true" });
      expect(await pinata.has(root)).to.equal(true);
    });

    it("uploads a CAR with several roots as one CAR per root, so each reported CID is checked", async () => {
      const packets = [utf8("packet a"), utf8("packet b")].map((bytes) => ({ cid: CID.parse(rawCid(bytes)), bytes }));
      const file = await fileBlocks(new Uint8Array(UNIXFS_CHUNK_SIZE + 9).fill(3));
      const roots = [file.root, ...packets.map((p) => p.cid)];
      const car = encodeCar(roots, [...file.blocks, ...packets]);
      const pinata = provider();
      await pinata.putCar(car, roots.map(String));
      expect(uploads()).to.have.length(3);
      for (const root of roots) expect(await pinata.has(root.toString())).to.equal(true);
    });

    it("refuses, before uploading anything, a CAR missing blocks of one of its roots", async () => {
      const file = await fileBlocks(new Uint8Array(UNIXFS_CHUNK_SIZE + 9).fill(3));
      const packet = utf8("packet a");
      const packetCid = CID.parse(rawCid(packet));
      const rootOnly = file.blocks.filter((b) => b.cid.equals(file.root));
      const car = encodeCar([packetCid, file.root], [{ cid: packetCid, bytes: packet }, ...rootOnly]);
      const error = await rejection(provider().putCar(car, [packetCid.toString(), file.root.toString()]));
      expect(error).to.be.instanceOf(IncompleteDagError);
      expect(error).to.have.property("retryable", false);
      expect(uploads()).to.have.length(0);
    });
  });

  describe("when Pinata is busy or failing", () => {
    it("retries a 429 and succeeds on the third request", async () => {
      standin.inject({ status: 429, times: 2 }, "upload");
      const bytes = utf8("rate limited");
      await provider().put(bytes, rawCid(bytes));
      expect(uploads()).to.have.length(3);
      expect(standin.files.has(rawCid(bytes))).to.equal(true);
    });

    for (const status of [500, 503]) {
      it(`gives up on a persistent ${status} with a retryable ProviderError carrying the status`, async () => {
        standin.inject({ status });
        const bytes = utf8("server down");
        const error = await rejection(provider().put(bytes, rawCid(bytes)));
        expect(error).to.be.instanceOf(ProviderError);
        expect((error as ProviderError).status).to.equal(status);
        expect((error as ProviderError).retryable).to.equal(true);
        expect(uploads()).to.have.length(RETRY.attempts);
      });
    }

    it("times out each attempt of a request that gets no answer", async () => {
      standin.inject({ hang: true }, "list");
      // The message proves each attempt's timer fired; a request that hung would hit mocha's timeout instead.
      const error = await rejection(provider().has(rawCid(utf8("x"))));
      expect(error).to.be.instanceOf(ProviderError);
      expect(error.message).to.match(/no answer within 200 ms/);
      expect((error as ProviderError).retryable).to.equal(true);
      expect(standin.requests).to.have.length(RETRY.attempts);
    });
  });

  describe("when Pinata reports another CID", () => {
    it("fails put with CidMismatchError, once, not retryable", async () => {
      standin.inject({ lie: true }, "upload");
      const bytes = utf8("honest bytes");
      const error = await rejection(provider().put(bytes, rawCid(bytes)));
      expect(error).to.be.instanceOf(CidMismatchError);
      expect((error as CidMismatchError).expected).to.equal(rawCid(bytes));
      expect((error as CidMismatchError).actual).to.not.equal(rawCid(bytes));
      expect((error as CidMismatchError).retryable).to.equal(false);
      expect(uploads()).to.have.length(1);
    });

    it("fails putCar with CidMismatchError", async () => {
      standin.inject({ lie: true }, "upload");
      const { car, root } = await carOf(utf8("a chainscript"));
      const error = await rejection(provider().putCar(car, [root]));
      expect(error).to.be.instanceOf(CidMismatchError);
    });

    it("does not upload bytes whose CID is not the one given", async () => {
      const error = await rejection(provider().put(utf8("these"), rawCid(utf8("other"))));
      expect(error).to.be.instanceOf(CidMismatchError);
      expect(uploads()).to.have.length(0);
    });
  });

  describe("when the credentials are refused", () => {
    it("fails at once with a ProviderError that is not retryable", async () => {
      const wrong = "eyJhbGciOiJIUzI1NiJ9.d3Jvbmc.wrong-signature";
      const bytes = utf8("unauthorised");
      const error = await rejection(provider(wrong).put(bytes, rawCid(bytes)));
      expect(error).to.be.instanceOf(ProviderError);
      expect((error as ProviderError).status).to.equal(401);
      expect((error as ProviderError).retryable).to.equal(false);
      expect(error.message).to.not.include(wrong);
      expect(uploads()).to.have.length(1);
    });

    it("treats 403 the same way", async () => {
      standin.inject({ status: 403 }, "list");
      const error = await rejection(provider().has(rawCid(utf8("x"))));
      expect((error as ProviderError).status).to.equal(403);
      expect((error as ProviderError).retryable).to.equal(false);
      expect(standin.requests).to.have.length(1);
    });

    it("never repeats the JWT, even when the server quotes it back", async () => {
      standin.inject({ status: 500, body: `{"error":{"reason":"BAD","details":"token ${JWT} rejected"}}` });
      const error = await rejection(provider().has(rawCid(utf8("x"))));
      expect(error.message).to.include("[redacted]");
      expect(error.message).to.not.include(JWT);
      expect(JSON.stringify(error)).to.not.include(JWT);
    });
  });

  describe("pinataFromEnv", () => {
    it("names PINATA_JWT when it is missing or empty", () => {
      for (const env of [{}, { PINATA_JWT: "  " }]) {
        const error = (() => {
          try {
            pinataFromEnv(env);
          } catch (e) {
            return e as ProviderConfigError;
          }
          throw new Error("expected a ProviderConfigError");
        })();
        expect(error).to.be.instanceOf(ProviderConfigError);
        expect(error.variable).to.equal("PINATA_JWT");
        expect(error.message).to.include("PINATA_JWT");
      }
    });

    it("reads the JWT and the optional URLs, and names a bad URL without quoting it", () => {
      expect(pinataFromEnv({ PINATA_JWT: JWT })).to.deep.equal({ jwt: JWT });
      expect(
        pinataFromEnv({
          PINATA_JWT: JWT,
          PINATA_UPLOAD_URL: "http://127.0.0.1:1/v3/",
          PINATA_API_URL: "http://127.0.0.1:2/v3",
          PINATA_GATEWAY_URL: "example.mypinata.cloud",
        }),
      ).to.deep.equal({
        jwt: JWT,
        uploadUrl: "http://127.0.0.1:1/v3",
        endpointUrl: "http://127.0.0.1:2/v3",
        gatewayUrl: "example.mypinata.cloud",
      });
      expect(() => pinataFromEnv({ PINATA_JWT: JWT, PINATA_API_URL: `https://user:${JWT}@api.example` }))
        .to.throw(ProviderConfigError, "PINATA_API_URL")
        .with.property("message")
        .that.does.not.include(JWT);
    });

    it("gives options that work against the stand-in", async () => {
      const pinata = createPinataProvider({
        ...pinataFromEnv({ PINATA_JWT: JWT, PINATA_UPLOAD_URL: standin.url, PINATA_API_URL: standin.url }),
        retry: RETRY,
      });
      const bytes = utf8("from the environment");
      await pinata.put(bytes, rawCid(bytes));
      expect(await pinata.has(rawCid(bytes))).to.equal(true);
    });
  });
});
