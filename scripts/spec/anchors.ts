/** On-chain vectors (spec/vectors/anchors.json): ids, the EIP-712 `Anchor` digest and certificate ids. */
import { type Address, type Hex, hashDomain, hashStruct, keccak256, stringToBytes } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { certificateId } from "../../src/anchor/certificate.ts";
import {
  type AnchorMessage,
  anchorDigest,
  anchorTypedData,
  anchorTypes,
  registryDomain,
} from "../../src/anchor/eip712.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";
import type { Chainscript } from "../../src/chainscript/chainscript.ts";
import type { ChainscriptVector } from "./chainscripts.ts";

/**
 * Hardhat's and Anvil's first development account: a published test key, so
 * that anyone can reproduce the signatures. Never fund it on a real network.
 */
export const TEST_ANCHOR_SIGNER_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

const ANCHOR_TYPE =
  "Anchor(bytes32 tenantId,bytes32 chainId,bytes32 chainHash,string ipfsCid,address signer,address recipient,uint256 amount,uint64 deadline)";
const DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";

const EIP712_DOMAIN = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
] as const;

const DOMAINS: readonly { chainId: number; verifyingContract: Address; note: string }[] = [
  { chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3", note: "local Base stand-in" },
  {
    chainId: 84532,
    verifyingContract: "0x1111111111111111111111111111111111111111",
    note: "Base Sepolia (example address)",
  },
  { chainId: 8453, verifyingContract: "0x2222222222222222222222222222222222222222", note: "Base (example address)" },
];

/** JSON has no bigint: amounts and deadlines are decimal strings. */
function messageJson(message: AnchorMessage) {
  return { ...message, amount: message.amount.toString(), deadline: message.deadline.toString() };
}

export async function anchorVectors(chains: readonly ChainscriptVector[]) {
  const account = privateKeyToAccount(TEST_ANCHOR_SIGNER_KEY);
  const ids = ["studio-aurora", "legal-team", "atelier-ünïcode", "studio-key-2026"];
  const anchors = [];
  const certificates = [];
  for (const vector of chains) {
    const chain = JSON.parse(vector.chainscript) as Chainscript;
    ids.push(chain.chainId);
    const tenantId = toOnchainId(chain.tenantId);
    const chainId = toOnchainId(chain.chainId);
    certificates.push({ tenantId, chainId, id: certificateId(tenantId, chainId).toString() });
  }
  // One anchor per domain, so every separator is exercised; with and without a certificate.
  for (const [i, domain] of DOMAINS.entries()) {
    const vector = chains[i % chains.length] as ChainscriptVector;
    const chain = JSON.parse(vector.chainscript) as Chainscript;
    const message: AnchorMessage = {
      tenantId: toOnchainId(chain.tenantId),
      chainId: toOnchainId(chain.chainId),
      chainHash: `0x${chain.chainHash}`,
      ipfsCid: vector.cid,
      signer: account.address,
      recipient: i === 1 ? "0x0000000000000000000000000000000000000000" : "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      amount: i === 1 ? 0n : BigInt(i + 1),
      deadline: 1_767_230_000n + BigInt(i),
    };
    anchors.push({
      chainscript: vector.name,
      domain: { chainId: domain.chainId, verifyingContract: domain.verifyingContract },
      message: messageJson(message),
      structHash: hashStruct({ data: message, primaryType: "Anchor", types: anchorTypes }),
      digest: anchorDigest(domain, message),
      signature: await account.signTypedData(anchorTypedData(domain, message)),
    });
  }
  return {
    onchainIds: ids.map((text) => ({
      text,
      utf8: Buffer.from(stringToBytes(text)).toString("hex"),
      id: toOnchainId(text),
    })),
    eip712: {
      anchorType: ANCHOR_TYPE,
      anchorTypeHash: keccak256(stringToBytes(ANCHOR_TYPE)),
      domainType: DOMAIN_TYPE,
      domainTypeHash: keccak256(stringToBytes(DOMAIN_TYPE)),
      domains: DOMAINS.map((d) => {
        const domain = registryDomain(d);
        return {
          ...domain,
          note: d.note,
          // viem types an explicit EIP712Domain's uint256 chainId as a bigint.
          separator: hashDomain({
            domain: { ...domain, chainId: BigInt(domain.chainId) },
            types: { EIP712Domain: EIP712_DOMAIN },
          }),
        };
      }),
      signerPrivateKey: TEST_ANCHOR_SIGNER_KEY,
      signerAddress: account.address,
      anchors,
    },
    certificates,
  };
}
