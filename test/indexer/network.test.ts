import { expect } from "chai";
import { IndexerConfigError, indexerNetwork, ponderChains } from "../../indexer/src/network.ts";
import { isPrivateRpcUrl } from "../../indexer/src/rpcUrl.ts";
import type * as PonderConfigBuild from "../../node_modules/ponder/dist/types/build/config.js";

const PONDER_CONFIG_BUILD = "../../node_modules/ponder/dist/esm/build/config.js";

/** The log records Ponder's own config build makes for these chains (where it warns about public RPC URLs). */
async function ponderConfigLogs(chains: ReturnType<typeof ponderChains>) {
  // Ponder exports none of its build: reached by file, as indexer/src/api/ponderGraphql.ts reaches its GraphQL.
  const { buildConfig } = (await import(PONDER_CONFIG_BUILD)) as typeof PonderConfigBuild;
  const quiet = () => undefined;
  const logger = { debug: quiet, info: quiet, warn: quiet, error: quiet, trace: quiet, child: () => logger };
  const common = { options: { rpcMaxConcurrency: 8 }, logger, shutdown: { add: quiet }, metrics: {} };
  const config = { chains, contracts: {} };
  return buildConfig({ common, config } as unknown as Parameters<typeof buildConfig>[0]).logs;
}
const PUBLIC_WARNING = "Detected public RPC URL. Most apps require an RPC URL with a higher rate limit.";

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

  describe("RPC URLs on this machine or a private network", () => {
    it("tells loopback and private addresses from public ones", () => {
      const local = [
        "http://127.0.0.1:8545",
        "http://127.8.9.10:8545/rpc",
        "http://localhost:8546",
        "http://node.localhost:8545",
        "http://[::1]:8545",
        "ws://10.1.2.3:8546",
        "http://172.16.0.9:8545",
        "http://192.168.1.20:8545",
        "http://[fd12:3456::1]:8545",
      ];
      for (const url of local) expect(isPrivateRpcUrl(url), url).to.equal(true);
      const elsewhere = ["https://mainnet.base.org", "http://8.8.8.8:8545", "http://172.32.0.1:8545", "not a url"];
      for (const url of elsewhere) expect(isPrivateRpcUrl(url), url).to.equal(false);
    });

    it("are not what Ponder warns about as public, while viem's public defaults still are", async () => {
      // The local network's defaults: 127.0.0.1:8545 is viem's default for chain 31337, which Ponder warned about.
      const local = await ponderConfigLogs(ponderChains(indexerNetwork({})));
      expect(local.filter((log) => log.msg === PUBLIC_WARNING)).to.deep.equal([]);
      const fromEnv = indexerNetwork({
        PONDER_RPC_URL_31337: "http://127.0.0.1:8545",
        PONDER_RPC_URL_31338: "http://[::1]:8546",
      });
      expect((await ponderConfigLogs(ponderChains(fromEnv))).filter((log) => log.msg === PUBLIC_WARNING)).to.deep.equal(
        [],
      );
      // Base's own public endpoint is what the warning is for.
      const base = indexerNetwork({
        POP_INDEXER_NETWORK: "base",
        PONDER_RPC_URL_8453: "https://mainnet.base.org",
        PONDER_RPC_URL_10507: "https://jade.example/rpc",
      });
      const warnings = (await ponderConfigLogs(ponderChains(base))).filter((log) => log.msg === PUBLIC_WARNING);
      expect(warnings.map((log) => log.chain)).to.deep.equal(["base"]);
    });

    it("are given to Ponder as the same request: the URL's canonical form", () => {
      const chains = ponderChains(indexerNetwork({}));
      expect(chains.base.rpc).to.equal("http://127.0.0.1:8545/");
      expect(chains.numbers.rpc).to.equal("http://127.0.0.1:8546/");
      const base = indexerNetwork({
        POP_INDEXER_NETWORK: "base",
        PONDER_RPC_URL_8453: "https://base.example/rpc",
        PONDER_RPC_URL_10507: "https://jade.example/rpc",
      });
      expect(ponderChains(base).base.rpc).to.equal("https://base.example/rpc");
    });
  });
});
