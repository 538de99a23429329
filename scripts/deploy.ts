/**
 * `npm run deploy -- --network <name>`: deploys with Ignition what belongs on that
 * network: the registry on Base-like chains, the ERC-7053 commit register on the
 * local Numbers stand-in. Parameters come from ignition/parameters/<network>.json
 * when present; addresses land in ignition/deployments/chain-<id>/ (not for the
 * in-process simulated networks, which vanish when the command ends). Builds the
 * contracts first with the build profile given (`npm run deploy`: production),
 * saying so when there is anything to compile.
 */
import { existsSync } from "node:fs";
import hre, { network } from "hardhat";
import CommitRegisterModule from "../ignition/modules/CommitRegister.ts";
import ProcessAnchorRegistryModule from "../ignition/modules/ProcessAnchorRegistry.ts";
import { buildContracts } from "./demo/build.ts";

/** Chains that are Numbers (or its stand-in): they get the commit register, not the registry. */
const NUMBERS_CHAINS = new Set([31338n, 10507n, 10508n]);

// `npm run deploy` passes --no-compile to `hardhat run`, which would otherwise compile before this line in silence.
await buildContracts(hre, (line) => console.log(line));
const connection = await network.create();
const chainId = BigInt((await connection.provider.request({ method: "eth_chainId" })) as string);
const parametersFile = new URL(`../ignition/parameters/${connection.networkName}.json`, import.meta.url).pathname;
const options = {
  deploymentId: `chain-${chainId}`,
  ...(existsSync(parametersFile) ? { parameters: parametersFile } : {}),
};
if (NUMBERS_CHAINS.has(chainId)) {
  const { commitRegister } = await connection.ignition.deploy(CommitRegisterModule, options);
  console.log(`CommitRegister on ${connection.networkName} (chain ${chainId}): ${await commitRegister.getAddress()}`);
} else {
  const { registry } = await connection.ignition.deploy(ProcessAnchorRegistryModule, options);
  console.log(`ProcessAnchorRegistry on ${connection.networkName} (chain ${chainId}): ${await registry.getAddress()}`);
}
await connection.close();
