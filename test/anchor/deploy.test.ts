import { expect } from "chai";
import { network } from "hardhat";
import CommitRegisterModule from "../../ignition/modules/CommitRegister.ts";
import ProcessAnchorRegistryModule from "../../ignition/modules/ProcessAnchorRegistry.ts";

describe("Ignition modules", () => {
  it("deploy the registry with the base URI and registrar given as parameters", async () => {
    const connection = await network.create({
      network: "baseLocal",
      chainType: "op",
      override: { initialDate: new Date() },
    });
    const [, registrar] = await connection.ethers.getSigners();
    const deployed = await connection.ignition.deploy(ProcessAnchorRegistryModule, {
      parameters: {
        ProcessAnchorRegistry: {
          baseUri: "https://audit.example/metadata/{id}.json",
          registrar: registrar?.address ?? "",
        },
      },
      displayUi: false,
    });
    const registry = await connection.ethers.getContractAt(
      "ProcessAnchorRegistry",
      await deployed.registry.getAddress(),
    );
    expect(await registry.uri(0n)).to.equal("https://audit.example/metadata/{id}.json");
    expect(await registry.registrar()).to.equal(registrar?.address);
    await connection.close();
  });

  it("deploy the commit register on the Numbers stand-in (chain 31338)", async () => {
    const connection = await network.create({ network: "numbersLocal", override: { initialDate: new Date() } });
    expect(await connection.provider.request({ method: "eth_chainId" })).to.equal("0x7a6a");
    const deployed = await connection.ignition.deploy(CommitRegisterModule, { displayUi: false });
    const commitRegister = await connection.ethers.getContractAt(
      "CommitRegister",
      await deployed.commitRegister.getAddress(),
    );
    expect(await commitRegister.getCommits("bafkreiexample")).to.deep.equal([]);
    await connection.close();
  });
});
