import { expect } from "chai";
import { IndexerConfigError, indexerNetwork } from "../../indexer/src/network.ts";

describe("indexer network selection (POP_INDEXER_NETWORK)", () => {
  it("defaults to the local stand-ins on 8545/8546 with no RPC cache", () => {
    const network = indexerNetwork({});
    expect(network).to.deep.include({ name: "local", local: true });
    expect(network.base).to.deep.equal({ id: 31337, rpc: "http://127.0.0.1:8545" });
    expect(network.numbers).to.deep.equal({ id: 31338, rpc: "http://127.0.0.1:8546" });
  });

  it("pairs Base with Numbers Jade and Base Sepolia with Numbers Snow, with NUMBERS.md's commit contracts", () => {
    const rpcs = {
      PONDER_RPC_URL_8453: "https://base.example/rpc",
      PONDER_RPC_URL_10507: "https://jade.example/rpc",
      PONDER_RPC_URL_84532: "https://sepolia.example/rpc",
      PONDER_RPC_URL_10508: "https://snow.example/rpc",
    };
    const base = indexerNetwork({ ...rpcs, POP_INDEXER_NETWORK: "base" });
    expect(base.base).to.deep.equal({ id: 8453, rpc: "https://base.example/rpc" });
    expect(base.numbers).to.deep.equal({
      id: 10507,
      rpc: "https://jade.example/rpc",
      commitContract: { address: "0x7EC2F14ABE8b0Ea2F657bBb62b6fEfDe161c9001", startBlock: 0 },
    });
    expect(base.local).to.equal(false);
    const sepolia = indexerNetwork({ ...rpcs, POP_INDEXER_NETWORK: "base-sepolia" });
    expect(sepolia.base.id).to.equal(84532);
    expect(sepolia.numbers.id).to.equal(10508);
    expect(sepolia.numbers.commitContract?.address).to.equal("0x02eFA51b583d03342687b585417e5A62cd8273a4");
  });

  it("takes the commit contract, its start block and the deployments directory from the environment", () => {
    const network = indexerNetwork({
      POP_INDEXER_COMMIT_CONTRACT: "0x1111111111111111111111111111111111111111",
      POP_INDEXER_COMMIT_START_BLOCK: "1234",
      POP_INDEXER_DEPLOYMENTS_DIR: "/tmp/deployments",
    });
    expect(network.numbers.commitContract).to.deep.equal({
      address: "0x1111111111111111111111111111111111111111",
      startBlock: 1234,
    });
    expect(network.deploymentsDir).to.equal("/tmp/deployments");
  });

  it("names the variable and the problem for anything it cannot use", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [
        { POP_INDEXER_NETWORK: "mainnet" },
        /POP_INDEXER_NETWORK must be one of local, base-sepolia, base, got "mainnet"/,
      ],
      [{ POP_INDEXER_NETWORK: "base" }, /PONDER_RPC_URL_8453 is not set/],
      [{ POP_INDEXER_COMMIT_START_BLOCK: "-1" }, /POP_INDEXER_COMMIT_START_BLOCK must be a block number, got "-1"/],
      [{ POP_INDEXER_COMMIT_CONTRACT: "0x12" }, /POP_INDEXER_COMMIT_CONTRACT must be an address, got "0x12"/],
    ];
    for (const [env, message] of cases) expect(() => indexerNetwork(env)).to.throw(IndexerConfigError, message);
  });
});
