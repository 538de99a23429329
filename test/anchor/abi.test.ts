import { readFileSync } from "node:fs";
import { expect } from "chai";
import { commitRegisterAbi, processAnchorRegistryAbi } from "../../src/anchor/abi.ts";

const artifact = (path: string) =>
  JSON.parse(readFileSync(new URL(`../../artifacts/contracts/${path}`, import.meta.url), "utf8")).abi;

describe("src/anchor/abi.ts", () => {
  it("matches the compiled contracts (run `npm run abi` after changing them)", () => {
    expect(processAnchorRegistryAbi).to.deep.equal(artifact("ProcessAnchorRegistry.sol/ProcessAnchorRegistry.json"));
    expect(commitRegisterAbi).to.deep.equal(artifact("CommitRegister.sol/CommitRegister.json"));
  });
});
