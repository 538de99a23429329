import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig, overrideTask } from "hardhat/config";
import { countPendingAsSkipped, SUMMARY_REPORTER } from "./test/helpers/mochaSummary.ts";

const WORKER_SETUP = new URL("./test/helpers/workerSetup.ts", import.meta.url).href;

/**
 * solc is not downloadable on the build machines, so Hardhat compiles with the
 * WASM build shipped in the `solc` npm package. `SOLC_VERSION` must equal that
 * package's version: test/foundation/solc.test.ts enforces it.
 */
export const SOLC_VERSION = "0.8.30";
const solcPath = createRequire(import.meta.url).resolve("solc/soljson.js");

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  tasks: [
    // Hardhat counts pending mocha tests as passing; the summary line says "skipped" for them instead.
    overrideTask(["test", "mocha"])
      .setInlineAction(async (args, _hre, runSuper) => countPendingAsSkipped(await runSuper(args)))
      .build(),
  ],
  solidity: {
    // Both profiles optimise the same way, so the gas that tests measure is the gas deployments pay.
    profiles: {
      default: {
        version: SOLC_VERSION,
        path: solcPath,
        settings: { optimizer: { enabled: true, runs: 10_000 } },
      },
      production: {
        version: SOLC_VERSION,
        path: solcPath,
        settings: { optimizer: { enabled: true, runs: 10_000 } },
      },
    },
  },
  networks: {
    // Secrets come from hardhat-keystore (`npx hardhat keystore set NAME`) or the environment.
    base: {
      type: "http",
      chainType: "op",
      chainId: 8453,
      url: configVariable("BASE_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
    baseSepolia: {
      type: "http",
      chainType: "op",
      chainId: 84532,
      url: configVariable("BASE_SEPOLIA_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
    // `npm start` serves the two simulated chains over JSON-RPC (on these ports unless told others) and deploys with Ignition.
    baseLocalRpc: { type: "http", chainType: "op", chainId: 31337, url: "http://127.0.0.1:8545" },
    numbersLocalRpc: { type: "http", chainType: "l1", chainId: 31338, url: "http://127.0.0.1:8546" },
    // Local stand-ins use their own chain ids so nothing local is mistaken for a real chain.
    baseLocal: {
      type: "edr-simulated",
      chainType: "op",
      chainId: 31337,
    },
    numbersLocal: {
      type: "edr-simulated",
      chainType: "l1",
      chainId: 31338,
    },
  },
  verify: {
    // One Etherscan API key (v2) covers Basescan for Base and Base Sepolia.
    etherscan: { apiKey: configVariable("ETHERSCAN_API_KEY") },
  },
  test: {
    solidity: {
      fuzz: { seed: "0x5eed" },
      // 200 calls a run (500 by default) already reach each of the handler's 64 (tenant, chain) pairs and repeat
      // many: the invariant suite's 20 s of two cores became 12 s of one and a half (decision 030).
      invariant: { depth: 200 },
    },
    // Files run in three worker processes: on two cores a third keeps them busy while a suite waits on a child
    // process, a chain or a database (decision 030).
    // A timeout only catches a hang: generous, so a slow or busy machine does not fail a test that works.
    mocha: { reporter: SUMMARY_REPORTER, parallel: true, jobs: 3, timeout: 120_000, require: [WORKER_SETUP] },
  },
});
