/**
 * The local stand-ins `npm start` runs: Base (31337, `op`) and Numbers (31338)
 * as JSON-RPC servers on 127.0.0.1:8545 and :8546, the contracts deployed with
 * Ignition (addresses in ignition/deployments/chain-3133x/, recreated each
 * run), and a demo tenant with an anchor signer and an Ed25519 key.
 */
import { rm } from "node:fs/promises";
import { network } from "hardhat";
import { createPublicClient, createWalletClient, type Hex, http, type PublicClient, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import CommitRegisterModule from "../../ignition/modules/CommitRegister.ts";
import ProcessAnchorRegistryModule from "../../ignition/modules/ProcessAnchorRegistry.ts";
import { registerSigningKey, registerTenant, setAnchorSigner } from "../../src/anchor/registryClient.ts";
import type { Signer } from "../../src/keys/signer.ts";
import { DEV_KEYS } from "../../test/helpers/localChain.ts";

export const BASE_RPC = "http://127.0.0.1:8545";
export const NUMBERS_RPC = "http://127.0.0.1:8546";

/** Hardhat's public development accounts: registrar/deployer, tenant admin, anchor signer, relayer. */
export const demoAccounts = {
  registrar: privateKeyToAccount(DEV_KEYS[0] as Hex),
  admin: privateKeyToAccount(DEV_KEYS[1] as Hex),
  signer: privateKeyToAccount(DEV_KEYS[2] as Hex),
  relayer: privateKeyToAccount(DEV_KEYS[3] as Hex),
};

async function forgetLocalDeployments(): Promise<void> {
  const deployments = new URL("../../ignition/deployments/", import.meta.url).pathname;
  await rm(`${deployments}chain-31337`, { recursive: true, force: true });
  await rm(`${deployments}chain-31338`, { recursive: true, force: true });
}

export async function startLocalNetwork() {
  const servers: { close(): Promise<void> }[] = [];
  for (const [name, chainType, port] of [
    ["baseLocal", "op", 8545],
    ["numbersLocal", "l1", 8546],
  ] as const) {
    const server = await network.createServer({ network: name, chainType }, "127.0.0.1", port);
    try {
      await server.listen();
    } catch (error) {
      throw new Error(`Cannot serve the local ${name} chain on 127.0.0.1:${port} (is another node running there?)`, {
        cause: error,
      });
    }
    servers.push(server);
  }
  // Fresh chains every run: Ignition's journals of the previous run describe chains that no longer exist.
  await forgetLocalDeployments();
  const base = await network.create({ network: "baseLocalRpc", chainType: "op" });
  const { registry } = await base.ignition.deploy(ProcessAnchorRegistryModule, {
    deploymentId: "chain-31337",
    displayUi: false,
  });
  const numbers = await network.create({ network: "numbersLocalRpc" });
  const { commitRegister } = await numbers.ignition.deploy(CommitRegisterModule, {
    deploymentId: "chain-31338",
    displayUi: false,
  });
  const addresses = {
    registry: (await registry.getAddress()) as Hex,
    commitRegister: (await commitRegister.getAddress()) as Hex,
  };
  await base.close();
  await numbers.close();
  const publicClient = createPublicClient({ transport: http(BASE_RPC) }) as PublicClient;
  return {
    ...addresses,
    publicClient,
    wallet: (account: ReturnType<typeof privateKeyToAccount>) =>
      createWalletClient({ account, transport: http(BASE_RPC), chain: undefined }),
    close: async () => {
      for (const server of servers) await server.close();
      // The chains are gone: addresses recorded for them would only mislead the next command.
      await forgetLocalDeployments();
    },
  };
}

/** Registers the demo tenant, allows the demo anchor signer and registers the Ed25519 key for 12 months. */
export async function registerDemoTenant(
  local: Awaited<ReturnType<typeof startLocalNetwork>>,
  tenantId: string,
  key: Signer,
) {
  const options = { registry: local.registry };
  const as = (account: ReturnType<typeof privateKeyToAccount>) => ({
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
