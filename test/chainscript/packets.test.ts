import { createHash } from "node:crypto";
import { expect } from "chai";
import type { Chainscript } from "../../src/chainscript/chainscript.ts";
import { jcs } from "../../src/chainscript/jcs.ts";
import { type ChainVerificationReport, verifyChainscript } from "../../src/chainscript/verify.ts";
import { cidFromSha256 } from "../../src/evidence/cid.ts";
import { RFC8032_PUBLIC_1 } from "../helpers/fixtures.ts";
import { type Run, threeStageRun } from "../helpers/run.ts";

const key = Buffer.from(RFC8032_PUBLIC_1, "hex");
const check = (report: ChainVerificationReport, id: string) => report.checks.find((c) => c.id === id);
type Entry = { -readonly [K in keyof Chainscript["entries"][number]]: Chainscript["entries"][number][K] };

describe("verifyChainscript: each packet against its entry", () => {
  let run: Run;
  before(async () => {
    run = await threeStageRun();
  });

  /** The run with entry `i` edited, served from `store`. */
  const verifyEdited = (i: number, edit: (entry: Entry) => void, store: Map<string, Uint8Array>) => {
    const copy = structuredClone(run.built.chainscript) as unknown as { entries: Entry[] };
    edit(copy.entries[i] as Entry);
    return verifyChainscript({
      bytes: new TextEncoder().encode(jcs(copy)),
      packets: store,
      resolveKey: () => key,
      threads: 1,
    });
  };

  it("rejects a packet whose bytes match packetHash but whose packetCid names other content", async () => {
    const other = cidFromSha256(new Uint8Array(createHash("sha256").update("other bytes").digest()));
    const store = new Map(run.store);
    store.set(other, run.packets[1]?.bytes as Uint8Array);
    const report = await verifyEdited(1, (entry) => (entry.packetCid = other), store);
    expect(check(report, "packets.integrity")?.failures).to.deep.equal([
      { entry: 1, message: "the packet bytes do not match packetHash and packetCid" },
    ]);
  });

  it("rejects a packetCid that is not a raw sha2-256 CIDv1, saying so", async () => {
    const v0 = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG";
    const store = new Map(run.store);
    store.set(v0, run.packets[0]?.bytes as Uint8Array);
    const report = await verifyEdited(0, (entry) => (entry.packetCid = v0), store);
    expect(check(report, "packets.integrity")?.failures).to.deep.equal([
      { entry: 0, message: `packetCid ${v0} is not a raw sha2-256 CIDv1` },
    ]);
  });

  it("reports packet bytes that are not a packet under packets.canonical, and goes on", async () => {
    const garbage = Uint8Array.of(0xa1, 0x61, 0x78, 0x01); // CBOR {"x": 1}: no packet
    const hash = new Uint8Array(createHash("sha256").update(garbage).digest());
    const store = new Map(run.store);
    store.set(cidFromSha256(hash), garbage);
    const report = await verifyEdited(
      2,
      (entry) => {
        entry.packetCid = cidFromSha256(hash);
        entry.packetHash = Buffer.from(hash).toString("hex");
      },
      store,
    );
    expect(check(report, "packets.integrity")).to.deep.include({ status: "pass", failed: 0 });
    expect(check(report, "packets.canonical")).to.deep.include({ status: "fail", failed: 1 });
    expect(check(report, "packets.canonical")?.failures[0]?.entry).to.equal(2);
    expect(check(report, "packets.signature")).to.deep.include({ status: "pass", checked: 2 });
    expect(check(report, "lineage")?.status).to.equal("skip");
  });
});
