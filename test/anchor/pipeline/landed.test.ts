/**
 * Anchors that land by another transaction (decision 014), one run at a time:
 * a third party relays the run's signed anchor first (before the pipeline
 * sends, while its transaction waits in the mempool, or while its recorded
 * transaction was never broadcast), or an RPC hides the pipeline's own mined
 * transaction. Each time the run finishes, with a receipt naming the
 * transaction that put the anchor in the registry, and nothing is sent twice.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { createPublicClient, decodeFunctionData, type Hex, http, keccak256, parseTransaction } from "viem";
import { getTransactionCount } from "viem/actions";
import { processAnchorRegistryAbi } from "../../../src/anchor/abi.ts";
import {
  type AnchorManifestsParameters,
  type AnchorPipelineContext,
  anchorManifests,
} from "../../../src/anchor/pipeline/pipeline.ts";
import { receiptPathFor } from "../../../src/anchor/pipeline/receipt.ts";
import { ANCHOR_MIGRATIONS, ANCHOR_SCHEMA } from "../../../src/anchor/pipeline/schema.ts";
import { migrate } from "../../../src/db/migrate.ts";
import { LocalStore } from "../../../src/storage/local.ts";
import { accounts, clients } from "../../helpers/anchorRun.ts";
import { describeEachDatabase, freshDatabaseEach } from "../../helpers/databases.ts";
import { fixedSigner } from "../../helpers/fixtures.ts";
import { type LocalChain, startLocalBase } from "../../helpers/localChain.ts";
import { pipelineContext, registerTenantFor, writeManifest } from "../../helpers/pipeline.ts";
import { rejection } from "../../helpers/rejection.ts";
import { startRpcProxy } from "../../helpers/rpcProxy.ts";
import { recordedRun, relay, submissions, thirdParty, thirdPartyWallet } from "./landed/thirdParty.ts";

const FAST = { confirmations: 1, pollingIntervalMs: 20 } as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeEachDatabase("pop anchor pipeline: an anchor that lands by another transaction", (target) => {
  let chain: LocalChain;
  let dir: string;
  let store: LocalStore;
  const db = freshDatabaseEach(target);
  const signer = fixedSigner();

  before(async () => {
    chain = await startLocalBase();
    await registerTenantFor(chain, "studio-aurora", signer);
  });
  after(async () => {
    await chain?.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-landed-"));
    store = new LocalStore(join(dir, "store"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const node = () => clients(chain).publicClient;
  const rpc = (method: string, params: unknown[] = []) => node().request({ method, params } as never);
  const relayerNonce = () => getTransactionCount(node(), { address: accounts.relayer.address, blockTag: "latest" });
  const clientVia = (url: string) =>
    createPublicClient({ chain: chain.chain, transport: http(url, { retryCount: 0 }) });
  const anchor = (manifest: string, overrides: Partial<AnchorPipelineContext> = {}, more = {}) =>
    anchorManifests(pipelineContext(chain, db(), [store], signer, overrides), {
      manifests: [manifest],
      ...FAST,
      ...more,
    } as AnchorManifestsParameters);
  const receiptOf = async (manifest: string) => JSON.parse(await readFile(receiptPathFor(manifest), "utf8"));

  it("finishes a run whose signed anchor a third party relayed first: that transaction in the receipt, nothing sent", async () => {
    const manifest = await writeManifest(dir);
    await anchor(manifest, {}, { dryRun: true }); // everything up to the signed anchor, recorded
    const relayed = await relay(chain, [await recordedRun(db(), manifest)]);
    const before = await relayerNonce();

    const steps: string[] = [];
    const watcher = await startRpcProxy(chain.url);
    let result: Awaited<ReturnType<typeof anchorManifests>>;
    try {
      result = await anchor(manifest, {
        publicClient: clientVia(watcher.url),
        onStep: (step) => void steps.push(step),
      });
    } finally {
      await watcher.close();
    }
    // Neither simulated nor estimated nor sent: the registry was read first.
    expect(watcher.count("eth_estimateGas")).to.equal(0);
    expect(watcher.count("eth_sendRawTransaction")).to.equal(0);
    expect(await relayerNonce()).to.equal(before);
    expect(steps).to.deep.equal(["found", "done"]);
    expect(result.runs[0]?.status).to.equal("anchored-elsewhere");
    expect(result.transaction).to.equal(undefined);
    const receipt = await receiptOf(manifest);
    expect(receipt.transaction).to.deep.equal({
      hash: relayed.transactionHash,
      blockNumber: String(relayed.blockNumber),
      gasUsed: String(relayed.gasUsed),
      fee: String(relayed.gasUsed * relayed.effectiveGasPrice),
      sender: thirdParty.address,
      anchors: 1,
      origin: "found",
    });
    const [found, ...others] = await submissions(db());
    expect(others).to.have.length(0);
    expect(found).to.deep.include({ status: "found", txHash: relayed.transactionHash, sender: thirdParty.address });
    expect(found?.attempts).to.have.length(0);

    // Met again, the run is an ordinary finished run: same receipt, nothing sent.
    const again = await anchor(manifest);
    expect(again.runs[0]?.status).to.equal("already-anchored");
    expect(await receiptOf(manifest)).to.deep.equal(receipt);
    expect(await relayerNonce()).to.equal(before);
  });

  it("finishes with the front-runner's transaction when ours, outbid in the mempool, reverts", async () => {
    const manifest = await writeManifest(dir);
    const before = await relayerNonce();
    await migrate(db(), ANCHOR_SCHEMA, ANCHOR_MIGRATIONS); // so that the attempts can be watched from the start
    const sentAttempt = async () =>
      (await db().query<{ raw: Hex }>("select raw from pop_anchor_attempt where sent_at is not null"))[0]?.raw;
    const steps: string[] = [];
    await rpc("evm_setAutomine", [false]);
    const running = anchor(manifest, { onStep: (step) => void steps.push(step) });
    let front: Hex;
    try {
      let raw = await sentAttempt();
      for (const giveUpAt = Date.now() + 20_000; raw === undefined && Date.now() < giveUpAt; raw = await sentAttempt())
        await sleep(20);
      if (raw === undefined) throw new Error("the pipeline never broadcast its transaction");
      // The front-runner copies the signed anchor out of our pending transaction and outbids it.
      const ours = parseTransaction(raw);
      const call = decodeFunctionData({ abi: processAnchorRegistryAbi, data: ours.data as Hex });
      if (call.functionName !== "anchor") throw new Error(`expected anchor(), got ${call.functionName}`);
      front = await thirdPartyWallet(chain).writeContract({
        chain: chain.chain,
        address: chain.registry,
        abi: processAnchorRegistryAbi,
        functionName: "anchor",
        args: call.args,
        gas: ours.gas,
        maxFeePerGas: (ours.maxFeePerGas as bigint) * 2n,
        maxPriorityFeePerGas: (ours.maxPriorityFeePerGas as bigint) * 2n,
      });
    } finally {
      await rpc("evm_mine");
      await rpc("evm_setAutomine", [true]);
    }
    const result = await running;

    const [reverted, found, ...others] = await submissions(db());
    expect(others).to.have.length(0);
    expect(reverted?.status).to.equal("reverted");
    const ourReceipt = await node().getTransactionReceipt({ hash: reverted?.txHash as Hex });
    const frontReceipt = await node().getTransactionReceipt({ hash: front });
    expect([ourReceipt.status, frontReceipt.status]).to.deep.equal(["reverted", "success"]);
    expect(ourReceipt.blockNumber).to.equal(frontReceipt.blockNumber);
    expect(found).to.deep.include({ status: "found", txHash: front, sender: thirdParty.address });
    expect(await relayerNonce()).to.equal(before + 1); // ours was mined (and reverted); nothing sent after it
    expect(steps.slice(-3)).to.deep.equal(["sent", "found", "done"]);
    expect(result.runs[0]?.status).to.equal("anchored-elsewhere");
    expect((await receiptOf(manifest)).transaction).to.deep.include({ hash: front, origin: "found" });
  });

  it("does not broadcast a recorded transaction whose anchor a third party relayed meanwhile; the run finishes", async () => {
    const manifest = await writeManifest(dir);
    const before = await relayerNonce();
    // A first run records its transaction but never gets it out: the RPC loses every broadcast.
    const losing = await startRpcProxy(chain.url, {
      onCall: (call) => (call.method === "eth_sendRawTransaction" ? "drop" : "forward"),
    });
    try {
      await rejection(anchor(manifest, { publicClient: clientVia(losing.url) }, { rpcFailures: 1 }));
    } finally {
      await losing.close();
    }
    const run = await recordedRun(db(), manifest);
    expect(run.step).to.equal("submitted");
    const relayed = await relay(chain, [run]);

    const watcher = await startRpcProxy(chain.url);
    let result: Awaited<ReturnType<typeof anchorManifests>>;
    try {
      result = await anchor(manifest, { publicClient: clientVia(watcher.url) });
    } finally {
      await watcher.close();
    }
    expect(watcher.count("eth_sendRawTransaction"), "the recorded bytes would only revert").to.equal(0);
    expect(await relayerNonce()).to.equal(before);
    const [dropped, found, ...others] = await submissions(db());
    expect(others).to.have.length(0);
    expect(dropped?.status).to.equal("dropped");
    expect(found).to.deep.include({ status: "found", txHash: relayed.transactionHash });
    expect(result.runs[0]?.status).to.equal("anchored-elsewhere");
    expect((await receiptOf(manifest)).transaction.hash).to.equal(relayed.transactionHash);
  });

  it("an RPC that lags and hides our mined transaction: the registry shows our anchor, so nothing is dropped or resent", async () => {
    const manifest = await writeManifest(dir);
    const before = await relayerNonce();
    // The proxy answers "not found" for our transaction the first LIES times it is asked: a node behind the others.
    const LIES = 6;
    let ours: Hex | undefined;
    let lies = 0;
    const lagging = await startRpcProxy(chain.url, {
      onCall: (call) => {
        const first: unknown = Array.isArray(call.params) ? call.params[0] : undefined;
        if (call.method === "eth_sendRawTransaction") ours = keccak256(first as Hex);
        const asksOurs = /^eth_getTransaction(Receipt|ByHash)$/.test(call.method) && first === ours;
        if (!asksOurs || lies >= LIES) return "forward";
        lies++;
        return { answer: { result: null } };
      },
    });
    const steps: string[] = [];
    let result: Awaited<ReturnType<typeof anchorManifests>>;
    try {
      result = await anchor(manifest, {
        publicClient: clientVia(lagging.url),
        onStep: (step) => void steps.push(step),
      });
    } finally {
      await lagging.close();
    }
    expect(lies).to.equal(LIES);
    expect(lagging.count("eth_sendRawTransaction")).to.equal(1);
    expect(await relayerNonce()).to.equal(before + 1);
    expect(steps).to.not.include("dropped");
    const [submission, ...others] = await submissions(db());
    expect(others).to.have.length(0);
    expect(submission).to.deep.include({ status: "confirmed", txHash: ours });
    expect(result.runs[0]?.status).to.equal("anchored");
    expect((await receiptOf(manifest)).transaction).to.deep.include({
      hash: ours,
      sender: accounts.relayer.address,
      origin: "sent",
    });
  });
});
