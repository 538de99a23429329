/**
 * Reads contract addresses from Ignition's deployment output
 * (`ignition/deployments/chain-<id>/deployed_addresses.json`), the one place
 * deployed addresses live: nothing else in the project pastes an address.
 * Node-only.
 */
import { readFileSync } from "node:fs";
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

const DEFAULT_DIR = new URL("../../ignition/deployments", import.meta.url).pathname;

/** Where and from which block a contract lives: what an indexer needs to start. */
export interface DeploymentRecord {
  readonly address: Address;
  /** The block of the deployment transaction (from Ignition's journal). */
  readonly startBlock: number;
}

/**
 * The address and deployment block of `contract` on `chainId`, read synchronously
 * (configuration files such as Ponder's are evaluated synchronously) from
 * Ignition's `deployed_addresses.json` and `journal.jsonl`.
 *
 * @throws {DeploymentNotFoundError} when either is missing or names no such contract.
 */
export function readDeployment(
  chainId: number,
  contract: DeployedContract,
  deploymentsDir = DEFAULT_DIR,
): DeploymentRecord {
  const dir = join(deploymentsDir, `chain-${chainId}`);
  const read = (name: string) => {
    try {
      return readFileSync(join(dir, name), "utf8");
    } catch (error) {
      throw new DeploymentNotFoundError(`No deployment for chain ${chainId}: ${join(dir, name)} cannot be read.`, {
        cause: error,
        details: `Deploy first: npm run deploy -- --network <name of chain ${chainId}>.`,
      });
    }
  };
  const address = (JSON.parse(read("deployed_addresses.json")) as Record<string, unknown>)[FUTURES[contract]];
  if (typeof address !== "string" || !isAddress(address))
    throw new DeploymentNotFoundError(`${join(dir, "deployed_addresses.json")} has no ${contract} address.`);
  for (const line of read("journal.jsonl").split("\n")) {
    if (!line.includes("TRANSACTION_CONFIRM")) continue;
    const entry = JSON.parse(line) as { type?: string; futureId?: string; receipt?: { blockNumber?: number } };
    if (
      entry.type === "TRANSACTION_CONFIRM" &&
      entry.futureId === FUTURES[contract] &&
      entry.receipt?.blockNumber !== undefined
    )
      return { address: getAddress(address), startBlock: Number(entry.receipt.blockNumber) };
  }
  throw new DeploymentNotFoundError(`${join(dir, "journal.jsonl")} records no confirmed deployment of ${contract}.`);
}
