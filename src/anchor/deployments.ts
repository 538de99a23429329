/**
 * Reads contract addresses from Ignition's deployment output
 * (`ignition/deployments/chain-<id>/deployed_addresses.json`), the one place
 * deployed addresses live: nothing else in the project pastes an address.
 * Node-only.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Address, getAddress, isAddress } from "viem";
import { BaseError } from "../errors.ts";

export class DeploymentNotFoundError extends BaseError {
  override name = "DeploymentNotFoundError";
}

/** Ignition's future ids: `<module>#<contract>`. */
const FUTURES = {
  ProcessAnchorRegistry: "ProcessAnchorRegistry#ProcessAnchorRegistry",
  CommitRegister: "CommitRegister#CommitRegister",
} as const;

export type DeployedContract = keyof typeof FUTURES;

/**
 * The address of `contract` deployed on `chainId`.
 *
 * @example
 * await deployedAddress(8453, "ProcessAnchorRegistry")
 */
export async function deployedAddress(
  chainId: number,
  contract: DeployedContract,
  deploymentsDir = new URL("../../ignition/deployments", import.meta.url).pathname,
): Promise<Address> {
  const file = join(deploymentsDir, `chain-${chainId}`, "deployed_addresses.json");
  let addresses: Record<string, unknown>;
  try {
    addresses = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new DeploymentNotFoundError(`No deployment for chain ${chainId}: ${file} cannot be read.`, {
      cause: error,
      details: `Deploy first: npm run deploy -- --network <name of chain ${chainId}>.`,
    });
  }
  const address = addresses[FUTURES[contract]];
  if (typeof address !== "string" || !isAddress(address)) {
    throw new DeploymentNotFoundError(`${file} has no ${contract} address.`);
  }
  return getAddress(address);
}
