import { expect } from "chai";
import fc from "fast-check";
import { encodeAbiParameters, type Hex, keccak256, pad, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { certificateId, resolveCertificateUri } from "../../src/anchor/certificate.ts";
import { anchorDigest, anchorTypes, REGISTRY_DOMAIN_NAME, REGISTRY_DOMAIN_VERSION } from "../../src/anchor/eip712.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";
import { anchorMessage, BASE_URI, deployRegistry, sign, TENANT } from "./helpers.ts";

type Deployment = Awaited<ReturnType<typeof deployRegistry>>;

describe("ProcessAnchorRegistry (TypeScript)", () => {
  let d: Deployment;
  beforeEach(async () => {
    d = await deployRegistry();
  });
  afterEach(() => d.connection.close());

  describe("the EIP-712 definition in src/anchor", () => {
    it("names the contract's domain and version", async () => {
      const [, name, version, chainId, verifyingContract] = await d.registry.eip712Domain();
      expect([name, version, Number(chainId), verifyingContract]).to.deep.equal([
        REGISTRY_DOMAIN_NAME,
        REGISTRY_DOMAIN_VERSION,
        d.domain.chainId,
        d.domain.verifyingContract,
      ]);
      expect(await d.registry.version()).to.equal(REGISTRY_DOMAIN_VERSION);
    });

    it("has the contract's typehash", async () => {
      const fields = anchorTypes.Anchor.map((f) => `${f.type} ${f.name}`).join(",");
      expect(await d.registry.anchorTypehash()).to.equal(keccak256(new TextEncoder().encode(`Anchor(${fields})`)));
    });

    it("gives the same digest as the contract for any anchor", async () => {
      const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b));
      const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => toHex(b));
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            tenantId: bytes32,
            chainId: bytes32,
            chainHash: bytes32,
            ipfsCid: fc.string({ unit: "grapheme", maxLength: 80 }),
            signer: address,
            recipient: address,
            amount: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
            deadline: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
          }),
          async (message) => {
            expect(await d.registry.anchorDigest(message)).to.equal(anchorDigest(d.domain, message));
          },
        ),
        { seed: 712, numRuns: 40 },
      );
    });
  });

  describe("anchor", () => {
    it("accepts a signature relayed by another account and emits AnchorAuthorised naming the signer, then exactly ProcessAnchored", async () => {
      const message = anchorMessage(d.signer.address);
      const signature = await sign(d.signer, d.domain, message);
      const tx = await d.registry.connect(d.relayer).anchor(message, signature);
      const receipt = await tx.wait();
      const block = await d.ethers.provider.getBlock(receipt?.blockNumber ?? 0);
      const logs = receipt?.logs ?? [];
      expect(logs).to.have.length(2);
      // The relayer sent it, and the registry names the signer who authorised it.
      const authorised = keccak256(new TextEncoder().encode("AnchorAuthorised(bytes32,bytes32,address)"));
      expect(logs[0]?.topics).to.deep.equal([
        authorised,
        message.tenantId,
        message.chainId,
        pad(d.signer.address.toLowerCase() as Hex),
      ]);
      const topic0 = keccak256(new TextEncoder().encode("ProcessAnchored(bytes32,bytes32,bytes32,string,uint256)"));
      expect(logs[1]?.topics).to.deep.equal([topic0, message.tenantId, message.chainId]);
      const parsed = d.registry.interface.parseLog(logs[1] as unknown as { topics: string[]; data: string });
      expect(parsed?.name).to.equal("ProcessAnchored");
      expect([...(parsed?.args ?? [])]).to.deep.equal([
        message.tenantId,
        message.chainId,
        message.chainHash,
        message.ipfsCid,
        BigInt(block?.timestamp ?? 0),
      ]);
      expect(await d.registry.anchorCount(TENANT)).to.equal(1n);
      expect(await d.registry.anchorBlock(TENANT, message.chainId)).to.equal(BigInt(receipt?.blockNumber ?? 0));
    });

    it("rejects a signature by a key that is not the named signer", async () => {
      const message = anchorMessage(d.signer.address);
      const signature = await sign(privateKeyToAccount(generatePrivateKey()), d.domain, message);
      await expect(d.registry.anchor(message, signature))
        .to.be.revertedWithCustomError(d.registry, "InvalidAnchorSignature")
        .withArgs(TENANT, d.signer.address);
    });

    it("refuses a second anchor of the same chain, and a replayed signature", async () => {
      const message = anchorMessage(d.signer.address);
      const signature = await sign(d.signer, d.domain, message);
      await d.registry.anchor(message, signature);
      await expect(d.registry.anchor(message, signature))
        .to.be.revertedWithCustomError(d.registry, "AnchorAlreadyExists")
        .withArgs(TENANT, message.chainId);
    });
  });

  describe("ERC-1271 contract wallets", () => {
    it("authorise anchors with their owner's signature, and only with it", async () => {
      const owner = privateKeyToAccount(generatePrivateKey());
      const wallet = await d.ethers.deployContract("TestErc1271Wallet", [owner.address]);
      const walletAddress = (await wallet.getAddress()) as Hex;
      await d.registry.connect(d.admin).setAnchorSigner(TENANT, walletAddress, true);

      const message = anchorMessage(walletAddress);
      await d.registry.connect(d.relayer).anchor(message, await sign(owner, d.domain, message));
      expect(await d.registry.anchorBlock(TENANT, message.chainId)).to.not.equal(0n);

      const forged = anchorMessage(walletAddress);
      await expect(d.registry.anchor(forged, await sign(privateKeyToAccount(generatePrivateKey()), d.domain, forged)))
        .to.be.revertedWithCustomError(d.registry, "InvalidAnchorSignature")
        .withArgs(TENANT, walletAddress);
    });
  });

  describe("certificates", () => {
    it("mint to the signed recipient under uint256(keccak256(abi.encode(tenantId, chainId)))", async () => {
      const recipient = d.other.address as Hex;
      const message = anchorMessage(d.signer.address, { recipient, amount: 3n });
      await d.registry.connect(d.relayer).anchor(message, await sign(d.signer, d.domain, message));
      const id = certificateId(message.tenantId, message.chainId);
      expect(id).to.equal(
        BigInt(
          keccak256(
            encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32" }], [message.tenantId, message.chainId]),
          ),
        ),
      );
      expect(await d.registry.certificateId(message.tenantId, message.chainId)).to.equal(id);
      expect(await d.registry.balanceOf(recipient, id)).to.equal(3n);
      expect(await d.registry.balanceOf(d.relayer.address, id)).to.equal(0n);
    });

    it("resolve their uri template to the audit API's metadata route", async () => {
      const id = certificateId(TENANT, toOnchainId("7c9e6679-7425-40de-944b-e07fc1f90ae7"));
      const template = await d.registry.uri(id);
      expect(template).to.equal(BASE_URI);
      const url = resolveCertificateUri(template, id);
      expect(url).to.equal(`http://127.0.0.1:42069/metadata/${id.toString(16).padStart(64, "0")}.json`);
      expect(url).to.match(/\/metadata\/[0-9a-f]{64}\.json$/);
    });

    it("are not minted when the amount is zero", async () => {
      const message = anchorMessage(d.signer.address, { recipient: d.other.address as Hex, amount: 0n });
      await d.registry.anchor(message, await sign(d.signer, d.domain, message));
      expect(await d.registry.balanceOf(d.other.address, certificateId(message.tenantId, message.chainId))).to.equal(
        0n,
      );
    });
  });
});
