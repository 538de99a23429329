import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import * as Digest from "multiformats/hashes/digest";
import { rawCid } from "../../src/evidence/cid.ts";
import { encodeCar } from "../../src/storage/car.ts";
import { ContentTooLargeError, InvalidCidError } from "../../src/storage/errors.ts";
import { MAX_PACKET_BYTES } from "../../src/storage/limits.ts";
import { createKuboProvider } from "../../src/storage/providers/kubo.ts";
import { PACKET_CONTENT, RetrievalError, retrieve } from "../../src/storage/retrieve.ts";
import { fileBlocks } from "../../src/storage/unixfs.ts";
import { rejection } from "../helpers/rejection.ts";
import { fileNode, rawLeaf, sharedLinkBomb } from "./standins/dagBuilder.ts";
import { ENDLESS_CAP, type HostileAnswer, type HostileServer, startHostileServer } from "./standins/hostileServer.ts";
import { measureGrowth } from "./standins/memory.ts";

const MiB = 1024 * 1024;
/**
 * What a bounded fetch may grow buffer memory by: the largest budget here (a
 * 16 MiB chainscript's CAR, 19 MiB) and undici's socket buffers not yet
 * collected, which measured up to 56 MiB. Half of ENDLESS_CAP: reading an
 * endless answer whole holds all 256 MiB of it.
 */
const MEMORY_BOUND = ENDLESS_CAP / 2;
/** What the server may have handed to the socket once the client stopped reading: the budget and the kernel's buffers. */
const SENT_BOUND = 64 * MiB;
/** One attempt; a timeout far above any loopback transfer, so the limits, not the clock, end each fetch. */
const RETRY = { attempts: 1, baseDelayMs: 5, timeoutMs: 60_000 };

const CAR_TYPE = { "Content-Type": "application/vnd.ipld.car" };

describe("retrieval from a hostile gateway (memory stays flat)", () => {
  let server: HostileServer | undefined;
  let fileCid: string;
  before(async () => {
    fileCid = (await fileBlocks(randomBytes(300_000))).root.toString();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** Runs `retrieve` against a server answering every request with `answer`; returns its outcome and what it cost. */
  async function against(answer: HostileAnswer, cid: string, expectation = {}) {
    server = await startHostileServer(() => answer);
    const gateways = [server.url];
    const { error, growth } = await measureGrowth(() => retrieve(cid, { gateways, retry: RETRY, ...expectation }));
    expect(error).to.be.instanceOf(RetrievalError);
    const [outcome] = (error as RetrievalError).outcomes;
    expect(growth.arrayBuffers, "buffer memory grew by").to.be.lessThan(MEMORY_BOUND);
    expect(server.sent(), "bytes the server got to send").to.be.lessThan(SENT_BOUND);
    return { outcome };
  }

  it("cuts off an endless chunked CAR at the budget, with ContentTooLargeError", async () => {
    const { outcome } = await against({ status: 200, headers: CAR_TYPE, body: "endless", chunked: true }, fileCid);
    expect(outcome?.outcome).to.equal("refused");
    // 19 MiB: 16 MiB of content, 1/16 for DAG nodes and section headers, one block of slack (carByteBudget).
    expect(outcome?.detail).to.match(
      /^The answer of http:\/\/127\.0\.0\.1:\d+ for \/ipfs\/bafy\w+\?format=car is larger than the limit of 19 MiB\.$/,
    );
  });

  it("refuses a Content-Length of 10 GiB before reading the body", async () => {
    const answer = {
      status: 200,
      headers: { ...CAR_TYPE, "Content-Length": String(10 * 1024 * MiB) },
      body: "endless",
    } as const;
    const { outcome } = await against(answer, fileCid);
    expect(outcome?.outcome).to.equal("refused");
    expect(outcome?.detail).to.match(/is larger than the limit of 19 MiB \(10 GiB\)\.$/);
  });

  it("reads a Content-Length that lies low as said, never the endless rest", async () => {
    const answer = { status: 200, headers: { "Content-Length": "1000" }, body: "endless" } as const;
    const { outcome } = await against(answer, rawCid(randomBytes(1000)));
    expect(outcome?.outcome).to.equal("tampered");
  });

  it("reports a body that breaks off before its Content-Length as failed, with the bytes it got", async () => {
    const answer = { status: 200, headers: { "Content-Length": "100000" }, body: randomBytes(10) };
    const { outcome } = await against(answer, rawCid(randomBytes(10)));
    expect(outcome?.outcome).to.equal("failed");
    expect(outcome?.detail).to.match(/^http:\S+: the answer broke off after 10 bytes \(/);
  });

  it("cuts off a raw block that never ends (no length, closed by the connection) at 2 MiB", async () => {
    const { outcome } = await against({ status: 200, body: "endless" }, rawCid(randomBytes(10)));
    expect(outcome?.outcome).to.equal("refused");
    expect(outcome?.detail).to.match(/format=raw is larger than the limit of 2 MiB\.$/);
  });

  it("quotes 4 KiB of an error answer that never ends, and reads nothing more", async () => {
    const failed = await against({ status: 503, body: "endless", chunked: true }, fileCid);
    expect(failed.outcome?.outcome).to.equal("failed");
    expect(failed.outcome?.detail).to.include("HTTP 503");
    await server?.close();
    const missing = await against({ status: 404, body: "endless", chunked: true }, fileCid);
    expect(missing.outcome?.outcome).to.equal("not-found");
  });

  describe("when the CAR is a DAG bomb", () => {
    it("refuses 280 KiB of blocks that declare 1.3 TB, before assembling anything", async () => {
      const bomb = sharedLinkBomb(randomBytes(256 * 1024), 174, 3);
      const car = encodeCar([bomb.root], bomb.blocks);
      expect(car.length).to.be.lessThan(300 * 1024);
      const answer = { status: 200, headers: { ...CAR_TYPE, "Content-Length": String(car.length) }, body: car };
      const { outcome } = await against(answer, bomb.root.toString());
      expect(outcome?.outcome).to.equal("refused");
      expect(outcome?.detail).to.match(/^The file under bafy\w+ from http:\S+ is larger than the limit of 16 MiB/);
    });

    it("refuses a DAG whose sizes lie small, where assembling would outgrow what the root declared", async () => {
      const leaf = rawLeaf(randomBytes(100 * 1024));
      // Each of the 174 links says 1 byte and holds 100 KiB: 174 B declared, 17 MB if believed.
      const root = fileNode(Array(174).fill(leaf.cid), { blocksizes: Array(174).fill(1), filesize: 174 });
      const car = encodeCar([root.cid], [root, leaf]);
      const { outcome } = await against({ status: 200, headers: CAR_TYPE, body: car }, root.cid.toString());
      expect(outcome?.outcome).to.equal("refused");
      expect(outcome?.detail).to.include(
        `declares 1 bytes under link 0 of ${root.cid}, whose block ${leaf.cid} holds 102400`,
      );
    });
  });

  describe("when the CID must be a packet's", () => {
    it("refuses a dag-pb CID, a sha2-512 CID and a CIDv0 before any request", async () => {
      server = await startHostileServer(() => ({ status: 200, body: "endless", chunked: true }));
      const sha512 = CID.createV1(raw.code, Digest.create(0x13, randomBytes(64))).toString();
      const v0 = CID.createV0(Digest.create(0x12, randomBytes(32))).toString();
      for (const cid of [fileCid, sha512, v0]) {
        const error = await rejection(retrieve(cid, { gateways: [server.url], retry: RETRY, ...PACKET_CONTENT }));
        expect(error, cid).to.be.instanceOf(InvalidCidError);
        expect(error.message).to.match(
          /is not a CIDv1 raw \(0x55\) sha2-256 CID, as a packet CID must be \(it is CIDv[01], codec 0x(55|70), multihash 0x1[23]\)\.$/,
        );
      }
      expect(server.requests).to.deep.equal([]);
    });

    it("refuses a raw block over MAX_PACKET_BYTES", async () => {
      const big = randomBytes(MAX_PACKET_BYTES + 1);
      const { outcome } = await against({ status: 200, body: big }, rawCid(big), PACKET_CONTENT);
      expect(outcome?.outcome).to.equal("refused");
      expect(outcome?.detail).to.match(/is larger than the limit of 256 KiB\.$/);
    });
  });

  it("stops reading a storage provider's answer that never ends, and does not retry it", async () => {
    server = await startHostileServer(() => ({ status: 200, body: "endless", chunked: true }));
    const kubo = createKuboProvider({ url: server.url, retry: { ...RETRY, attempts: 3 } });
    const { error, growth } = await measureGrowth(() => kubo.has(fileCid));
    expect(error).to.be.instanceOf(ContentTooLargeError);
    expect((error as Error).message).to.equal("The answer of kubo to pin/ls is larger than the limit of 16 MiB.");
    expect(server.requests).to.have.length(1);
    expect(growth.arrayBuffers).to.be.lessThan(MEMORY_BOUND);
    expect(server.sent()).to.be.lessThan(SENT_BOUND).and.lessThan(ENDLESS_CAP);
  });
});
