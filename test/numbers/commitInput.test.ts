import { expect } from "chai";
import { encodeFunctionData, keccak256, stringToBytes } from "viem";
import { commitRegisterAbi, processAnchorRegistryAbi } from "../../src/anchor/abi.ts";
import { assetCidFromCommitInput, parseCommitData } from "../../src/numbers/commitInput.ts";

const CID = "bafkreih5errdrrjkwze6xdgamqvykt5wq3fr4vulg5kpztj74tnpjaxdum";

describe("ERC-7053 commits read back", () => {
  describe("assetCidFromCommitInput", () => {
    const input = encodeFunctionData({ abi: commitRegisterAbi, functionName: "commit", args: [CID, "{}"] });

    it("recovers the CID of a direct commit call whose hash is the log's topic", () => {
      expect(assetCidFromCommitInput(input, keccak256(stringToBytes(CID)))).to.equal(CID);
    });

    it("gives nothing when the input's CID does not hash to the topic (a call through another contract)", () => {
      expect(assetCidFromCommitInput(input, keccak256(stringToBytes(`${CID}x`)))).to.equal(undefined);
    });

    it("gives nothing for input that is not a commit call", () => {
      const other = encodeFunctionData({
        abi: processAnchorRegistryAbi,
        functionName: "anchorCount",
        args: [keccak256(stringToBytes("t"))],
      });
      expect(assetCidFromCommitInput(other, keccak256(stringToBytes(CID)))).to.equal(undefined);
      expect(assetCidFromCommitInput("0x", keccak256(stringToBytes(CID)))).to.equal(undefined);
    });
  });

  describe("parseCommitData", () => {
    it("reads our GPU-job receipt fields", () => {
      const hash = "ab".repeat(32);
      const facts = parseCommitData(
        JSON.stringify({ jobDetails: { jobId: "job-7", eventType: "JobCompleted" }, packetHash: hash, abstract: "x" }),
      );
      expect(facts).to.deep.include({
        valid: true,
        jobId: "job-7",
        eventType: "JobCompleted",
        packetHash: `0x${hash}`,
      });
      expect(facts.json?.abstract).to.equal("x");
    });

    it("keeps a nit commit without job fields as valid JSON with no job", () => {
      const facts = parseCommitData(JSON.stringify({ assetTreeCid: CID, actionName: "action-commit" }));
      expect(facts.valid).to.equal(true);
      expect(facts.jobId).to.equal(undefined);
      expect(facts.packetHash).to.equal(undefined);
    });

    it("flags anything that is not a JSON object instead of throwing", () => {
      for (const text of ["{not json", "", "[1,2]", "42", "null", '"text"'])
        expect(parseCommitData(text), text).to.deep.equal({ valid: false });
    });

    it("ignores a packetHash that is not 32 bytes of hex", () => {
      expect(parseCommitData(JSON.stringify({ packetHash: "abc" })).packetHash).to.equal(undefined);
    });
  });
});
