/**
 * The local stand-ins: Base (31337, `op`) and Numbers (31338) as JSON-RPC
 * servers on 127.0.0.1, the contracts deployed with Ignition (its output,
 * deployed_addresses.json and journal.jsonl, in <deployments>/chain-3133x/,
 * recreated each run and removed on close), and a demo tenant with an anchor
 * signer and an Ed25519 key. `npm start` runs them on :8545 and :8546 (or the
 * ports it is given) with the output in ignition/deployments/; tests take free
 * ports and a temporary directory, so they never meet a running `npm start`.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import {
  errorDeploymentResultToExceptionMessage,
  HardhatArtifactResolver,
} from "@nomicfoundation/hardhat-ignition/helpers";
import { DeploymentResultType, deploy, type IgnitionModule } from "@nomicfoundation/ignition-core";
import { artifacts, network } from "hardhat";
import { type Address, createPublicClient, createWalletClient, getAddress, http, type PublicClient, toHex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import CommitRegisterModule from "../../ignition/modules/CommitRegister.ts";
import ProcessAnchorRegistryModule from "../../ignition/modules/ProcessAnchorRegistry.ts";
import { registerSigningKey, registerTenant, setAnchorSigner } from "../../src/anchor/registryClient.ts";
import type { Signer } from "../../src/keys/signer.ts";
import { demoAccounts } from "./accounts.ts";
import { probePort } from "./ports.ts";

/** Where `npm start` has Ignition write (the project's own deployments directory). */
export const PROJECT_DEPLOYMENTS = new URL("../../ignition/deployments/", import.meta.url).pathname;

export interface LocalNetworkOptions {
  /** Ports on 127.0.0.1 (default 8545 and 8546; 0 takes a free one). A busy port is the caller's to rule out first. */
  readonly ports?: { readonly base: number; readonly numbers: number };
  /** Where Ignition writes chain-31337/ and chain-31338/ (default ignition/deployments/). */
  readonly deploymentsDir?: string;
}

/** The two chains: the simulated network served, the HTTP network Ignition deploys through, and the module. */
const CHAINS = {
  base: {
    id: 31337,
    served: "baseLocal",
    rpc: "baseLocalRpc",
    chainType: "op",
    port: 8545,
    module: ProcessAnchorRegistryModule,
    future: "ProcessAnchorRegistry#ProcessAnchorRegistry",
  },
  numbers: {
    id: 31338,
    served: "numbersLocal",
    rpc: "numbersLocalRpc",
    chainType: "l1",
    port: 8546,
    module: CommitRegisterModule,
    future: "CommitRegister#CommitRegister",
  },
} as const;

type LocalChainName = keyof typeof CHAINS;

async function forgetDeployments(deploymentsDir: string): Promise<void> {
  for (const chain of Object.values(CHAINS))
    await rm(join(deploymentsDir, `chain-${chain.id}`), { recursive: true, force: true });
}

/**
 * Deploys the chain's Ignition module through `url` with Ignition's own deployer, its output in
 * `<deploymentsDir>/chain-<id>` (Hardhat's `connection.ignition.deploy` only writes under ignition/deployments).
 */
async function deployWithIgnition(name: LocalChainName, url: string, deploymentsDir: string): Promise<Address> {
  const chain = CHAINS[name];
  const connection = await network.create({ network: chain.rpc, chainType: chain.chainType, override: { url } });
  try {
    const accounts = (await connection.provider.request({ method: "eth_accounts" })) as string[];
    const result = await deploy({
      ignitionModule: chain.module as IgnitionModule,
      provider: connection.provider,
      artifactResolver: new HardhatArtifactResolver(artifacts),
      deploymentDir: join(deploymentsDir, `chain-${chain.id}`),
      deploymentParameters: {},
      accounts,
      // Automined: each transaction is in a block at once, so look often.
      config: { blockPollingInterval: 50 },
    });
    if (result.type !== DeploymentResultType.SUCCESSFUL_DEPLOYMENT)
      throw new Error(
        `Ignition could not deploy ${chain.module.id} to ${url}: ${errorDeploymentResultToExceptionMessage(result)}`,
      );
    const deployed = result.contracts[chain.future];
    if (deployed === undefined) throw new Error(`Ignition's result for ${chain.module.id} has no ${chain.future}.`);
    return getAddress(deployed.address);
  } finally {
    await connection.close();
  }
}

export async function startLocalNetwork(options: LocalNetworkOptions = {}) {
  const deploymentsDir = options.deploymentsDir ?? PROJECT_DEPLOYMENTS;
  const servers: { close(): Promise<void> }[] = [];
  const urls = { base: "", numbers: "" };
  const closeServers = async () => {
    for (const server of servers.splice(0)) await server.close();
  };
  try {
    for (const name of ["base", "numbers"] as const) {
      const chain = CHAINS[name];
      const port = options.ports?.[name] ?? chain.port;
      // Hardhat's server does not reject listen() on a busy port (the error is thrown uncaught): ask first.
      if (port !== 0)
        await probePort(port).catch((error: unknown) => {
          throw new Error(
            `Cannot serve the local ${chain.served} chain on 127.0.0.1:${port}: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        });
      const server = await network.createServer(
        // The chain's clock starts now, not when Hardhat resolved its config (which may be minutes earlier).
        { network: chain.served, chainType: chain.chainType, override: { initialDate: new Date() } },
        "127.0.0.1",
        port,
      );
      const address = await server.listen();
      servers.push(server);
      urls[name] = `http://${address.address}:${address.port}`;
    }
    // Fresh chains every run: Ignition's journals of the previous run describe chains that no longer exist.
    await forgetDeployments(deploymentsDir);
    const addresses = {
      registry: await deployWithIgnition("base", urls.base, deploymentsDir),
      commitRegister: await deployWithIgnition("numbers", urls.numbers, deploymentsDir),
    };
    const publicClient = createPublicClient({ transport: http(urls.base) }) as PublicClient;
    return {
      ...addresses,
      baseUrl: urls.base,
      numbersUrl: urls.numbers,
      /** Holds chain-31337/ and chain-31338/, Ignition's output for these chains. */
      deploymentsDir,
      publicClient,
      wallet: (account: PrivateKeyAccount) =>
        createWalletClient({ account, transport: http(urls.base), chain: undefined }),
      close: async () => {
        await closeServers();
        // The chains are gone: addresses recorded for them would only mislead the next command.
        await forgetDeployments(deploymentsDir);
      },
    };
  } catch (error) {
    await closeServers();
    throw error;
  }
}

export type LocalNetwork = Awaited<ReturnType<typeof startLocalNetwork>>;

/** Registers the demo tenant, allows the demo anchor signer and registers the Ed25519 key for 12 months. */
export async function registerDemoTenant(local: LocalNetwork, tenantId: string, key: Signer) {
  const options = { registry: local.registry };
  const as = (account: PrivateKeyAccount) => ({
    walletClient: local.wallet(account),
    publicClient: local.publicClient,
  });
  await registerTenant(as(demoAccounts.registrar), { ...options, tenantId, admin: demoAccounts.admin.address });
  await setAnchorSigner(as(demoAccounts.admin), {
    ...options,
    tenantId,
    signer: demoAccounts.signer.address,
    allowed: true,
  });
  const now = BigInt(Math.floor(Date.now() / 1000));
  await registerSigningKey(as(demoAccounts.admin), {
    ...options,
    tenantId,
    keyId: key.keyId,
    publicKey: toHex(key.publicKey),
    validFrom: now - 3_600n,
    validUntil: now + 365n * 86_400n,
  });
}
