import { network } from "hardhat";
import { type Hex, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { type AnchorMessage, anchorTypedData } from "../../src/anchor/eip712.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";

export const BASE_URI = "http://127.0.0.1:42069/metadata/{id}.json";
export const TENANT = toOnchainId("studio-aurora");

/** A registry on a fresh simulated OP chain, with one tenant whose admin allowed one viem signer (random unless given). */
export async function deployRegistry(signerKey: Hex = generatePrivateKey()) {
  const connection = await network.create({
    network: "baseLocal",
    chainType: "op",
    override: { initialDate: new Date() },
  });
  const { ethers } = connection;
  const [registrar, admin, relayer, other] = await ethers.getSigners();
  if (!registrar || !admin || !relayer || !other) throw new Error("the simulated network has too few accounts");
  const registry = await ethers.deployContract("ProcessAnchorRegistry", [BASE_URI, registrar.address]);
  await registry.registerTenant(TENANT, admin.address);
  const signer = privateKeyToAccount(signerKey);
  await registry.connect(admin).setAnchorSigner(TENANT, signer.address, true);
  const { chainId } = await ethers.provider.getNetwork();
  const domain = { chainId: Number(chainId), verifyingContract: (await registry.getAddress()) as Hex };
  return { connection, ethers, registry, registrar, admin, relayer, other, signer, domain };
}

let counter = 0;

/** An anchor message for a fresh chain of the test tenant. */
export function anchorMessage(signer: Hex, overrides: Partial<AnchorMessage> = {}): AnchorMessage {
  counter += 1;
  return {
    tenantId: TENANT,
    chainId: toOnchainId(`7c9e6679-7425-40de-944b-${counter.toString().padStart(12, "0")}`),
    chainHash: toHex(counter, { size: 32 }),
    ipfsCid: "bafkreida2mxsmeaxqixxkmcmce6o4kzfd3qehcrtbvkyu4ya7eg7vst4fu",
    signer,
    recipient: "0x0000000000000000000000000000000000000000",
    amount: 0n,
    deadline: 2n ** 40n,
    ...overrides,
  };
}

export type Account = ReturnType<typeof privateKeyToAccount>;

export function sign(account: Account, domain: { chainId: number; verifyingContract: Hex }, message: AnchorMessage) {
  return account.signTypedData(anchorTypedData(domain, message));
}
