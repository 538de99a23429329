import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import {
  type Abi,
  type Address,
  createPublicClient,
  createWalletClient,
  encodeAbiParameters,
  encodeFunctionData,
  getAbiItem,
  type Hex,
  http,
  type PublicClient,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { DEV_KEYS } from "../../scripts/demo/accounts.ts";
import { processAnchorRegistryAbi } from "../../src/anchor/abi.ts";
import { anchorTypedData } from "../../src/anchor/eip712.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";
import { type GatewayServer, startGateway } from "../../src/storage/gateway.ts";
import { LocalStore } from "../../src/storage/local.ts";
import { verifyAnchor } from "../../src/verify/verifyAnchor.ts";
import { accounts, clients } from "../helpers/anchorRun.ts";
import { anchorSignerFromInput } from "../helpers/inputSigner.ts";
import { type LocalChain, startLocalBase } from "../helpers/localChain.ts";
import { type Run, threeStageRun } from "../helpers/run.ts";

/** An allowed signer of the tenant that did not sign the relayed anchors: what the relay's input shows. */
const shownSigner = privateKeyToAccount(DEV_KEYS[4] as Hex);
const artifact = JSON.parse(
  readFileSync(
    new URL("../../artifacts/contracts/test/TestAnchorRelay.sol/TestAnchorRelay.json", import.meta.url),
    "utf8",
  ),
) as { abi: Abi; bytecode: Hex };
const anchorStruct = getAbiItem({ abi: processAnchorRegistryAbi, name: "anchor" }).inputs[0];

describe("the authorising signer of an anchor sent through another contract", function () {
  this.timeout(120_000);
  let chain: LocalChain;
  let dir: string;
  let store: LocalStore;
  let gateway: GatewayServer;
  let client: PublicClient;
  let relay: Address;
  let counter = 0;

  const wallet = () =>
    createWalletClient({ account: accounts.relayer, chain: chain.chain, transport: http(chain.url) });

  before(async () => {
    chain = await startLocalBase();
    dir = await mkdtemp(join(tmpdir(), "pop-relay-"));
    store = new LocalStore(dir);
    gateway = await startGateway(store);
    client = createPublicClient({ chain: chain.chain, transport: http(chain.url) }) as PublicClient;
    const hash = await wallet().deployContract({
      abi: artifact.abi,
      bytecode: artifact.bytecode,
      args: [chain.registry],
      chain: chain.chain,
    });
    relay = (await client.waitForTransactionReceipt({ hash })).contractAddress as Address;
    const { send } = clients(chain);
    const tenantId = toOnchainId("studio-aurora");
    await send(accounts.registrar, "registerTenant", [tenantId, accounts.admin.address]);
    await send(accounts.admin, "setAnchorSigner", [tenantId, accounts.signer.address, true]);
    await send(accounts.admin, "setAnchorSigner", [tenantId, shownSigner.address, true]);
    const run = await threeStageRun();
    await send(accounts.admin, "registerSigningKey", [
      tenantId,
      toOnchainId(run.signer.keyId),
      toHex(run.signer.publicKey),
      0n,
      2n ** 40n,
    ]);
  });
  after(async () => {
    await gateway.close();
    await chain.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A stored run and its anchor, signed by the true signer (accounts.signer). */
  async function signedAnchor() {
    const chainId = `9a4e2c71-3b5d-4f80-a1c2-${(++counter).toString().padStart(12, "0")}`;
    const run: Run = await threeStageRun(undefined, undefined, chainId);
    for (const packet of run.packets) await store.add(packet.bytes);
    await store.add(run.built.bytes);
    const message = {
      tenantId: toOnchainId(run.built.chainscript.tenantId),
      chainId: toOnchainId(chainId),
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
    const parameters = {
      tenantId: run.built.chainscript.tenantId,
      chainId,
      registry: chain.registry,
      gateways: [gateway.url],
      threads: 1,
    };
    return { message, signature, parameters };
  }

  async function send(functionName: "anchor" | "forward", args: readonly unknown[]) {
    const hash = await wallet().writeContract({
      address: relay,
      abi: artifact.abi,
      functionName,
      args,
      chain: chain.chain,
    });
    const receipt = await client.waitForTransactionReceipt({ hash });
    expect(receipt.status).to.equal("success");
    return client.getTransaction({ hash });
  }

  it("names the signer that signed, not the one a relay shows in its input, and fails once the tenant removes it", async () => {
    const { message, signature, parameters } = await signedAnchor();
    const payload = encodeAbiParameters([anchorStruct, { type: "bytes" }], [message, signature]);
    const transaction = await send("anchor", [{ ...message, signer: shownSigner.address }, payload]);
    // The relay's input decodes as a registry `anchor` call naming the shown signer: the input is no evidence.
    expect(anchorSignerFromInput(transaction.input, message.chainId)).to.equal(shownSigner.address);

    const report = await verifyAnchor([client], parameters);
    expect(report.verdict, JSON.stringify(report.firstFailure)).to.equal("valid");
    expect(report.anchor?.signer).to.equal(accounts.signer.address);

    const { send: admin } = clients(chain);
    await admin(accounts.admin, "setAnchorSigner", [message.tenantId, accounts.signer.address, false]);
    try {
      const removed = await verifyAnchor([client], parameters);
      expect(removed.verdict).to.equal("invalid");
      expect(removed.firstFailure).to.deep.equal({
        check: "anchor.signer",
        message: `signer ${accounts.signer.address} has since been removed by the tenant`,
      });
    } finally {
      await admin(accounts.admin, "setAnchorSigner", [message.tenantId, accounts.signer.address, true]);
    }
  });

  it("names the signer of an anchor sent through a plain forwarder, whose input names none", async () => {
    const { message, signature, parameters } = await signedAnchor();
    const call = encodeFunctionData({
      abi: processAnchorRegistryAbi,
      functionName: "anchor",
      args: [message, signature],
    });
    const transaction = await send("forward", [call]);
    expect(anchorSignerFromInput(transaction.input, message.chainId)).to.equal(undefined);

    const report = await verifyAnchor([client], parameters);
    expect(report.verdict, JSON.stringify(report.firstFailure)).to.equal("valid");
    expect(report.anchor?.signer).to.equal(accounts.signer.address);
    expect(report.checks.find((c) => c.id === "anchor.signer")).to.deep.include({ status: "pass", checked: 1 });
  });
});
