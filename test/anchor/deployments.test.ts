import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { DeploymentNotFoundError, deployedAddress } from "../../src/anchor/deployments.ts";

describe("deployedAddress", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-deployments-"));
    await mkdir(join(dir, "chain-84532"));
    await writeFile(
      join(dir, "chain-84532", "deployed_addresses.json"),
      JSON.stringify({ "ProcessAnchorRegistry#ProcessAnchorRegistry": "0x5fbdb2315678afecb367f032d93f642f64180aa3" }),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("reads the address Ignition recorded, checksummed", async () => {
    expect(await deployedAddress(84532, "ProcessAnchorRegistry", dir)).to.equal(
      "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    );
  });

  it("says how to deploy when a chain has no deployment", async () => {
    const error = await deployedAddress(8453, "ProcessAnchorRegistry", dir).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(DeploymentNotFoundError);
    expect((error as Error).message)
      .to.include("No deployment for chain 8453")
      .and.include("npm run deploy");
  });

  it("names the contract missing from a deployment", async () => {
    const error = await deployedAddress(84532, "CommitRegister", dir).catch((e: unknown) => e);
    expect((error as Error).message).to.include("has no CommitRegister address");
  });
});
