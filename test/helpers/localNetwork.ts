import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, createPublicClient, createWalletClient, defineChain, type Hex, http } from "viem";
import { mnemonicToAccount, type PrivateKeyAccount } from "viem/accounts";
import { startLocalNetwork } from "../../scripts/demo/localNetwork.ts";
import { commitRegisterAbi } from "../../src/anchor/abi.ts";
import type { LocalChain } from "./localChain.ts";

/** Hardhat's development mnemonic: its first 20 accounts are funded on every simulated chain. */
const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Development account `index` (0–19); accounts 0–4 are the keys in DEV_KEYS. */
export const devAccount = (index: number) => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index });

/** The local Numbers stand-in with its ERC-7053 commit register. */
export interface LocalNumbers {
  readonly url: string;
  readonly chain: ReturnType<typeof defineChain>;
  readonly commitRegister: Address;
  /** Sends `commit(assetCid, commitData)` from `account` directly (so the CID is in the input) and waits for it. */
  commit(
    account: PrivateKeyAccount | ReturnType<typeof devAccount>,
    assetCid: string,
    commitData: string,
  ): Promise<{ transactionHash: Hex; blockNumber: bigint }>;
  blockNumber(): Promise<bigint>;
}

export interface TestNetwork {
  /** Base (31337) as a LocalChain, for the anchoring helpers (pipelineContext, clients, registerTenantFor). */
  readonly base: LocalChain;
  readonly numbers: LocalNumbers;
  /** A temporary directory holding Ignition's output, chain-31337/ and chain-31338/. */
  readonly deploymentsDir: string;
  /** What the indexer needs to find these chains and contracts (POP_INDEXER_*, PONDER_RPC_URL_<id>). */
  readonly indexerEnv: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

const localChain = (id: number, name: string, url: string) =>
  defineChain({
    id,
    name,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });

/**
 * The two local stand-ins of `npm start` (scripts/demo/localNetwork.ts) on free
 * ports, deployed with the project's Ignition modules into a temporary
 * deployments directory: nothing collides with a running `npm start` or with
 * ignition/deployments/.
 */
export async function startTestNetwork(): Promise<TestNetwork> {
  const deploymentsDir = await mkdtemp(join(tmpdir(), "pop-deployments-"));
  let local: Awaited<ReturnType<typeof startLocalNetwork>>;
  try {
    local = await startLocalNetwork({ ports: { base: 0, numbers: 0 }, deploymentsDir });
  } catch (error) {
    await rm(deploymentsDir, { recursive: true, force: true });
    throw error;
  }
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= local.close().finally(() => rm(deploymentsDir, { recursive: true, force: true }));
    return closed;
  };
  const baseChain = localChain(31337, "Base (local stand-in)", local.baseUrl);
  const numbersChain = localChain(31338, "Numbers (local stand-in)", local.numbersUrl);
  const numbersClient = createPublicClient({ chain: numbersChain, transport: http(local.numbersUrl) });
  return {
    base: { url: local.baseUrl, chain: baseChain, registry: local.registry, close },
    numbers: {
      url: local.numbersUrl,
      chain: numbersChain,
      commitRegister: local.commitRegister,
      async commit(account, assetCid, commitData) {
        const wallet = createWalletClient({ account, chain: numbersChain, transport: http(local.numbersUrl) });
        const hash = await wallet.writeContract({
          address: local.commitRegister,
          abi: commitRegisterAbi,
          functionName: "commit",
          args: [assetCid, commitData],
        });
        const receipt = await numbersClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
        if (receipt.status !== "success") throw new Error(`commit of ${assetCid} reverted`);
        return { transactionHash: hash, blockNumber: receipt.blockNumber };
      },
      blockNumber: () => numbersClient.getBlockNumber({ cacheTime: 0 }),
    },
    deploymentsDir,
    indexerEnv: {
      POP_INDEXER_NETWORK: "local",
      POP_INDEXER_DEPLOYMENTS_DIR: deploymentsDir,
      PONDER_RPC_URL_31337: local.baseUrl,
      PONDER_RPC_URL_31338: local.numbersUrl,
    },
    close,
  };
}
