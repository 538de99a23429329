import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { defineConfig } from "hardhat/config";

/**
 * solc is not downloadable on the build machines, so Hardhat compiles with the
 * WASM build shipped in the `solc` npm package. `SOLC_VERSION` must equal that
 * package's version: test/foundation/solc.test.ts enforces it.
 */
export const SOLC_VERSION = "0.8.30";
const solcPath = createRequire(import.meta.url).resolve("solc/soljson.js");

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    profiles: {
      default: {
        version: SOLC_VERSION,
        path: solcPath,
      },
      production: {
        version: SOLC_VERSION,
        path: solcPath,
        settings: {
          optimizer: { enabled: true, runs: 10_000 },
        },
      },
    },
  },
  networks: {
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
  test: {
    solidity: {
      fuzz: { seed: "0x5eed" },
    },
  },
});
