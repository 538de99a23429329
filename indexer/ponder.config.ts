/**
 * The indexer's chains and contracts for the network in POP_INDEXER_NETWORK
 * (`local`, `base-sepolia` or `base`; default `local`). Each pairs a Base chain
 * with a Numbers chain: local 31337 + 31338, Base Sepolia 84532 + Numbers Snow
 * 10508, Base 8453 + Numbers Jade 10507. RPC URLs come from
 * PONDER_RPC_URL_<chain id> (a local one given to Ponder so that it does not
 * take it for a public endpoint: src/rpcUrl.ts); the registry's address and start block from
 * Ignition's deployment output for the Base chain; the commit contract from
 * Ignition's output on the local Numbers stand-in, or NUMBERS.md's defaults
 * (POP_INDEXER_COMMIT_CONTRACT and POP_INDEXER_COMMIT_START_BLOCK override).
 * Ignition's output is read from ignition/deployments/chain-<id>, or from
 * POP_INDEXER_DEPLOYMENTS_DIR/chain-<id>.
 */
import { createConfig } from "ponder";
import type { Address } from "viem";
import { commitRegisterAbi, processAnchorRegistryAbi } from "../src/anchor/abi.ts";
import { readDeployment } from "../src/anchor/deployments.ts";
import { indexerNetwork, ponderChains } from "./src/network.ts";

const env = process.env;
const network = indexerNetwork(env);
const registry = readDeployment(network.base.id, "ProcessAnchorRegistry", network.deploymentsDir);
const commits =
  network.numbers.commitContract ?? readDeployment(network.numbers.id, "CommitRegister", network.deploymentsDir);

export default createConfig({
  database: env.DATABASE_URL
    ? { kind: "postgres", connectionString: env.DATABASE_URL }
    : { kind: "pglite", ...(env.POP_INDEXER_PGLITE_DIR ? { directory: env.POP_INDEXER_PGLITE_DIR } : {}) },
  chains: ponderChains(network),
  contracts: {
    ProcessAnchorRegistry: {
      chain: "base",
      abi: processAnchorRegistryAbi,
      address: registry.address,
      startBlock: registry.startBlock,
    },
    CommitRegister: {
      chain: "numbers",
      abi: commitRegisterAbi,
      address: commits.address as Address,
      startBlock: commits.startBlock,
    },
  },
  blocks: {
    // Anchors whose content no gateway served are tried again on this beat, without holding up indexing.
    VerificationRetry: { chain: "base", interval: network.retryInterval, startBlock: registry.startBlock },
  },
});
