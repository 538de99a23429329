import { createPublicClient, createWalletClient, type Hex, http, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { DEV_KEYS } from "../../scripts/demo/accounts.ts";
import { processAnchorRegistryAbi } from "../../src/anchor/abi.ts";
import { anchorTypedData } from "../../src/anchor/eip712.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";
import type { LocalStore } from "../../src/storage/local.ts";
import type { LocalChain } from "./localChain.ts";
import type { Run } from "./run.ts";

/** Dev accounts: 0 registrar, 1 tenant admin, 2 anchor signer, 3 relayer. */
export const accounts = {
  registrar: privateKeyToAccount(DEV_KEYS[0] as Hex),
  admin: privateKeyToAccount(DEV_KEYS[1] as Hex),
  signer: privateKeyToAccount(DEV_KEYS[2] as Hex),
  relayer: privateKeyToAccount(DEV_KEYS[3] as Hex),
};

export function clients(chain: LocalChain) {
  const transport = http(chain.url);
  const publicClient = createPublicClient({ chain: chain.chain, transport });
  const wallet = (account: ReturnType<typeof privateKeyToAccount>) =>
    createWalletClient({ account, chain: chain.chain, transport });
  const send = async (
    account: ReturnType<typeof privateKeyToAccount>,
    functionName: string,
    args: readonly unknown[],
  ) => {
    const hash = await wallet(account).writeContract({
      address: chain.registry,
      abi: processAnchorRegistryAbi,
      functionName,
      args,
    } as never);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
    return receipt;
  };
  return { publicClient, send };
}

/** Registers the run's tenant with its Ed25519 key and an anchor signer, stores the run, and anchors it. */
export async function registerAndAnchor(
  chain: LocalChain,
  run: Run,
  store: LocalStore,
  options: { revokeKeyFirst?: boolean } = {},
) {
  const { publicClient, send } = clients(chain);
  const tenant = run.built.chainscript.tenantId;
  const tenantId = toOnchainId(tenant);
  const { admin } = await publicClient
    .readContract({
      address: chain.registry,
      abi: processAnchorRegistryAbi,
      functionName: "tenantAdmin",
      args: [tenantId],
    })
    .then(([a]) => ({ admin: a }));
  if (/^0x0+$/.test(admin)) {
    await send(accounts.registrar, "registerTenant", [tenantId, accounts.admin.address]);
    await send(accounts.admin, "setAnchorSigner", [tenantId, accounts.signer.address, true]);
  }
  // Each run's key is registered once per tenant.
  const keyId = toOnchainId(run.signer.keyId);
  const key = await publicClient.readContract({
    address: chain.registry,
    abi: processAnchorRegistryAbi,
    functionName: "signingKey",
    args: [tenantId, keyId],
  });
  if (/^0x0+$/.test(key.publicKey)) {
    await send(accounts.admin, "registerSigningKey", [tenantId, keyId, toHex(run.signer.publicKey), 0n, 2n ** 40n]);
  }
  if (options.revokeKeyFirst) await send(accounts.admin, "revokeSigningKey", [tenantId, keyId, 1_000_000n]);
  for (const packet of run.packets) await store.add(packet.bytes);
  await store.add(run.built.bytes);
  const message = {
    tenantId,
    chainId: toOnchainId(run.built.chainscript.chainId),
    chainHash: `0x${run.built.chainscript.chainHash}` as Hex,
    ipfsCid: run.built.cid,
    signer: accounts.signer.address,
    recipient: accounts.admin.address,
    amount: 0n,
    deadline: 2n ** 40n,
  };
  const signature = await accounts.signer.signTypedData(
    anchorTypedData({ chainId: chain.chain.id, verifyingContract: chain.registry }, message),
  );
  return send(accounts.relayer, "anchor", [message, signature]);
}
