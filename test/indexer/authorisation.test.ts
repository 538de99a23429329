import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import {
  type Abi,
  type Address,
  createWalletClient,
  decodeFunctionData,
  encodeAbiParameters,
  getAbiItem,
  type Hex,
  http,
  type LocalAccount,
  toHex,
} from "viem";
import { processAnchorRegistryAbi } from "../../src/anchor/abi.ts";
import { readDeployment } from "../../src/anchor/deployments.ts";
import { anchorTypedData } from "../../src/anchor/eip712.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";
import { signerFromSeed } from "../../src/keys/fileSigner.ts";
import type { Signer } from "../../src/keys/signer.ts";
import { type GatewayServer, startGateway } from "../../src/storage/gateway.ts";
import { LocalStore } from "../../src/storage/local.ts";
import { accounts, clients } from "../helpers/anchorRun.ts";
import { describeOneDatabase } from "../helpers/databases.ts";
import { hashOf } from "../helpers/fixtures.ts";
import { type Indexer, startIndexer } from "../helpers/indexer.ts";
import { devAccount, startTestNetwork, type TestNetwork } from "../helpers/localNetwork.ts";
import { type Run, threeStageRun } from "../helpers/run.ts";

/**
 * The real indexer on who authorised an anchor and on verdicts that follow the
 * registry: a run relayed by a contract whose calldata names another signer is
 * indexed with the signer the registry's AnchorAuthorised names; removing that
 * signer, or revoking a key with an effective time before the packets' times,
 * sends exactly the anchors concerned back to `pending`, and the next
 * VerificationRetry beat judges them against the registry as it is then.
 * Handlers and verdicts do not depend on the engine Ponder writes to (indexer.test.ts runs the indexer end to
 * end on both), so this suite runs on one: the Postgres server when there is one, else PGlite.
 */

const TENANT = "studio-aurora";
/** The packets of threeStageRun are dated 1_767_225_600_123 ms on: an hour before, in seconds. */
const BEFORE_THE_PACKETS = 1_767_222_000n;
/** The local retry beat (indexer/src/network.ts). */
const BEAT = 5n;

const lower = (value: string) => value.toLowerCase() as Hex;

interface AnchorRow {
  id: string;
  signer: Hex | null;
  submitter: Hex;
  transactionHash: Hex;
  status: string;
  failedCheck: string | null;
  attempts: number;
  verifiedBlock: string;
}

const ANCHORS_QUERY = `{
  anchors(limit: 100) { items { id signer submitter transactionHash status failedCheck attempts verifiedBlock } }
}`;

describeOneDatabase("indexer: the registry's AnchorAuthorised, and verdicts that follow the registry", (target) => {
  let network: TestNetwork;
  let dir: string;
  let store: LocalStore;
  let gateway: GatewayServer;
  let indexer: Indexer;
  let startBlock: bigint;
  let relay: Address;

  const tenantId = toOnchainId(TENANT);
  /** Revoked in the last test: it signs one run's packets and another run's chainscript. */
  const leakedKey = signerFromSeed("aurora-key-leaked", hashOf("leaked seed"));
  const key = signerFromSeed("aurora-key-2026", hashOf("aurora seed"));
  /** Authorises the relayed anchor; the relay's calldata names accounts.signer instead. */
  const relayedSigner = devAccount(14);
  const runs: Record<string, { run: Run; id: string; transactionHash: Hex }> = {};

  const base = () => clients(network.base);
  const head = async () => ({
    base: await base().publicClient.getBlockNumber({ cacheTime: 0 }),
    numbers: await network.numbers.blockNumber(),
  });
  const mine = () => base().publicClient.request({ method: "evm_mine" } as never);
  const isBeat = (block: bigint) => (block - startBlock) % BEAT === 0n;
  /** Mines a block if the next one would be a beat: a change sent next is seen pending before a beat judges it. */
  async function offBeat(): Promise<void> {
    if (isBeat((await base().publicClient.getBlockNumber({ cacheTime: 0 })) + 1n)) await mine();
  }
  /** Mines up to the next beat block and waits until the indexer has indexed it. */
  async function nextBeat(): Promise<void> {
    do await mine();
    while (!isBeat(await base().publicClient.getBlockNumber({ cacheTime: 0 })));
    await indexer.waitFor(await head(), 90_000);
  }
  const rows = async () => {
    const { anchors } = await indexer.graphql<{ anchors: { items: AnchorRow[] } }>(ANCHORS_QUERY);
    return Object.fromEntries(
      Object.entries(runs).map(([label, { id }]) => [label, anchors.items.find((a) => a.id === id)]),
    );
  };

  /** The run's anchor, with `signer`'s EIP-712 signature, after publishing its content. */
  async function signedAnchor(run: Run, signer: LocalAccount) {
    for (const packet of run.packets) await store.add(packet.bytes);
    await store.add(run.built.bytes);
    const message = {
      tenantId,
      chainId: toOnchainId(run.built.chainscript.chainId),
      chainHash: `0x${run.built.chainscript.chainHash}` as Hex,
      ipfsCid: run.built.cid,
      signer: signer.address,
      recipient: accounts.admin.address,
      amount: 0n,
      deadline: 2n ** 40n,
    };
    const signature = await signer.signTypedData(
      anchorTypedData({ chainId: network.base.chain.id, verifyingContract: network.base.registry }, message),
    );
    return { message, signature };
  }

  async function anchorDirectly(label: string, run: Run): Promise<void> {
    const { message, signature } = await signedAnchor(run, accounts.signer);
    const receipt = await base().send(accounts.relayer, "anchor", [message, signature]);
    runs[label] = { run, id: `${tenantId}-${message.chainId}`, transactionHash: receipt.transactionHash };
  }

  /** Sends the run through TestAnchorRelay: the input shows an anchor by `shown`, the registry gets `signer`'s. */
  async function anchorThroughRelay(label: string, run: Run, signer: LocalAccount, shown: Address): Promise<void> {
    const { message, signature } = await signedAnchor(run, signer);
    const [anchorInput] = getAbiItem({ abi: processAnchorRegistryAbi, name: "anchor" }).inputs;
    const forwarded = encodeAbiParameters([anchorInput, { type: "bytes" }], [message, signature]);
    const wallet = createWalletClient({
      account: accounts.relayer,
      chain: network.base.chain,
      transport: http(network.base.url),
    });
    const hash = await wallet.writeContract({
      chain: network.base.chain,
      address: relay,
      abi: processAnchorRegistryAbi,
      functionName: "anchor",
      args: [{ ...message, signer: shown }, forwarded],
    });
    const receipt = await base().publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error("the relayed anchor reverted");
    runs[label] = { run, id: `${tenantId}-${message.chainId}`, transactionHash: hash };
  }

  async function deployRelay(): Promise<Address> {
    const artifact = JSON.parse(
      readFileSync(
        new URL("../../artifacts/contracts/test/TestAnchorRelay.sol/TestAnchorRelay.json", import.meta.url),
        "utf8",
      ),
    ) as { abi: Abi; bytecode: Hex };
    const wallet = createWalletClient({
      account: accounts.relayer,
      chain: network.base.chain,
      transport: http(network.base.url),
    });
    const hash = await wallet.deployContract({ ...artifact, args: [network.base.registry], chain: network.base.chain });
    const { contractAddress } = await base().publicClient.waitForTransactionReceipt({ hash });
    if (!contractAddress) throw new Error("TestAnchorRelay was not deployed");
    return contractAddress;
  }

  before(async function () {
    this.timeout(360_000);
    network = await startTestNetwork();
    dir = await mkdtemp(join(tmpdir(), "pop-indexer-authorisation-"));
    store = new LocalStore(join(dir, "store"));
    gateway = await startGateway(store);
    startBlock = BigInt(readDeployment(31337, "ProcessAnchorRegistry", network.deploymentsDir).startBlock);
    relay = await deployRelay();

    const { send } = base();
    await send(accounts.registrar, "registerTenant", [tenantId, accounts.admin.address]);
    for (const signer of [accounts.signer, relayedSigner])
      await send(accounts.admin, "setAnchorSigner", [tenantId, signer.address, true]);
    for (const registered of [leakedKey, key] as Signer[])
      await send(accounts.admin, "registerSigningKey", [
        tenantId,
        toOnchainId(registered.keyId),
        toHex(registered.publicKey),
        0n,
        2n ** 40n,
      ]);

    const uuid = (n: number) => `5a1e0c2d-7b3f-4c8e-9d6a-${String(n).padStart(12, "0")}`;
    // The leaked key signs the packets of one run and the chainscript of another; two runs never use it.
    await anchorDirectly("leakedPackets", await threeStageRun(key, leakedKey, uuid(1)));
    await anchorDirectly("leakedChain", await threeStageRun(leakedKey, key, uuid(2)));
    await anchorDirectly("clean", await threeStageRun(key, key, uuid(3)));
    await anchorThroughRelay("relayed", await threeStageRun(key, key, uuid(4)), relayedSigner, accounts.signer.address);

    // Generous: PGlite takes tens of seconds to open on a loaded machine.
    indexer = await startIndexer({
      database: target.name,
      env: { ...network.indexerEnv, POP_GATEWAYS: gateway.url },
      startTimeoutMs: 180_000,
    });
    await indexer.waitFor(await head(), 120_000);
  });

  after(async () => {
    await indexer?.stop();
    await gateway?.close();
    await network?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("indexes an anchor relayed by a contract whose calldata names another signer with the signer AnchorAuthorised names", async () => {
    const relayed = runs.relayed as { transactionHash: Hex; id: string };
    const transaction = await base().publicClient.getTransaction({ hash: relayed.transactionHash });
    // The attack: a call to the relay whose input reads as a registry anchor by accounts.signer.
    expect(lower(transaction.to ?? "")).to.equal(lower(relay));
    const call = decodeFunctionData({ abi: processAnchorRegistryAbi, data: transaction.input });
    expect(call.functionName === "anchor" && call.args[0].signer).to.equal(accounts.signer.address);

    const anchors = await rows();
    expect(anchors.relayed).to.deep.include({
      signer: lower(relayedSigner.address),
      submitter: lower(accounts.relayer.address),
      status: "valid",
      failedCheck: null,
    });
    for (const label of ["leakedPackets", "leakedChain", "clean"])
      expect(anchors[label], label).to.deep.include({ signer: lower(accounts.signer.address), status: "valid" });

    const { anchorAuthorisations } = await indexer.graphql<{
      anchorAuthorisations: { items: Record<string, unknown>[] };
    }>(`{ anchorAuthorisations(limit: 100) { items { tenantId chainId signer transactionHash } } }`);
    expect(anchorAuthorisations.items).to.have.length(4);
    expect(anchorAuthorisations.items).to.deep.include({
      tenantId,
      chainId: toOnchainId(runs.relayed?.run.built.chainscript.chainId ?? ""),
      signer: lower(relayedSigner.address),
      transactionHash: relayed.transactionHash,
    });
  });

  it("verifies the relayed anchor again on the next beat once its true signer is removed: invalid on anchor.signer", async function () {
    this.timeout(240_000);
    const before = await rows();
    await offBeat();
    await base().send(accounts.admin, "setAnchorSigner", [tenantId, relayedSigner.address, false]);
    await indexer.waitFor(await head(), 90_000);
    // The signer the calldata showed (accounts.signer) is still allowed: only the true signer's anchor is pending.
    const pending = await rows();
    expect(pending.relayed?.status).to.equal("pending");
    for (const label of ["leakedPackets", "leakedChain", "clean"])
      expect(pending[label], label).to.deep.equal(before[label]);

    await nextBeat();
    const after = await rows();
    expect(after.relayed).to.deep.include({
      status: "invalid",
      failedCheck: "anchor.signer",
      attempts: (before.relayed?.attempts ?? 0) + 1,
    });
    for (const label of ["leakedPackets", "leakedChain", "clean"])
      expect(after[label], label).to.deep.equal(before[label]);
  });

  it("verifies the anchors whose chainscript or packets used a revoked key again on the next beat: invalid when the revocation predates the packets", async function () {
    this.timeout(240_000);
    const leaked = toOnchainId(leakedKey.keyId);
    const { anchorKeys } = await indexer.graphql<{ anchorKeys: { items: { anchorId: string; keyId: Hex }[] } }>(
      "{ anchorKeys(limit: 100) { items { anchorId keyId } } }",
    );
    const usingLeaked = anchorKeys.items.filter((row) => row.keyId === leaked).map((row) => row.anchorId);
    expect(usingLeaked.sort()).to.deep.equal([runs.leakedPackets?.id, runs.leakedChain?.id].sort());

    const before = await rows();
    await offBeat();
    const revocation = await base().send(accounts.admin, "revokeSigningKey", [tenantId, leaked, BEFORE_THE_PACKETS]);
    await indexer.waitFor(await head(), 90_000);
    const pending = await rows();
    for (const label of ["leakedPackets", "leakedChain"]) expect(pending[label]?.status, label).to.equal("pending");
    for (const label of ["clean", "relayed"]) expect(pending[label], label).to.deep.equal(before[label]);

    await nextBeat();
    const after = await rows();
    // Re-verified on the beat, against the registry as it is then; the others were not touched.
    for (const label of ["leakedPackets", "leakedChain"]) {
      expect(after[label]?.attempts, label).to.equal((before[label]?.attempts ?? 0) + 1);
      expect(BigInt(after[label]?.verifiedBlock ?? 0), label).to.be.greaterThan(revocation.blockNumber);
    }
    for (const label of ["clean", "relayed"]) expect(after[label], label).to.deep.equal(before[label]);
    // The verdicts: the revocation, recorded after the anchors, is effective before every packet's time.
    expect(after.leakedPackets).to.deep.include({ status: "invalid", failedCheck: "packets.key" });
    expect(after.leakedChain).to.deep.include({ status: "invalid", failedCheck: "chain.key" });
    expect(after.clean).to.deep.include({ status: "valid", failedCheck: null });
  });
});
