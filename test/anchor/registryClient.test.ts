import { expect } from "chai";
import {
  type Address,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  encodeErrorResult,
  type Hex,
  http,
  TimeoutError,
  toHex,
  zeroAddress,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { base } from "viem/chains";
import { DEV_KEYS } from "../../scripts/demo/accounts.ts";
import { processAnchorRegistryAbi } from "../../src/anchor/abi.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";
import {
  acceptTenantAdmin,
  type RegistryClients,
  registerSigningKey,
  registerTenant,
  revokeSigningKey,
  setAnchorSigner,
  transferTenantAdmin,
} from "../../src/anchor/registryClient.ts";
import { describeRegistryError, RegistryError } from "../../src/anchor/registryErrors.ts";
import { isAnchorSigner, readSigningKey, readTenant } from "../../src/anchor/registryReads.ts";
import { BaseError } from "../../src/errors.ts";
import { type LocalChain, startLocalBase } from "../helpers/localChain.ts";

const key = (i: number) => DEV_KEYS[i] as Hex;
const addressOf = (i: number) => privateKeyToAccount(key(i)).address;
const DAY = 86_400n;
const publicClientOf = (chain: LocalChain) => createPublicClient({ chain: chain.chain, transport: http(chain.url) });

/** What a call threw, checked to be a RegistryError. */
async function rejection(promise: Promise<unknown>): Promise<RegistryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "the call should have failed").to.be.instanceOf(RegistryError);
  return error as RegistryError;
}

describe("registry client (viem, against a local Base JSON-RPC chain)", () => {
  let chain: LocalChain;
  let publicClient: ReturnType<typeof publicClientOf>;
  let registry: Address;
  let registrar: RegistryClients;
  let admin: RegistryClients;
  let other: RegistryClients;
  let counter = 0;
  const freshTenant = () => `studio-${++counter}`;

  function clientsFor(i: number): RegistryClients {
    const walletClient = createWalletClient({
      account: privateKeyToAccount(key(i)),
      chain: chain.chain,
      transport: http(chain.url),
    });
    return { walletClient, publicClient };
  }

  async function now(): Promise<bigint> {
    return (await publicClient.getBlock()).timestamp;
  }

  /** A tenant whose admin is account 1. */
  async function tenantWithAdmin(): Promise<string> {
    const tenantId = freshTenant();
    await registerTenant(registrar, { registry, tenantId, admin: addressOf(1) });
    return tenantId;
  }

  before(async () => {
    chain = await startLocalBase();
    publicClient = publicClientOf(chain);
    registry = chain.registry;
    registrar = clientsFor(0);
    admin = clientsFor(1);
    other = clientsFor(2);
  });
  after(() => chain?.close());

  it("takes clients of any chain, formatters and all (viem's base)", () => {
    const clients: RegistryClients = {
      walletClient: createWalletClient({
        account: privateKeyToAccount(key(1)),
        chain: base,
        transport: http(chain.url),
      }),
      publicClient: createPublicClient({ chain: base, transport: http(chain.url) }),
    };
    expect(clients.walletClient.chain?.id).to.equal(8453);
  });

  describe("registerTenant", () => {
    it("registers the tenant with its admin and returns the mined transaction", async () => {
      const tenantId = freshTenant();
      const tx = await registerTenant(registrar, { registry, tenantId, admin: addressOf(1) });
      const receipt = await publicClient.getTransactionReceipt({ hash: tx.hash });
      expect(receipt.status).to.equal("success");
      expect(tx).to.deep.equal({
        hash: receipt.transactionHash,
        blockNumber: receipt.blockNumber,
        gasUsed: receipt.gasUsed,
      });
      expect(await readTenant(publicClient, { registry, tenantId })).to.deep.equal({
        tenantId,
        onchainId: toOnchainId(tenantId),
        registered: true,
        admin: addressOf(1),
        pendingAdmin: null,
        anchorCount: 0n,
      });
    });

    it("reads an unknown tenant as not registered", async () => {
      const tenant = await readTenant(publicClient, { registry, tenantId: "nobody" });
      expect(tenant).to.include({ registered: false, admin: null, pendingAdmin: null, anchorCount: 0n });
    });

    describe("when the caller is not the registrar", () => {
      it("fails with NotRegistrar in plain words, before anything is sent", async () => {
        const nonce = await publicClient.getTransactionCount({ address: addressOf(2) });
        const error = await rejection(
          registerTenant(other, { registry, tenantId: freshTenant(), admin: addressOf(2) }),
        );
        expect(error.errorName).to.equal("NotRegistrar");
        expect(error.shortMessage).to.equal(
          `${addressOf(2)} is not the registrar; only the registrar registers tenants.`,
        );
        expect(error.retryable).to.equal(false);
        expect(error).to.be.instanceOf(BaseError);
        expect(await publicClient.getTransactionCount({ address: addressOf(2) })).to.equal(nonce);
      });
    });

    describe("when the tenant is registered already", () => {
      it("fails with TenantAlreadyRegistered, naming the tenant by its string id", async () => {
        const tenantId = await tenantWithAdmin();
        const error = await rejection(registerTenant(registrar, { registry, tenantId, admin: addressOf(2) }));
        expect(error.errorName).to.equal("TenantAlreadyRegistered");
        expect(error.shortMessage).to.equal(`Tenant "${tenantId}" is already registered.`);
        expect(error.args).to.deep.equal([toOnchainId(tenantId)]);
      });
    });

    describe("when the admin is the zero address", () => {
      it("fails with ZeroAddress", async () => {
        const error = await rejection(
          registerTenant(registrar, { registry, tenantId: freshTenant(), admin: zeroAddress }),
        );
        expect(error.errorName).to.equal("ZeroAddress");
        expect(error.shortMessage).to.equal("The zero address was given where an account is required.");
      });
    });

    describe("when the address has no contract", () => {
      it("refuses to send a transaction that would do nothing", async () => {
        const error = await rejection(
          registerTenant(registrar, { registry: addressOf(4), tenantId: freshTenant(), admin: addressOf(1) }),
        );
        expect(error.shortMessage).to.equal(`There is no contract at ${addressOf(4)} on this network.`);
      });
    });
  });

  describe("setAnchorSigner", () => {
    it("allows and then disallows a signer", async () => {
      const tenantId = await tenantWithAdmin();
      const signer = addressOf(3);
      expect(await isAnchorSigner(publicClient, { registry, tenantId, signer })).to.equal(false);
      await setAnchorSigner(admin, { registry, tenantId, signer, allowed: true });
      expect(await isAnchorSigner(publicClient, { registry, tenantId, signer })).to.equal(true);
      await setAnchorSigner(admin, { registry, tenantId, signer, allowed: false });
      expect(await isAnchorSigner(publicClient, { registry, tenantId, signer })).to.equal(false);
    });

    describe("when the tenant was never registered", () => {
      it("fails with NotTenantAdmin, the contract's answer, and says the tenant is not registered", async () => {
        const tenantId = freshTenant();
        const error = await rejection(
          setAnchorSigner(admin, { registry, tenantId, signer: addressOf(3), allowed: true }),
        );
        expect(error.errorName).to.equal("NotTenantAdmin");
        expect(error.details).to.equal(`Tenant "${tenantId}" is not registered.`);
      });
    });

    describe("when the caller is not the tenant's admin", () => {
      it("fails with NotTenantAdmin, naming the caller and the tenant", async () => {
        const tenantId = await tenantWithAdmin();
        const error = await rejection(
          setAnchorSigner(other, { registry, tenantId, signer: addressOf(3), allowed: true }),
        );
        expect(error.errorName).to.equal("NotTenantAdmin");
        expect(error.shortMessage).to.equal(`${addressOf(2)} is not the admin of tenant "${tenantId}".`);
        expect(error.details).to.equal(`The admin of tenant "${tenantId}" is ${addressOf(1)}.`);
      });
    });
  });

  describe("registerSigningKey", () => {
    const publicKey = toHex(new Uint8Array(32).fill(7));

    it("records the public key and its validity window", async () => {
      const tenantId = await tenantWithAdmin();
      const validFrom = await now();
      await registerSigningKey(admin, {
        registry,
        tenantId,
        keyId: "studio-key",
        publicKey,
        validFrom,
        validUntil: validFrom + 365n * DAY,
      });
      expect(await readSigningKey(publicClient, { registry, tenantId, keyId: "studio-key" })).to.deep.equal({
        publicKey,
        validFrom,
        validUntil: validFrom + 365n * DAY,
        revokedAt: 0n,
        revocationRecordedAt: 0n,
      });
    });

    it("reads an unknown key id as null", async () => {
      const tenantId = await tenantWithAdmin();
      expect(await readSigningKey(publicClient, { registry, tenantId, keyId: "nope" })).to.equal(null);
    });

    describe("when the key id is registered already", () => {
      it("fails with SigningKeyAlreadyRegistered", async () => {
        const tenantId = await tenantWithAdmin();
        const key = { registry, tenantId, keyId: "k1", publicKey, validFrom: 1n, validUntil: 2n ** 40n };
        await registerSigningKey(admin, key);
        const error = await rejection(registerSigningKey(admin, key));
        expect(error.errorName).to.equal("SigningKeyAlreadyRegistered");
        expect(error.shortMessage).to.equal(
          `Key "k1" is already registered for tenant "${tenantId}"; a key id is registered once and never replaced.`,
        );
      });
    });

    describe("when the window is empty", () => {
      it("fails with InvalidSigningKey", async () => {
        const tenantId = await tenantWithAdmin();
        const error = await rejection(
          registerSigningKey(admin, { registry, tenantId, keyId: "k1", publicKey, validFrom: 10n, validUntil: 10n }),
        );
        expect(error.errorName).to.equal("InvalidSigningKey");
        expect(error.shortMessage).to.include("validUntil is not after validFrom");
      });
    });
  });

  describe("revokeSigningKey", () => {
    const publicKey = toHex(new Uint8Array(32).fill(9));
    let tenantId: string;
    let validFrom: bigint;
    beforeEach(async () => {
      tenantId = await tenantWithAdmin();
      validFrom = (await now()) - 30n * DAY;
      await registerSigningKey(admin, {
        registry,
        tenantId,
        keyId: "k1",
        publicKey,
        validFrom,
        validUntil: validFrom + 365n * DAY,
      });
    });

    it("records a back-dated revocation and when it was recorded", async () => {
      const revokedAt = validFrom + DAY;
      const tx = await revokeSigningKey(admin, { registry, tenantId, keyId: "k1", revokedAt });
      const block = await publicClient.getBlock({ blockNumber: tx.blockNumber });
      const record = await readSigningKey(publicClient, { registry, tenantId, keyId: "k1" });
      expect(record).to.include({ revokedAt, revocationRecordedAt: block.timestamp });
    });

    describe("when the revocation is in the future", () => {
      it("fails with InvalidRevocationTime, with the three times in ISO 8601", async () => {
        const revokedAt = (await now()) + 2n * DAY;
        const error = await rejection(revokeSigningKey(admin, { registry, tenantId, keyId: "k1", revokedAt }));
        expect(error.errorName).to.equal("InvalidRevocationTime");
        const iso = (s: bigint) => new Date(Number(s) * 1000).toISOString().replace(".000Z", "Z");
        expect(error.shortMessage).to.match(
          new RegExp(
            `^The revocation time ${iso(revokedAt)} is in the future \\(block time \\d{4}-[\\d-]+T[\\d:]+Z; the key is valid from ${iso(validFrom)}\\)\\.$`,
          ),
        );
      });
    });

    describe("when the key is revoked already", () => {
      it("fails with SigningKeyAlreadyRevoked", async () => {
        await revokeSigningKey(admin, { registry, tenantId, keyId: "k1", revokedAt: validFrom });
        const error = await rejection(
          revokeSigningKey(admin, { registry, tenantId, keyId: "k1", revokedAt: validFrom }),
        );
        expect(error.errorName).to.equal("SigningKeyAlreadyRevoked");
        expect(error.shortMessage).to.equal(`Key "k1" of tenant "${tenantId}" is already revoked.`);
      });
    });

    describe("when there is no such key", () => {
      it("fails with SigningKeyNotRegistered", async () => {
        const error = await rejection(
          revokeSigningKey(admin, { registry, tenantId, keyId: "k2", revokedAt: validFrom }),
        );
        expect(error.errorName).to.equal("SigningKeyNotRegistered");
        expect(error.shortMessage).to.equal(`Tenant "${tenantId}" has no key "k2".`);
      });
    });
  });

  describe("transferTenantAdmin and acceptTenantAdmin", () => {
    it("moves the admin role in two steps", async () => {
      const tenantId = await tenantWithAdmin();
      await transferTenantAdmin(admin, { registry, tenantId, newAdmin: addressOf(3) });
      expect(await readTenant(publicClient, { registry, tenantId })).to.include({
        admin: addressOf(1),
        pendingAdmin: addressOf(3),
      });

      const stranger = await rejection(acceptTenantAdmin(other, { registry, tenantId }));
      expect(stranger.errorName).to.equal("NotPendingTenantAdmin");
      expect(stranger.shortMessage).to.equal(
        `${addressOf(2)} is not the pending admin of tenant "${tenantId}", so it cannot accept the role.`,
      );

      await acceptTenantAdmin(clientsFor(3), { registry, tenantId });
      expect(await readTenant(publicClient, { registry, tenantId })).to.include({
        admin: addressOf(3),
        pendingAdmin: null,
      });
      const former = await rejection(
        setAnchorSigner(admin, { registry, tenantId, signer: addressOf(4), allowed: true }),
      );
      expect(former.errorName).to.equal("NotTenantAdmin");
    });
  });

  describe("describeRegistryError", () => {
    /** A sample value for each ABI type, distinct per position so each one can be found in the sentence. */
    function sample(type: string, i: number): { value: unknown; shown: string } {
      switch (type) {
        case "address": {
          const value = addressOf(i);
          return { value, shown: value };
        }
        case "bytes32":
          return { value: toOnchainId(`id-${i}`), shown: `"id-${i}"` };
        case "uint64": {
          const seconds = 1_767_225_600 + i * 3600;
          return { value: BigInt(seconds), shown: new Date(seconds * 1000).toISOString().replace(".000Z", "Z") };
        }
        case "uint256":
          return { value: BigInt(100 + i), shown: String(100 + i) };
        case "string":
          return { value: `text-${i}`, shown: `text-${i}` };
        default:
          throw new Error(`no sample for ${type}`);
      }
    }

    const errors = processAnchorRegistryAbi.filter((item) => item.type === "error");

    it("has a plain sentence for every error of the registry's ABI, showing every argument", () => {
      expect(errors.length).to.be.greaterThan(20);
      for (const item of errors) {
        const samples = item.inputs.map((input, i) => sample(input.type, i));
        const data = encodeErrorResult({
          abi: processAnchorRegistryAbi,
          errorName: item.name,
          args: samples.map((s) => s.value),
        } as Parameters<typeof encodeErrorResult>[0]);
        const revert = new ContractFunctionRevertedError({
          abi: processAnchorRegistryAbi,
          data,
          functionName: "anchor",
        });
        const error = describeRegistryError(revert, { ids: samples.map((_, i) => `id-${i}`) });
        expect(error.errorName, item.name).to.equal(item.name);
        expect(error.retryable, item.name).to.equal(false);
        expect(error.shortMessage, item.name).to.match(/^[A-Z0-9"].*[^.]\.$/s);
        expect(error.shortMessage, item.name).to.not.include("reverted");
        for (const s of samples) expect(error.shortMessage, item.name).to.include(s.shown);
      }
    });

    it("shows an id it was not told about as its hash", () => {
      const tenant = toOnchainId("unnamed");
      const data = encodeErrorResult({
        abi: processAnchorRegistryAbi,
        errorName: "TenantNotRegistered",
        args: [tenant],
      });
      const error = describeRegistryError(
        new ContractFunctionRevertedError({ abi: processAnchorRegistryAbi, data, functionName: "anchor" }),
      );
      expect(error.shortMessage).to.equal(`Tenant ${tenant} is not registered.`);
    });

    it("names an error selector the registry does not have", () => {
      const revert = new ContractFunctionRevertedError({
        abi: processAnchorRegistryAbi,
        data: "0xdeadbeef",
        functionName: "anchor",
      });
      const error = describeRegistryError(revert);
      expect(error.shortMessage).to.equal(
        "The contract reverted with error 0xdeadbeef, which the registry does not have.",
      );
      expect(error.retryable).to.equal(false);
    });

    it("marks a timeout as retryable, naming only the RPC URL's origin", () => {
      const error = describeRegistryError(new TimeoutError({ body: {}, url: "https://rpc.example/v2/secret-key" }));
      expect(error.retryable).to.equal(true);
      expect(error.shortMessage).to.equal(
        "The network at https://rpc.example did not answer: the request took too long to respond.",
      );
    });

    it("marks an unreachable network as retryable", async () => {
      const unreachable = createPublicClient({ transport: http("http://127.0.0.1:9/secret-key", { retryCount: 0 }) });
      const error = await rejection(readTenant(unreachable, { registry, tenantId: "studio-1" }));
      expect(error.retryable).to.equal(true);
      expect(error.shortMessage).to.match(/^The network at http:\/\/127\.0\.0\.1:9 did not answer/);
      expect(error.shortMessage).to.not.include("secret-key");
    });
  });
});
