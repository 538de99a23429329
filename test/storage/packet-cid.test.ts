import { expect } from "chai";
import type { Chainscript } from "../../src/chainscript/chainscript.ts";
import { jcs } from "../../src/chainscript/jcs.ts";
import { verifyChainscript } from "../../src/chainscript/verify.ts";
import { fileBlocks } from "../../src/storage/unixfs.ts";
import { RFC8032_PUBLIC_1 } from "../helpers/fixtures.ts";
import { threeStageRun } from "../helpers/run.ts";

const key = Buffer.from(RFC8032_PUBLIC_1, "hex");

describe("a chainscript entry whose packetCid is not a raw sha2-256 CIDv1", () => {
  it("is reported invalid under packets.integrity, and its CID is never asked for", async () => {
    const run = await threeStageRun();
    // A dag-pb CID: what a hostile chainscript would use to point the verifier at a DAG bomb.
    const dagCid = (await fileBlocks(new Uint8Array(300_000))).root.toString();
    const entries = run.built.chainscript.entries.map((entry, i) =>
      i === 1 ? { ...entry, packetCid: dagCid } : entry,
    );
    const copy: Chainscript = { ...run.built.chainscript, entries };
    const asked: string[] = [];
    const report = await verifyChainscript({
      bytes: new TextEncoder().encode(jcs(copy)),
      packets: (cid: string) => {
        asked.push(cid);
        return run.store.get(cid);
      },
      resolveKey: () => key,
      threads: 1,
    });
    expect(asked).to.not.include(dagCid);
    expect(asked).to.have.length(2);
    expect(report.verdict).to.equal("invalid");
    const integrity = report.checks.find((check) => check.id === "packets.integrity");
    expect(integrity?.status).to.equal("fail");
    expect(integrity?.failures).to.deep.include({
      entry: 1,
      message: `packetCid ${dagCid} is not a raw sha2-256 CIDv1`,
    });
  });
});
