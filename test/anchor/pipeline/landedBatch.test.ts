/**
 * Anchors that land by another transaction, in a batch (decision 014): runs
 * a third party already anchored are no veto of the others, which go in one
 * transaction; a chain id the registry holds with other content is a conflict,
 * reported loudly once the others have finished, and never retried.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { createPublicClient, decodeFunctionData, http } from "viem";
import { getTransaction, getTransactionCount } from "viem/actions";
import { processAnchorRegistryAbi } from "../../../src/anchor/abi.ts";
import { toOnchainId } from "../../../src/anchor/ids.ts";
import { AnchorConflictError } from "../../../src/anchor/pipeline/errors.ts";
import { type AnchorPipelineContext, anchorManifests } from "../../../src/anchor/pipeline/pipeline.ts";
import { receiptPathFor } from "../../../src/anchor/pipeline/receipt.ts";
import { LocalStore } from "../../../src/storage/local.ts";
import { accounts, clients } from "../../helpers/anchorRun.ts";
import { describeEachDatabase, freshDatabaseEach } from "../../helpers/databases.ts";
import { fixedSigner } from "../../helpers/fixtures.ts";
import { type LocalChain, startLocalBase } from "../../helpers/localChain.ts";
import { pipelineContext, registerTenantFor, writeManifest } from "../../helpers/pipeline.ts";
import { rejection } from "../../helpers/rejection.ts";
import { startRpcProxy } from "../../helpers/rpcProxy.ts";
import { anchorOtherContent, recordedRun, relay, submissions, thirdParty } from "./landed/thirdParty.ts";

const TENANT = "studio-aurora";
const FAST = { confirmations: 1, pollingIntervalMs: 20 } as const;

describeEachDatabase("pop anchor pipeline: a batch of which some anchors landed by other transactions", (target) => {
  let chain: LocalChain;
  let dir: string;
  let store: LocalStore;
  const db = freshDatabaseEach(target);
  const signer = fixedSigner();

  before(async () => {
    chain = await startLocalBase();
    await registerTenantFor(chain, TENANT, signer);
  });
  after(async () => {
    await chain?.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-landed-batch-"));
    store = new LocalStore(join(dir, "store"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const node = () => clients(chain).publicClient;
  const relayerNonce = () => getTransactionCount(node(), { address: accounts.relayer.address, blockTag: "latest" });
  const context = (overrides: Partial<AnchorPipelineContext> = {}) =>
    pipelineContext(chain, db(), [store], signer, overrides);
  const receiptOf = async (manifest: string) => JSON.parse(await readFile(receiptPathFor(manifest), "utf8"));
  const manifests = (labels: readonly string[]) => Promise.all(labels.map((label) => writeManifest(dir, { label })));

  it("sends the runs a third party has not relayed in one anchorBatch, and writes every receipt", async () => {
    const [a, b, c] = (await manifests(["a", "b", "c"])) as [string, string, string];
    await anchorManifests(context(), { manifests: [a, b, c], ...FAST, dryRun: true });
    const relayed = await relay(chain, [await recordedRun(db(), b)]);
    const before = await relayerNonce();

    const watcher = await startRpcProxy(chain.url);
    let result: Awaited<ReturnType<typeof anchorManifests>>;
    try {
      const publicClient = createPublicClient({ chain: chain.chain, transport: http(watcher.url, { retryCount: 0 }) });
      result = await anchorManifests(context({ publicClient }), { manifests: [a, b, c], ...FAST });
    } finally {
      await watcher.close();
    }
    expect(watcher.count("eth_sendRawTransaction")).to.equal(1);
    expect(await relayerNonce()).to.equal(before + 1);
    expect(result.runs.map((run) => run.status)).to.deep.equal(["anchored", "anchored-elsewhere", "anchored"]);
    const ours = result.transaction?.txHash;
    if (ours === undefined) throw new Error("no transaction of ours was reported");
    // Re-planned without b: the batch carries exactly a's and c's anchors.
    const sent = decodeFunctionData({
      abi: processAnchorRegistryAbi,
      data: (await getTransaction(node(), { hash: ours })).input,
    });
    expect(sent.functionName).to.equal("anchorBatch");
    const carried = sent.functionName === "anchorBatch" ? sent.args[0].map((anchor) => anchor.chainId) : [];
    const chainIdOf = async (manifest: string) => toOnchainId((await recordedRun(db(), manifest)).chainId);
    expect(carried).to.deep.equal([await chainIdOf(a), await chainIdOf(c)]);

    const receipts = await Promise.all([a, b, c].map(receiptOf));
    expect(receipts.map((r) => [r.transaction.hash, r.transaction.origin, r.transaction.anchors])).to.deep.equal([
      [ours, "sent", 2],
      [relayed.transactionHash, "found", 1],
      [ours, "sent", 2],
    ]);
    expect(receipts[1]?.transaction.sender).to.equal(thirdParty.address);
    expect(receipts[0]?.transaction.sender).to.equal(accounts.relayer.address);
  });

  it("sends nothing when a third party relayed the whole batch; both runs share its one transaction", async () => {
    const [a, b] = (await manifests(["a", "b"])) as [string, string];
    await anchorManifests(context(), { manifests: [a, b], ...FAST, dryRun: true });
    const relayed = await relay(chain, [await recordedRun(db(), a), await recordedRun(db(), b)]);
    const before = await relayerNonce();

    const result = await anchorManifests(context(), { manifests: [a, b], ...FAST });
    expect(await relayerNonce()).to.equal(before);
    expect(result.transaction).to.equal(undefined);
    expect(result.runs.map((run) => run.status)).to.deep.equal(["anchored-elsewhere", "anchored-elsewhere"]);
    for (const manifest of [a, b])
      expect((await receiptOf(manifest)).transaction).to.deep.include({
        hash: relayed.transactionHash,
        sender: thirdParty.address,
        anchors: 2,
        origin: "found",
      });
    const recorded = await submissions(db());
    expect(recorded.map((s) => [s.status, s.txHash])).to.deep.equal([["found", relayed.transactionHash]]);
  });

  it("reports a chain id anchored with other content as a conflict naming both, after anchoring the other run", async () => {
    const [a, b] = (await manifests(["a", "b"])) as [string, string];
    const taken = randomUUID();
    const other = await anchorOtherContent(chain, TENANT, taken);
    const before = await relayerNonce();
    const parameters = { manifests: [a, b], chainIds: [taken, randomUUID()], ...FAST };

    const error = await rejection(anchorManifests(context(), parameters));
    expect(error).to.be.instanceOf(AnchorConflictError);
    const conflict = error as AnchorConflictError;
    const ours = await recordedRun(db(), a);
    expect(conflict.shortMessage).to.equal(
      `Chain ${taken} (${a}) of tenant "${TENANT}" is already anchored in registry ${chain.registry} with chainHash ` +
        `${other.chainHash} and ipfsCid ${other.ipfsCid} (transaction ${other.receipt.transactionHash}, block ` +
        `${other.receipt.blockNumber}), but this run has chainHash ${ours.chainHash} and ipfsCid ${ours.chainscriptCid}.`,
    );
    expect(conflict.retryable).to.equal(false);
    expect(conflict.finished).to.deep.equal([b]);
    expect(conflict.details).to.include(`their receipts written: ${b}`);
    // The conflict was no veto: b is anchored by our one transaction, with its receipt; a has none and stays signed.
    expect(await relayerNonce()).to.equal(before + 1);
    expect((await receiptOf(b)).transaction).to.deep.include({ sender: accounts.relayer.address, anchors: 1 });
    expect(await readFile(receiptPathFor(a)).catch(() => "no receipt")).to.equal("no receipt");
    expect(ours.step).to.equal("signed");

    // Never retried: the next run says the same and sends nothing.
    const again = await rejection(anchorManifests(context(), parameters));
    expect(again).to.be.instanceOf(AnchorConflictError);
    expect((again as AnchorConflictError).shortMessage).to.equal(conflict.shortMessage);
    expect(await relayerNonce()).to.equal(before + 1);
  });
});
