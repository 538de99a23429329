import { expect } from "chai";
import type { Chainscript } from "../../src/chainscript/chainscript.ts";
import { jcs } from "../../src/chainscript/jcs.ts";
import { type ChainVerificationReport, type KeyResolver, verifyChainscript } from "../../src/chainscript/verify.ts";
import { RFC8032_PUBLIC_1 } from "../helpers/fixtures.ts";
import { type Run, threeStageRun } from "../helpers/run.ts";

const key = Buffer.from(RFC8032_PUBLIC_1, "hex");
const onlyKey: KeyResolver = (keyId) => (keyId === "studio-key-2026" ? key : undefined);
const check = (report: ChainVerificationReport, id: string) => report.checks.find((c) => c.id === id);

describe("verifyChainscript: dates and key sentences", () => {
  let run: Run;
  let last: number;
  before(async () => {
    run = await threeStageRun();
    last = (run.built.chainscript.entries[2] as Chainscript["entries"][number]).timestamp;
  });
  const verify = (notAfter: number | undefined, bytes = run.built.bytes, resolveKey = onlyKey) =>
    verifyChainscript({
      bytes,
      packets: run.store,
      resolveKey,
      threads: 1,
      ...(notAfter === undefined ? {} : { notAfter }),
    });

  describe("with a latest allowed time (an anchor's block time plus the clock skew)", () => {
    it("accepts entries and packets dated exactly at it", async () => {
      const report = await verify(last);
      expect(report.verdict, JSON.stringify(report.firstFailure)).to.equal("valid");
      expect(check(report, "entries.time")).to.deep.include({ status: "pass", checked: 3 });
      expect(check(report, "packets.time")).to.deep.include({ status: "pass", checked: 3 });
    });

    it("rejects an entry and its packet dated a millisecond after it, naming both times", async () => {
      const report = await verify(last - 1);
      expect(report.verdict).to.equal("invalid");
      expect(report.firstFailure).to.deep.equal({
        check: "entries.time",
        entry: 2,
        message: `the entry is dated ${new Date(last).toISOString()}, after ${new Date(last - 1).toISOString()} (the anchor's block time plus the clock skew)`,
      });
      expect(check(report, "entries.time")).to.deep.include({ status: "fail", checked: 3, failed: 1 });
      expect(check(report, "packets.time")).to.deep.include({ status: "fail", checked: 3, failed: 1 });
      expect(check(report, "packets.time")?.failures).to.deep.equal([
        {
          entry: 2,
          message: `the packet is dated ${new Date(last).toISOString()}, after ${new Date(last - 1).toISOString()} (the anchor's block time plus the clock skew)`,
        },
      ]);
    });

    it("rejects a packet dated after it even when its entry claims an earlier time", async () => {
      const copy = structuredClone(run.built.chainscript) as unknown as { entries: { timestamp: number }[] };
      (copy.entries[2] as { timestamp: number }).timestamp = last - 10;
      const report = await verify(last - 1, new TextEncoder().encode(jcs(copy)));
      expect(check(report, "entries.time")?.status).to.equal("pass");
      expect(check(report, "packets.time")).to.deep.include({ status: "fail", failed: 1 });
      expect(check(report, "packets.time")?.failures[0]?.entry).to.equal(2);
    });
  });

  it("does not check dates without a latest allowed time", async () => {
    const report = await verify(undefined);
    expect(report.verdict).to.equal("valid");
    expect(check(report, "entries.time")).to.deep.include({ status: "skip", checked: 0, optional: true });
    expect(check(report, "packets.time")).to.deep.include({ status: "skip", checked: 0, optional: true });
  });

  describe("when a key resolves to a rejection", () => {
    const revoked: KeyResolver = () => ({ rejected: "the tenant revoked the key from 2026-01-01T00:00:00.000Z" });

    it("names the key, the time and the reason, for the chain and every packet", async () => {
      const report = await verify(undefined, run.built.bytes, revoked);
      expect(report.verdict).to.equal("invalid");
      expect(report.firstFailure).to.deep.equal({
        check: "chain.key",
        message: `key "studio-key-2026" does not count at ${new Date(last).toISOString()}: the tenant revoked the key from 2026-01-01T00:00:00.000Z`,
      });
      expect(check(report, "packets.key")).to.deep.include({ status: "fail", failed: 3 });
      expect(check(report, "packets.key")?.failures[0]?.message).to.match(/^key "studio-key-2026" does not count at/);
      expect(check(report, "packets.signature")?.status).to.equal("skip");
      expect(check(report, "chain.signature")?.status).to.equal("skip");
    });

    it("still says so plainly when a key id resolves to nothing", async () => {
      const report = await verify(undefined, run.built.bytes, () => undefined);
      expect(report.firstFailure?.message).to.equal(
        `no key "studio-key-2026" valid at ${new Date(last).toISOString()}`,
      );
    });
  });
});
