import { expect } from "chai";
import { findAsset } from "../../src/verify/findAsset.ts";
import { hashOf } from "../helpers/fixtures.ts";
import { threeStageRun } from "../helpers/run.ts";

describe("findAsset", () => {
  it("names the entry whose packet produced the bytes, and none for other bytes", async () => {
    const run = await threeStageRun();
    const found = findAsset(run.built.chainscript, run.store, hashOf("lighthouse@4x.png"));
    expect(found).to.deep.include({
      entry: 1,
      stageId: "upscale",
      packetCid: run.built.chainscript.entries[1]?.packetCid,
    });
    expect(found?.packet.outputs.assetHash).to.deep.equal(hashOf("lighthouse@4x.png"));
    expect(findAsset(run.built.chainscript, run.store, hashOf("something else"))).to.equal(undefined);
  });

  it("passes over entries whose packet was not fetched", async () => {
    const run = await threeStageRun();
    const store = new Map(run.store);
    store.delete(run.built.chainscript.entries[0]?.packetCid as string);
    expect(findAsset(run.built.chainscript, store, hashOf("lighthouse.png"))).to.equal(undefined);
    expect(findAsset(run.built.chainscript, store, hashOf("lighthouse@4x-wm.png"))?.entry).to.equal(2);
  });
});
