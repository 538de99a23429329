import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { rawCid } from "../../src/evidence/cid.ts";
import { IncompleteBatchError, storeBatch, storeObject } from "../../src/storage/batch.ts";
import { ContentTooLargeError, ProviderError } from "../../src/storage/errors.ts";
import { MAX_CHAINSCRIPT_BYTES, MAX_PACKET_BYTES } from "../../src/storage/limits.ts";
import { LocalStore } from "../../src/storage/local.ts";
import type { ContentProvider } from "../../src/storage/provider.ts";
import { QuorumError } from "../../src/storage/replicate.ts";
import { threeStageRun } from "../helpers/run.ts";

/** A real local store behind a switch that makes its next writes fail. */
class FlakyStore implements ContentProvider {
  readonly name: string;
  readonly store: LocalStore;
  failures: number;
  retryable: boolean;
  calls = 0;

  constructor(name: string, dir: string, failures = 0, retryable = true) {
    this.name = name;
    this.store = new LocalStore(join(dir, name));
    this.failures = failures;
    this.retryable = retryable;
  }

  #fail(): void {
    this.calls += 1;
    if (this.failures > 0) {
      this.failures -= 1;
      throw new ProviderError(this.name, "HTTP 503", { status: 503, retryable: this.retryable });
    }
  }

  async put(bytes: Uint8Array, cid: string) {
    this.#fail();
    await this.store.put(bytes, cid);
  }

  async putCar(car: Uint8Array, roots: readonly string[]) {
    this.#fail();
    await this.store.putCar(car, roots);
  }

  has(cid: string) {
    return this.store.has(cid);
  }
}

const fast = { attempts: 4, baseDelayMs: 5 };

describe("replication to several providers", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-replicate-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("stores a batch's packets and chainscript as one CAR, every CID confirmed on every provider", async () => {
    const { built, packets } = await threeStageRun();
    const providers = [new FlakyStore("a", dir), new FlakyStore("b", dir)];
    const result = await storeBatch(
      providers,
      { packets: packets.map((p) => p.bytes), chainscript: built.bytes },
      fast,
    );
    expect(result.stored).to.equal(true);
    expect(result.chainscriptCid).to.equal(built.cid);
    expect(result.packetCids).to.deep.equal(packets.map((p) => rawCid(p.bytes)));
    for (const provider of providers) {
      for (const cid of [result.chainscriptCid, ...result.packetCids])
        expect(await provider.has(cid), `${provider.name} ${cid}`).to.equal(true);
    }
    expect(result.statuses.map((s) => s.state)).to.deep.equal(["confirmed", "confirmed"]);
  });

  it("refuses a batch whose chainscript lists a packet it does not hold", async () => {
    const { built, packets } = await threeStageRun();
    const error = await storeBatch([new FlakyStore("a", dir)], {
      packets: packets.slice(1).map((p) => p.bytes),
      chainscript: built.bytes,
    }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(IncompleteBatchError);
    expect((error as Error).message).to.include(rawCid((packets[0] as { bytes: Uint8Array }).bytes));
  });

  it("refuses a batch with a packet or chainscript over its retrieval limit, before any upload", async () => {
    const { built, packets } = await threeStageRun();
    const provider = new FlakyStore("a", dir);
    const bytes = packets.map((p) => p.bytes);
    const bigPacket = await storeBatch([provider], {
      packets: [...bytes, new Uint8Array(MAX_PACKET_BYTES + 1)],
      chainscript: built.bytes,
    }).catch((e: unknown) => e);
    expect(bigPacket).to.be.instanceOf(ContentTooLargeError);
    expect((bigPacket as Error).message).to.equal(
      "Packet 3 of the batch is larger than the limit of 256 KiB (262,145 bytes).",
    );
    const bigChain = await storeBatch([provider], {
      packets: bytes,
      chainscript: new Uint8Array(MAX_CHAINSCRIPT_BYTES + 1),
    }).catch((e: unknown) => e);
    expect(bigChain).to.be.instanceOf(ContentTooLargeError);
    expect(provider.calls).to.equal(0);
  });

  it("retries a provider that failed for a while and reports each provider's attempts", async () => {
    const flaky = new FlakyStore("flaky", dir, 2);
    const result = await storeObject([new FlakyStore("steady", dir), flaky], Buffer.from("evidence"), fast);
    expect(result.stored).to.equal(true);
    expect(result.statuses).to.deep.include({ provider: "flaky", state: "confirmed", attempts: 3 });
  });

  it("succeeds at a quorum of 1 and keeps retrying the failing provider in the background", async () => {
    const down = new FlakyStore("down", dir, 3);
    const result = await storeObject([new FlakyStore("up", dir), down], Buffer.from("evidence"), {
      ...fast,
      quorum: 1,
    });
    expect(result.stored).to.equal(true);
    expect(result.statuses.find((s) => s.provider === "down")?.state).to.equal("pending");
    const settled = await result.settled;
    expect(settled.find((s) => s.provider === "down")).to.deep.include({ state: "confirmed", attempts: 4 });
    expect(await down.has(result.cid)).to.equal(true);
  });

  it("reports the quorum as not met when too many providers fail", async () => {
    const result = await storeObject(
      [new FlakyStore("up", dir), new FlakyStore("down", dir, 99)],
      Buffer.from("x"),
      fast,
    );
    expect(result.stored).to.equal(false);
    expect(result.statuses.find((s) => s.provider === "down")).to.deep.include({ state: "failed", attempts: 4 });
  });

  it("gives up at once on a provider whose error is not retryable", async () => {
    const refused = new FlakyStore("refused", dir, 99, false);
    const result = await storeObject([refused], Buffer.from("x"), fast);
    expect(result.stored).to.equal(false);
    expect(refused.calls).to.equal(1);
  });

  it("rejects a quorum no set of providers can meet", async () => {
    const error = await storeObject([new FlakyStore("a", dir)], Buffer.from("x"), { quorum: 2 }).catch(
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(QuorumError);
  });
});
