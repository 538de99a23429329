import { readFileSync } from "node:fs";
import { network } from "hardhat";
import { type Address, createPublicClient, createWalletClient, defineChain, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { DEV_KEYS } from "../../scripts/demo/accounts.ts";
import { commitRegisterAbi, processAnchorRegistryAbi } from "../../src/anchor/abi.ts";

export interface LocalChain {
  /** JSON-RPC URL on 127.0.0.1. */
  readonly url: string;
  readonly chain: ReturnType<typeof defineChain>;
  readonly registry: Address;
  close(): Promise<void>;
}

/**
 * A simulated Base (chain 31337, `op`) served as a real JSON-RPC server on a
 * free port, with the registry deployed by account 0 (also the registrar).
 */
export async function startLocalBase(): Promise<LocalChain> {
  // Hardhat fixes a simulated chain's genesis time when it resolves its config (at process start): a chain
  // created minutes into a test run would then lag the wall clock by those minutes, and packets dated now
  // would look dated after their anchor. Each chain starts at the time it is created.
  const server = await network.createServer(
    { network: "baseLocal", chainType: "op", override: { initialDate: new Date() } },
    "127.0.0.1",
    0,
  );
  const { address, port } = await server.listen();
  const url = `http://${address}:${port}`;
  const chain = defineChain({
    id: 31337,
    name: "Base (local stand-in)",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  const deployer = privateKeyToAccount(DEV_KEYS[0] as Hex);
  const wallet = createWalletClient({ account: deployer, chain, transport: http(url) });
  const client = createPublicClient({ chain, transport: http(url) });
  const artifact = JSON.parse(
    readFileSync(
      new URL("../../artifacts/contracts/ProcessAnchorRegistry.sol/ProcessAnchorRegistry.json", import.meta.url),
      "utf8",
    ),
  ) as { bytecode: Hex };
  const hash = await wallet.deployContract({
    abi: processAnchorRegistryAbi,
    bytecode: artifact.bytecode,
    args: ["http://127.0.0.1:42069/metadata/{id}.json", deployer.address],
  });
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (!receipt.contractAddress) throw new Error("the registry was not deployed");
  return { url, chain, registry: receipt.contractAddress, close: () => server.close() };
}

export interface LocalNumbersChain {
  /** JSON-RPC URL on 127.0.0.1. */
  readonly url: string;
  readonly chain: ReturnType<typeof defineChain>;
  /** The ERC-7053 CommitRegister. */
  readonly commitRegister: Address;
  close(): Promise<void>;
}

/**
 * A simulated Numbers Mainnet (chain 31338, `l1`) served as a real JSON-RPC
 * server on a free port, with the CommitRegister deployed by account 0.
 */
export async function startLocalNumbers(): Promise<LocalNumbersChain> {
  const server = await network.createServer(
    { network: "numbersLocal", chainType: "l1", override: { initialDate: new Date() } },
    "127.0.0.1",
    0,
  );
  const { address, port } = await server.listen();
  const url = `http://${address}:${port}`;
  const chain = defineChain({
    id: 31338,
    name: "Numbers (local stand-in)",
    nativeCurrency: { name: "NUM", symbol: "NUM", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  const deployer = privateKeyToAccount(DEV_KEYS[0] as Hex);
  const wallet = createWalletClient({ account: deployer, chain, transport: http(url) });
  const client = createPublicClient({ chain, transport: http(url) });
  const artifact = JSON.parse(
    readFileSync(new URL("../../artifacts/contracts/CommitRegister.sol/CommitRegister.json", import.meta.url), "utf8"),
  ) as { bytecode: Hex };
  const hash = await wallet.deployContract({ abi: commitRegisterAbi, bytecode: artifact.bytecode });
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (!receipt.contractAddress) {
    await server.close();
    throw new Error("the commit register was not deployed");
  }
  return { url, chain, commitRegister: receipt.contractAddress, close: () => server.close() };
}
