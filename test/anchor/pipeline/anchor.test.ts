import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { PublicClient } from "viem";
import { getTransactionCount } from "viem/actions";
import { anchorManifests } from "../../../src/anchor/pipeline/pipeline.ts";
import { receiptPathFor } from "../../../src/anchor/pipeline/receipt.ts";
import { startGateway } from "../../../src/storage/gateway.ts";
import { LocalStore } from "../../../src/storage/local.ts";
import { verifyAnchor } from "../../../src/verify/verifyAnchor.ts";
import { accounts, clients } from "../../helpers/anchorRun.ts";
import { describeEachDatabase, freshDatabaseEach } from "../../helpers/databases.ts";
import { fixedSigner } from "../../helpers/fixtures.ts";
import { type LocalChain, startLocalBase } from "../../helpers/localChain.ts";
import { pipelineContext, registerTenantFor, writeManifest } from "../../helpers/pipeline.ts";

describeEachDatabase("pop anchor pipeline", (target) => {
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
    dir = await mkdtemp(join(tmpdir(), "pop-pipeline-"));
    store = new LocalStore(join(dir, "store"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const relayerNonce = () =>
    getTransactionCount(clients(chain).publicClient, { address: accounts.relayer.address, blockTag: "latest" });

  it("anchors a 3-stage manifest that the verifier then finds valid with only the RPC and a gateway", async () => {
    const manifest = await writeManifest(dir);
    const before = await relayerNonce();
    const result = await anchorManifests(pipelineContext(chain, db(), [store], signer), {
      manifests: [manifest],
      confirmations: 1,
      pollingIntervalMs: 20,
    });
    expect(await relayerNonce()).to.equal(before + 1);
    const [run] = result.runs;
    expect(run?.status).to.equal("anchored");
    expect(run?.packets).to.equal(3);
    const receipt = JSON.parse(await readFile(receiptPathFor(manifest), "utf8"));
    expect(receipt).to.deep.include({ version: 1, tenantId: "studio-aurora", chainId: run?.chainId });
    expect(receipt.network).to.deep.equal({ chainId: 31337, registry: chain.registry });
    expect(receipt.packetCids).to.have.length(3);
    expect(receipt.transaction.hash).to.equal(result.transaction?.txHash);
    expect(receipt.transaction.sender).to.equal(accounts.relayer.address);
    expect(Number(receipt.transaction.gasUsed)).to.be.greaterThan(50_000);
    expect(BigInt(receipt.transaction.fee) > 0n).to.equal(true);

    const gateway = await startGateway(store);
    try {
      const report = await verifyAnchor([clients(chain).publicClient as PublicClient], {
        tenantId: "studio-aurora",
        chainId: run?.chainId as string,
        registry: chain.registry,
        gateways: [gateway.url],
      });
      expect(report.verdict, JSON.stringify(report.checks.filter((c) => c.status === "fail"))).to.equal("valid");
      expect(report.anchor?.transactionHash).to.equal(receipt.transaction.hash);
    } finally {
      await gateway.close();
    }
  });

  it("running the same manifest again sends nothing and rewrites the same receipt", async () => {
    const manifest = await writeManifest(dir);
    const context = pipelineContext(chain, db(), [store], signer);
    const first = await anchorManifests(context, { manifests: [manifest], confirmations: 1, pollingIntervalMs: 20 });
    const receipt = await readFile(receiptPathFor(manifest), "utf8");
    const nonce = await relayerNonce();
    const again = await anchorManifests(context, { manifests: [manifest], confirmations: 1, pollingIntervalMs: 20 });
    expect(await relayerNonce()).to.equal(nonce);
    expect(again.runs[0]?.status).to.equal("already-anchored");
    expect(again.runs[0]?.chainId).to.equal(first.runs[0]?.chainId);
    expect(again.transaction).to.equal(undefined);
    expect(await readFile(receiptPathFor(manifest), "utf8")).to.equal(receipt);
  });

  it("anchors several manifests with one anchorBatch transaction", async () => {
    const manifests = [
      await writeManifest(dir, { label: "a" }),
      await writeManifest(dir, { label: "b", steps: 2 }),
      await writeManifest(dir, { label: "c", steps: 1 }),
    ];
    const before = await relayerNonce();
    const result = await anchorManifests(pipelineContext(chain, db(), [store], signer), {
      manifests,
      confirmations: 1,
      pollingIntervalMs: 20,
    });
    expect(await relayerNonce()).to.equal(before + 1);
    expect(result.runs.map((r) => r.status)).to.deep.equal(["anchored", "anchored", "anchored"]);
    const receipts = await Promise.all(
      manifests.map(async (m) => JSON.parse(await readFile(receiptPathFor(m), "utf8"))),
    );
    expect(new Set(receipts.map((r) => r.transaction.hash)).size).to.equal(1);
    expect(receipts.map((r) => r.transaction.anchors)).to.deep.equal([3, 3, 3]);
    expect(receipts.map((r) => r.packetCids.length)).to.deep.equal([3, 2, 1]);
  });

  it("--dry-run prepares and estimates but sends nothing; the real run then uses what it recorded", async () => {
    const manifest = await writeManifest(dir);
    const context = pipelineContext(chain, db(), [store], signer);
    const nonce = await relayerNonce();
    const dry = await anchorManifests(context, {
      manifests: [manifest],
      confirmations: 1,
      dryRun: true,
    });
    expect(await relayerNonce()).to.equal(nonce);
    expect(dry.runs[0]?.status).to.equal("dry-run");
    expect(dry.estimate?.gas).to.be.a("bigint");
    expect(Number(dry.estimate?.gas)).to.be.greaterThan(50_000);
    const real = await anchorManifests(context, { manifests: [manifest], confirmations: 1, pollingIntervalMs: 20 });
    expect(real.runs[0]?.chainscriptCid).to.equal(dry.runs[0]?.chainscriptCid);
    expect(real.runs[0]?.status).to.equal("anchored");
  });
});
