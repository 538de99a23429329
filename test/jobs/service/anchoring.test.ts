import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { decodeFunctionData, type Hex, type PublicClient } from "viem";
import { getTransactionCount } from "viem/actions";
import { processAnchorRegistryAbi } from "../../../src/anchor/abi.ts";
import { anchorsIn, receiptOf } from "../../../src/anchor/pipeline/chainReads.ts";
import type { Database } from "../../../src/db/database.ts";
import { verifyJobArtifact } from "../../../src/jobs/artifact/verify.ts";
import type { Finality } from "../../../src/jobs/service/anchoring.ts";
import { jobAnchor } from "../../../src/jobs/service/jobAnchor.ts";
import type { ReceiptsServiceOptions } from "../../../src/jobs/service/server.ts";
import { startGateway } from "../../../src/storage/gateway.ts";
import { LocalStore } from "../../../src/storage/local.ts";
import { verifyAnchor } from "../../../src/verify/verifyAnchor.ts";
import { accounts, clients } from "../../helpers/anchorRun.ts";
import { sharedPgliteTarget } from "../../helpers/databases.ts";
import { type LocalChain, startLocalBase } from "../../helpers/localChain.ts";
import { registerTenantFor } from "../../helpers/pipeline.ts";
import { apiKey, call, eventually, jobBodies, type Running, SIGNERS, startService, TENANT } from "./harness.ts";

const EXPLORER = "https://explorer.base.test";

describe("receipts service: anchoring completed jobs on Base", function () {
  // A local chain, one database: tens of seconds on a loaded machine at worst.
  this.timeout(60_000);
  let chain: LocalChain;
  let db: Database;
  let key: string;
  let dir: string;
  /** One store for every service of the file: a restarted service finds what the first stored. */
  let store: LocalStore;
  let seed = 100n;

  before(async () => {
    chain = await startLocalBase();
    await registerTenantFor(chain, TENANT, SIGNERS.get(TENANT) as NonNullable<ReturnType<typeof SIGNERS.get>>);
    db = await sharedPgliteTarget.open();
    key = await apiKey(db);
    dir = await mkdtemp(join(tmpdir(), "pop-anchoring-"));
    store = new LocalStore(dir);
  });
  after(async () => {
    await db?.close();
    await chain?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const publicClient = () => clients(chain).publicClient;
  const relayerNonce = () =>
    getTransactionCount(publicClient(), { address: accounts.relayer.address, blockTag: "latest" });

  function anchoring(
    settings: { every: number; intervalMs: number; finality: Finality; retryDelayMs?: number },
    onStep?: (step: string) => void,
  ): NonNullable<ReceiptsServiceOptions["anchoring"]> {
    return {
      publicClient: publicClient(),
      evmChainId: chain.chain.id,
      registry: chain.registry,
      anchorSigner: accounts.signer,
      relayer: accounts.relayer,
      explorerUrl: EXPLORER,
      pollIntervalMs: 20,
      txPollingIntervalMs: 20,
      retryDelayMs: settings.retryDelayMs ?? 50,
      ...settings,
      ...(onStep === undefined ? {} : { onStep }),
    };
  }

  /** Submits and completes a job (a new seed each); answers its id. */
  async function runJob(running: Running): Promise<string> {
    const { submit, complete, jobId } = await jobBodies({ seed: seed++ });
    expect((await call(running.url, "/api/jobs/submit", { key, body: submit })).status).to.equal(202);
    expect((await call(running.url, "/api/jobs/complete", { key, body: complete })).status).to.equal(202);
    return jobId;
  }

  const stored = async (jobIds: readonly string[]) => {
    const [row] = await db.query<{ n: number }>(
      "select count(*)::integer as n from pop_jobs_event where job_id = any($1::text[]) and stored_at is not null",
      [jobIds],
    );
    return row?.n === jobIds.length * 2;
  };
  const anchored = async (jobIds: readonly string[]) => {
    for (const jobId of jobIds) if ((await jobAnchor(db, jobId))?.txHash == null) return false;
    return true;
  };
  /** The registry function and the number of anchors of a mined transaction. */
  async function transactionOf(hash: Hex) {
    const tx = await publicClient().getTransaction({ hash });
    const { functionName } = decodeFunctionData({ abi: processAnchorRegistryAbi, data: tx.input });
    const receipt = await receiptOf(publicClient(), hash);
    return { functionName, anchors: anchorsIn(receipt as NonNullable<typeof receipt>, chain.registry) };
  }

  describe("every N jobs", () => {
    let running: Running;
    let crashAt: string | undefined;
    let crashed = false;
    const onStep = (step: string) => {
      if (step !== crashAt) return;
      crashAt = undefined;
      crashed = true;
      throw new Error(`test crash after step ${step}`);
    };
    const settings = { every: 3, intervalMs: 600_000, finality: 2 };
    let firstJobs: string[] = [];

    before(async () => {
      // After the crash the worker must not retry before the restart: the restart is what is under test.
      running = await startService(db, { store, anchoring: anchoring({ ...settings, retryDelayMs: 600_000 }, onStep) });
    });
    after(() => running?.close());

    it("anchors nothing while fewer than N jobs are ready, then the N in one anchorBatch", async () => {
      const nonce = await relayerNonce();
      const two = [await runJob(running), await runJob(running)];
      await eventually(() => stored(two), "both jobs' packets are stored");
      // Several passes of the worker (every 20 ms) see two ready jobs of three.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await jobAnchor(db, two[0] as string)).to.equal(undefined);
      expect(await relayerNonce()).to.equal(nonce);

      firstJobs = [...two, await runJob(running)];
      await eventually(() => anchored(firstJobs), "the three jobs are anchored");
      const anchors = await Promise.all(firstJobs.map((jobId) => jobAnchor(db, jobId)));
      expect(await relayerNonce()).to.equal(nonce + 1);
      expect(new Set(anchors.map((a) => a?.txHash)).size).to.equal(1);
      expect(new Set(anchors.map((a) => a?.chainId)).size).to.equal(3);
      expect(await transactionOf(anchors[0]?.txHash as Hex)).to.deep.equal({ functionName: "anchorBatch", anchors: 3 });
      expect(anchors[0]).to.deep.include({
        evmChainId: 31337,
        registry: chain.registry,
        tenantId: TENANT,
        explorerUrl: `${EXPLORER}/tx/${anchors[0]?.txHash}`,
      });
      expect(anchors[0]?.chainId).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4/);
    });

    it("shows submitted → completed → anchored → final, with both chains' links", async () => {
      const jobId = firstJobs[0] as string;
      // Finality 2: the anchor's block is final once one more block is mined.
      await publicClient().request({ method: "evm_mine" } as never);
      await eventually(async () => (await jobAnchor(db, jobId))?.status === "final", "the anchor is final");
      const timeline = await call(running.url, `/api/jobs/timeline/${jobId}`, { key });
      expect(timeline.status).to.equal(200);
      const { stages, anchor } = timeline.body;
      expect(stages.map((s: { stage: string }) => s.stage)).to.deep.equal([
        "submitted",
        "completed",
        "anchored",
        "final",
      ]);
      expect(stages.map((s: { chain: string }) => s.chain)).to.deep.equal(["numbers", "numbers", "base", "base"]);
      const times = stages.map((s: { at: string }) => Date.parse(s.at));
      expect([...times].sort((a, b) => a - b)).to.deep.equal(times);
      expect(stages[0].explorerUrl).to.equal(`http://explorer.test/tx/${stages[0].txHash}`);
      expect(stages[2]).to.deep.include({ txHash: anchor.txHash, explorerUrl: `${EXPLORER}/tx/${anchor.txHash}` });
      expect(stages[3].explorerUrl).to.equal(`${EXPLORER}/block/${anchor.blockNumber}`);
      expect(anchor).to.deep.include({ status: "final", tenantId: TENANT, evmChainId: 31337, lastError: null });
    });

    it("anchors a chain the verifier finds valid with only the RPC and a gateway", async () => {
      const anchor = await jobAnchor(db, firstJobs[1] as string);
      const gateway = await startGateway(running.store);
      try {
        const report = await verifyAnchor([publicClient() as PublicClient], {
          tenantId: TENANT,
          chainId: anchor?.chainId as string,
          registry: chain.registry,
          gateways: [gateway.url],
        });
        expect(report.verdict, JSON.stringify(report.checks.filter((c) => c.status === "fail"))).to.equal("valid");
        expect(report.anchor?.transactionHash).to.equal(anchor?.txHash);
      } finally {
        await gateway.close();
      }
    });

    it("downloads an artifact that carries the anchor and verifies against Base and a gateway (tenant key registered)", async () => {
      const jobId = firstJobs[1] as string;
      const response = await fetch(`${running.url}/api/artifacts/download/${jobId}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(response.status).to.equal(200);
      const bytes = new Uint8Array(await response.arrayBuffer());
      const anchor = await jobAnchor(db, jobId);
      const gateway = await startGateway(running.store);
      try {
        const report = await verifyJobArtifact(bytes, {
          base: [publicClient() as PublicClient],
          registry: chain.registry,
          gateways: [gateway.url],
        });
        expect(report.verdict, JSON.stringify(report.firstFailure)).to.equal("valid");
        expect(report.anchored).to.equal(true);
        const passed = report.checks.filter((c) => c.status === "pass").map((c) => c.id);
        expect(passed).to.include.members(["anchor.verified", "key.registered"]);
        const artifact = JSON.parse(new TextDecoder().decode(bytes));
        expect(artifact.proof.anchor).to.deep.include({
          txHash: anchor?.txHash,
          chainId: anchor?.chainId,
          tenantId: TENANT,
        });
      } finally {
        await gateway.close();
      }
    });

    it("after a crash mid-batch and a restart, sends no second transaction and loses no job", async () => {
      const nonce = await relayerNonce();
      crashAt = "sent";
      const jobs = [await runJob(running), await runJob(running), await runJob(running)];
      await eventually(async () => crashed, "the batch's transaction is sent and the worker stops");
      const pending = await Promise.all(jobs.map((jobId) => jobAnchor(db, jobId)));
      expect(pending.map((a) => a?.status)).to.deep.equal(["pending", "pending", "pending"]);
      expect(pending[0]?.lastError).to.include("test crash");
      await running.close();
      running = await startService(db, { store, anchoring: anchoring(settings) });
      await eventually(() => anchored(jobs), "the restarted service finishes the batch");
      const anchors = await Promise.all(jobs.map((jobId) => jobAnchor(db, jobId)));
      expect(await relayerNonce()).to.equal(nonce + 1);
      expect(new Set(anchors.map((a) => a?.txHash)).size).to.equal(1);
      const [row] = await db.query<{ n: number }>(
        "select count(distinct submission_id)::integer as n from pop_anchor_run where chain_id = any($1::text[])",
        [anchors.map((a) => a?.chainId)],
      );
      expect(row?.n).to.equal(1);
    });
  });

  describe("after T ms", () => {
    let running: Running;
    before(async () => {
      running = await startService(db, {
        store,
        anchoring: anchoring({ every: 50, intervalMs: 200, finality: "finalized" }),
      });
    });
    after(() => running?.close());

    it("anchors a lone job once it has waited T, with anchor(), and it becomes final", async () => {
      const nonce = await relayerNonce();
      const jobId = await runJob(running);
      await eventually(async () => (await jobAnchor(db, jobId))?.status === "final", "the lone job is anchored");
      const anchor = await jobAnchor(db, jobId);
      expect(await relayerNonce()).to.equal(nonce + 1);
      expect(await transactionOf(anchor?.txHash as Hex)).to.deep.equal({ functionName: "anchor", anchors: 1 });
      const health = await call(running.url, "/api/health");
      expect(health.body.components.anchoring.status).to.equal("ok");
      expect(health.body.components.anchoring.detail).to.include("every 50 job(s) or 200 ms");
    });
  });
});
