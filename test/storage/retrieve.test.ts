import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import * as Digest from "multiformats/hashes/digest";
import { rawCid } from "../../src/evidence/cid.ts";
import { encodeCar } from "../../src/storage/car.ts";
import { ContentTooLargeError, InvalidCidError } from "../../src/storage/errors.ts";
import { FsBlockstore } from "../../src/storage/fsBlockstore.ts";
import { type GatewayServer, startGateway } from "../../src/storage/gateway.ts";
import { LocalStore } from "../../src/storage/local.ts";
import { RetrievalError, retrieve } from "../../src/storage/retrieve.ts";
import { fileBlocks } from "../../src/storage/unixfs.ts";

const FAST = { attempts: 1, baseDelayMs: 5, timeoutMs: 500 };

/** A gateway that answers every request with `answer` (status and body). */
async function fakeGateway(answer: (path: string) => { status: number; body: Uint8Array } | "hang") {
  const server: Server = createServer((request, response) => {
    const reply = answer(request.url ?? "");
    if (reply === "hang") return; // never answers
    response.writeHead(reply.status).end(reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("retrieve (verified, racing gateways)", () => {
  let dir: string;
  let store: LocalStore;
  let good: GatewayServer;
  const closers: (() => Promise<void>)[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-retrieve-"));
    store = new LocalStore(join(dir, "store"));
    good = await startGateway(store);
    closers.push(good.close);
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await rm(dir, { recursive: true, force: true });
  });

  it("returns verified bytes and reports a gateway that served other bytes as tampered", async () => {
    const bytes = randomBytes(600);
    const cid = await store.add(bytes);
    const liar = await fakeGateway(() => ({ status: 200, body: randomBytes(600) }));
    closers.push(liar.close);
    const result = await retrieve(cid, { gateways: [liar.url, good.url], retry: FAST });
    expect(Buffer.from(result.bytes).equals(bytes)).to.equal(true);
    expect(result.source).to.equal(good.url);
    expect(result.outcomes).to.deep.include({ gateway: good.url, outcome: "verified" });
    expect(result.outcomes.find((o) => o.gateway === liar.url)?.outcome).to.be.oneOf(["tampered", "cancelled"]);
  });

  it("never trusts a lying gateway: alone, it fails the retrieval as tampered", async () => {
    const cid = await store.add(randomBytes(600));
    const liar = await fakeGateway(() => ({ status: 200, body: randomBytes(600) }));
    closers.push(liar.close);
    const error = await retrieve(cid, { gateways: [liar.url], retry: FAST }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(RetrievalError);
    expect((error as RetrievalError).outcomes).to.deep.equal([
      { gateway: liar.url, outcome: "tampered", detail: (error as RetrievalError).outcomes[0]?.detail },
    ]);
  });

  it("verifies every block of a CAR: one tampered leaf is caught", async () => {
    const bytes = randomBytes(700_000);
    const cid = await store.add(bytes);
    const { root, blocks } = await fileBlocks(bytes);
    const forged = blocks.map((b, i) => (i === 1 ? { cid: b.cid, bytes: randomBytes(b.bytes.length) } : b));
    const car = encodeCar([root], forged);
    const liar = await fakeGateway(() => ({ status: 200, body: car }));
    closers.push(liar.close);
    const alone = await retrieve(cid, { gateways: [liar.url], retry: FAST }).catch((e: unknown) => e);
    expect((alone as RetrievalError).outcomes[0]?.outcome).to.equal("tampered");
    const withGood = await retrieve(cid, { gateways: [liar.url, good.url], retry: FAST });
    expect(Buffer.from(withGood.bytes).equals(bytes)).to.equal(true);
  });

  it("falls back past gateways that time out or do not have the content", async () => {
    const bytes = randomBytes(600);
    const cid = await store.add(bytes);
    const hanging = await fakeGateway(() => "hang");
    const empty = await fakeGateway(() => ({ status: 404, body: new Uint8Array() }));
    closers.push(hanging.close, empty.close);
    const result = await retrieve(cid, { gateways: [hanging.url, empty.url, good.url], retry: FAST });
    expect(result.source).to.equal(good.url);
    const missing = await retrieve(rawCid(randomBytes(4)), { gateways: [empty.url], retry: FAST }).catch(
      (e: unknown) => e,
    );
    expect((missing as RetrievalError).outcomes.map((o) => o.outcome)).to.deep.equal(["not-found"]);
  });

  it("refuses, before any request, a CID no content can be verified or assembled under", async () => {
    let requests = 0;
    const counting = await fakeGateway(() => {
      requests += 1;
      return { status: 200, body: new Uint8Array(1) };
    });
    closers.push(counting.close);
    const identity = CID.createV1(raw.code, Digest.create(0x00, Uint8Array.of(1, 2, 3))).toString();
    const dagCbor = CID.createV1(0x71, Digest.create(0x12, randomBytes(32))).toString();
    const refusals = [
      [identity, `${identity} has multihash 0x0, and only sha2-256 content can be verified.`],
      [dagCbor, `${dagCbor} has codec 0x71, and only raw blocks and UnixFS (dag-pb) files can be retrieved.`],
    ];
    for (const [cid, sentence] of refusals) {
      const error = await retrieve(cid as string, { gateways: [counting.url], retry: FAST }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(InvalidCidError);
      expect((error as Error).message).to.equal(sentence);
    }
    expect(requests).to.equal(0);
  });

  it("holds content to maxBytes, from a gateway and from the cache alike", async () => {
    const bytes = randomBytes(700_000);
    const cid = await store.add(bytes);
    const cache = new FsBlockstore(join(dir, "cache"));
    const refused = await retrieve(cid, { gateways: [good.url], cache, retry: FAST, maxBytes: 699_999 }).catch(
      (e: unknown) => e,
    );
    expect((refused as RetrievalError).outcomes.map((o) => o.outcome)).to.deep.equal(["refused"]);
    await retrieve(cid, { gateways: [good.url], cache, retry: FAST, maxBytes: 700_000 });
    const cached = await retrieve(cid, { gateways: [], cache, maxBytes: 699_999 }).catch((e: unknown) => e);
    expect(cached).to.be.instanceOf(ContentTooLargeError);
    expect((cached as Error).message).to.match(
      /^The file under bafy\w+ from the cache is larger than the limit of 699,999 bytes/,
    );
  });

  it("serves a second request from the verified cache, and keeps the cache under its size bound", async () => {
    const cache = new FsBlockstore(join(dir, "cache"), { maxBytes: 2_000 });
    const first = randomBytes(600);
    const cid = await store.add(first);
    expect((await retrieve(cid, { gateways: [good.url], cache, retry: FAST })).source).to.equal(good.url);
    expect((await retrieve(cid, { gateways: [], cache, retry: FAST })).source).to.equal("cache");
    // Four more objects of 600 bytes: the oldest are evicted to stay within 2,000 bytes.
    for (let i = 0; i < 4; i++)
      await retrieve(await store.add(randomBytes(600)), { gateways: [good.url], cache, retry: FAST });
    const evicted = await retrieve(cid, { gateways: [], cache, retry: FAST }).catch((e: unknown) => e);
    expect(evicted).to.be.instanceOf(RetrievalError);
  });
});
