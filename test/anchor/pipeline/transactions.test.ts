import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "chai";
import { createPublicClient, createWalletClient, type Hex, http, parseTransaction } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getTransactionCount } from "viem/actions";
import { DEV_KEYS } from "../../../scripts/demo/accounts.ts";
import { toOnchainId } from "../../../src/anchor/ids.ts";
import { AnchorPipelineError, AnchorTransactionError } from "../../../src/anchor/pipeline/errors.ts";
import {
  type AnchorManifestsParameters,
  type AnchorPipelineContext,
  anchorManifests,
} from "../../../src/anchor/pipeline/pipeline.ts";
import { receiptPathFor } from "../../../src/anchor/pipeline/receipt.ts";
import { ANCHOR_MIGRATIONS, ANCHOR_SCHEMA } from "../../../src/anchor/pipeline/schema.ts";
import { readSubmission, StateConflictError, type SubmissionRecord } from "../../../src/anchor/pipeline/state.ts";
import { RegistryError } from "../../../src/anchor/registryErrors.ts";
import { readAnchorLogs } from "../../../src/anchor/registryReads.ts";
import type { Database } from "../../../src/db/database.ts";
import { migrate } from "../../../src/db/migrate.ts";
import { openServer } from "../../../src/db/server.ts";
import { BaseError } from "../../../src/errors.ts";
import { LocalStore } from "../../../src/storage/local.ts";
import type { ContentProvider } from "../../../src/storage/provider.ts";
import { accounts, clients } from "../../helpers/anchorRun.ts";
import { describeEachDatabase, freshDatabaseEach, TEST_DATABASE_URL_VARIABLE } from "../../helpers/databases.ts";
import { fixedSigner } from "../../helpers/fixtures.ts";
import { type LocalChain, startLocalBase } from "../../helpers/localChain.ts";
import { TEST_NODE_FLAGS } from "../../helpers/node.ts";
import { pipelineContext, registerTenantFor, writeManifest } from "../../helpers/pipeline.ts";
import { rejection } from "../../helpers/rejection.ts";
import { type RpcProxy, startRpcProxy } from "../../helpers/rpcProxy.ts";

const TENANT = "studio-aurora";
const FAST = { confirmations: 1, pollingIntervalMs: 20 } as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A storage provider that refuses every write, as a full or read-only bucket would. */
const refusingProvider: ContentProvider = {
  name: "refusing-store",
  put: () => Promise.reject(new BaseError("the bucket is read-only", { retryable: false })),
  putCar: () => Promise.reject(new BaseError("the bucket is read-only", { retryable: false })),
  has: () => Promise.resolve(false),
};

describeEachDatabase("pop anchor pipeline: sending the transaction exactly once", (target) => {
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
    dir = await mkdtemp(join(tmpdir(), "pop-transactions-"));
    store = new LocalStore(join(dir, "store"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const node = () => clients(chain).publicClient;
  const rpc = (method: string, params: unknown[] = []) => node().request({ method, params } as never);
  const relayerNonce = () => getTransactionCount(node(), { address: accounts.relayer.address, blockTag: "latest" });
  /** A client through `url` (a proxy); viem's own retries off unless asked for, so the pipeline's are what is tested. */
  const clientVia = (url: string, retryCount = 0) =>
    createPublicClient({ chain: chain.chain, transport: http(url, { retryCount }) });
  const context = (overrides: Partial<AnchorPipelineContext> = {}) =>
    pipelineContext(chain, db(), [store], signer, overrides);
  const anchor = (manifest: string, overrides: Partial<AnchorPipelineContext> = {}, more = {}) =>
    anchorManifests(context(overrides), { manifests: [manifest], ...FAST, ...more } as AnchorManifestsParameters);

  /** Every submission recorded, oldest first, with its attempts. */
  async function submissions(database: Database = db()): Promise<SubmissionRecord[]> {
    const rows = await database.query<{ id: string }>("select id::text as id from pop_anchor_submission order by id");
    return Promise.all(rows.map((row) => readSubmission(database, row.id)));
  }
  const sentReplacements = async () =>
    Number(
      (
        await db().query(
          "select count(*)::integer as n from pop_anchor_attempt where attempt > 1 and sent_at is not null",
        )
      )[0]?.n,
    );
  async function theRun(): Promise<{ step: string; chainId: string }> {
    const rows = await db().query<{ step: string; chain_id: string }>("select step, chain_id from pop_anchor_run");
    expect(rows).to.have.length(1);
    const [row] = rows as [{ step: string; chain_id: string }];
    return { step: row.step, chainId: row.chain_id };
  }
  const anchorsOf = (chainId: string) =>
    readAnchorLogs(node(), { registry: chain.registry, tenantId: toOnchainId(TENANT), chainId: toOnchainId(chainId) });
  const receiptOf = (hash: Hex) => rpc("eth_getTransactionReceipt", [hash]) as Promise<unknown>;

  /** Polls `condition` until it holds; fails at once if `running` settles first. */
  async function until(condition: () => Promise<boolean>, running: Promise<unknown>, timeoutMs = 20_000) {
    let settled = false;
    running.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    const giveUpAt = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (settled) throw new Error("the pipeline settled before the awaited state was recorded");
      if (Date.now() > giveUpAt) throw new Error(`the awaited state was not recorded within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  describe("fee bumping", () => {
    it("replaces a transaction stuck in the mempool at the same nonce with fees ≥ 12.5 % higher; only the replacement is mined", async () => {
      const manifest = await writeManifest(dir);
      const before = await relayerNonce();
      const steps: string[] = [];
      await migrate(db(), ANCHOR_SCHEMA, ANCHOR_MIGRATIONS); // so that the attempts can be counted from the start
      await rpc("evm_setAutomine", [false]);
      const running = anchor(manifest, { onStep: (step) => void steps.push(step) }, { stuckAfterMs: 200 });
      let result: Awaited<typeof running>;
      try {
        // A replacement the node has: mining before its broadcast would mine the first attempt.
        await until(async () => (await sentReplacements()) >= 1, running);
        expect(await relayerNonce(), "nothing mined while automine is off").to.equal(before);
      } finally {
        await rpc("evm_mine");
        await rpc("evm_setAutomine", [true]);
        result = await running;
      }

      const [submission, ...others] = await submissions();
      expect(others).to.have.length(0);
      const { attempts } = submission as SubmissionRecord;
      expect(attempts.length).to.be.at.least(2);
      expect(submission?.status).to.equal("confirmed");
      expect(submission?.nonce).to.equal(before);
      expect(await relayerNonce()).to.equal(before + 1);
      const calls = attempts.map((a) => parseTransaction(a.raw));
      for (const [i, attempt] of attempts.entries()) {
        // Every attempt is the same call at the same nonce: only the fees change.
        expect(calls[i]).to.deep.include({ nonce: before, to: calls[0]?.to, data: calls[0]?.data, gas: calls[0]?.gas });
        if (i === 0) continue;
        const previous = attempts[i - 1] as SubmissionRecord["attempts"][number];
        expect(attempt.maxFeePerGas * 8n >= previous.maxFeePerGas * 9n, `attempt ${i + 1} maxFeePerGas`).to.equal(true);
        expect(attempt.maxPriorityFeePerGas * 8n >= previous.maxPriorityFeePerGas * 9n).to.equal(true);
      }
      const minedHash = result.transaction?.txHash as Hex;
      const mined = attempts.findIndex((a) => a.hash === minedHash);
      expect(mined, "the mined transaction is a replacement").to.be.at.least(1);
      expect(submission?.txHash).to.equal(minedHash);
      const receipts = await Promise.all(attempts.map((a) => receiptOf(a.hash)));
      expect(receipts.map((r) => r !== null)).to.deep.equal(attempts.map((_, i) => i === mined));
      expect(steps).to.include("bumped");

      const { chainId } = await theRun();
      const logs = await anchorsOf(chainId);
      expect(logs.map((log) => log.transactionHash)).to.deep.equal([minedHash]);
      const receipt = JSON.parse(await readFile(receiptPathFor(manifest), "utf8"));
      expect(receipt.transaction.hash).to.equal(minedHash);
    });
  });

  describe("a transaction recorded but never broadcast", () => {
    /** Runs the pipeline through a proxy that never lets eth_sendRawTransaction reach the node. */
    async function anchorWithoutBroadcast(manifest: string): Promise<{ error: Error; proxy: RpcProxy }> {
      const proxy = await startRpcProxy(chain.url, {
        onCall: (call) => (call.method === "eth_sendRawTransaction" ? "drop" : "forward"),
      });
      try {
        const error = await rejection(anchor(manifest, { publicClient: clientVia(proxy.url) }, { rpcFailures: 2 }));
        return { error, proxy };
      } finally {
        await proxy.close();
      }
    }

    it("is broadcast by the next run as the very bytes recorded (same hash), never as a new transaction", async () => {
      const manifest = await writeManifest(dir);
      const before = await relayerNonce();
      const { error, proxy } = await anchorWithoutBroadcast(manifest);
      expect(error).to.be.instanceOf(AnchorTransactionError);
      expect((error as AnchorTransactionError).shortMessage).to.match(
        /^Settling transaction of submission \d+ failed: The network at http:\/\/127\.0\.0\.1:\d+ did not answer/,
      );
      expect((error as AnchorTransactionError).details).to.include("never sent twice");
      expect(proxy.count("eth_sendRawTransaction"), "one broadcast per settle round").to.equal(2);
      expect(await relayerNonce()).to.equal(before);
      expect((await theRun()).step).to.equal("submitted");
      const [recorded] = (await submissions()) as [SubmissionRecord];
      expect(recorded).to.deep.include({ status: "pending", nonce: before });
      expect(recorded.attempts).to.have.length(1);
      expect(recorded.attempts[0]?.sent).to.equal(false);

      // The re-run, through a proxy that only watches.
      const watcher = await startRpcProxy(chain.url);
      let again: Awaited<ReturnType<typeof anchorManifests>>;
      try {
        again = await anchor(manifest, { publicClient: clientVia(watcher.url) });
      } finally {
        await watcher.close();
      }
      const broadcasts = watcher.calls.filter((c) => c.method === "eth_sendRawTransaction").map((c) => c.params);
      expect(broadcasts).to.deep.equal([[recorded.attempts[0]?.raw]]);
      expect(again.runs[0]?.status).to.equal("anchored");
      expect(again.transaction?.txHash).to.equal(recorded.attempts[0]?.hash);
      expect(await relayerNonce()).to.equal(before + 1);
      const [settled, ...others] = await submissions();
      expect(others).to.have.length(0);
      expect(settled).to.deep.include({ status: "confirmed", txHash: recorded.attempts[0]?.hash });
      expect(settled?.attempts.map((a) => [a.hash, a.sent])).to.deep.equal([[recorded.attempts[0]?.hash, true]]);
      const logs = await anchorsOf((await theRun()).chainId);
      expect(logs.map((log) => log.transactionHash)).to.deep.equal([recorded.attempts[0]?.hash]);
    });

    it("whose nonce another transaction took is marked dropped, and its runs are sent anew at the next nonce, once", async () => {
      const manifest = await writeManifest(dir);
      const before = await relayerNonce();
      await anchorWithoutBroadcast(manifest);
      const [recorded] = (await submissions()) as [SubmissionRecord];
      expect(recorded.nonce).to.equal(before);

      // Someone else spends the relayer's nonce first: a 0-value self-transfer.
      const relayerWallet = createWalletClient({ account: accounts.relayer, transport: http(chain.url) });
      const other = await relayerWallet.sendTransaction({ to: accounts.relayer.address, value: 0n, chain: null });
      const otherReceipt = await node().waitForTransactionReceipt({ hash: other });
      expect(otherReceipt.status).to.equal("success");
      expect((await node().getTransaction({ hash: other })).nonce).to.equal(before);

      const steps: string[] = [];
      const again = await anchor(manifest, { onStep: (step) => void steps.push(step) });
      expect(steps).to.include("dropped");
      expect(steps.indexOf("dropped")).to.be.lessThan(steps.indexOf("submitted"));
      expect(again.runs[0]?.status).to.equal("anchored");
      const [dropped, resent, ...others] = await submissions();
      expect(others).to.have.length(0);
      expect(dropped).to.deep.include({ id: recorded.id, status: "dropped", nonce: before });
      expect(resent).to.deep.include({ status: "confirmed", nonce: before + 1, txHash: again.transaction?.txHash });
      expect(await relayerNonce()).to.equal(before + 2); // the self-transfer and one anchor
      expect(await receiptOf(recorded.attempts[0]?.hash as Hex)).to.equal(null);
      const logs = await anchorsOf((await theRun()).chainId);
      expect(logs.map((log) => log.transactionHash)).to.deep.equal([again.transaction?.txHash]);
      const receipt = JSON.parse(await readFile(receiptPathFor(manifest), "utf8"));
      expect(receipt.transaction.hash).to.equal(again.transaction?.txHash);
    });
  });

  describe("RPC failures", () => {
    it("completes through an RPC that answers 503 to every third request (viem retries them)", async () => {
      const manifest = await writeManifest(dir);
      const before = await relayerNonce();
      const proxy = await startRpcProxy(chain.url, {
        onCall: (call) => (call.index % 3 === 0 ? { status: 503 } : "forward"),
      });
      let result: Awaited<ReturnType<typeof anchorManifests>>;
      try {
        result = await anchor(manifest, { publicClient: clientVia(proxy.url, 3) });
      } finally {
        await proxy.close();
      }
      expect(proxy.count(undefined, (action) => typeof action === "object")).to.be.at.least(3);
      expect(result.runs[0]?.status).to.equal("anchored");
      expect(await relayerNonce()).to.equal(before + 1);
      expect(await anchorsOf(result.runs[0]?.chainId as string)).to.have.length(1);
    });

    it("settles through lost answers: the settle loop looks again and finds the transaction the node did get", async () => {
      const manifest = await writeManifest(dir);
      const before = await relayerNonce();
      const seen = new Map<string, number>();
      const proxy = await startRpcProxy(chain.url, {
        onCall: (call) => {
          const n = (seen.get(call.method) ?? 0) + 1;
          seen.set(call.method, n);
          // The node gets the first broadcast but its answer is lost; the first two receipt look-ups fail.
          if (call.method === "eth_sendRawTransaction" && n === 1) return { status: 503, afterForwarding: true };
          if (call.method === "eth_getTransactionReceipt" && n <= 2) return { status: 503 };
          return "forward";
        },
      });
      const steps: string[] = [];
      let result: Awaited<ReturnType<typeof anchorManifests>>;
      try {
        result = await anchor(manifest, {
          publicClient: clientVia(proxy.url),
          onStep: (step) => void steps.push(step),
        });
      } finally {
        await proxy.close();
      }
      expect(proxy.count("eth_sendRawTransaction")).to.equal(1);
      expect(proxy.count("eth_getTransactionReceipt", (action) => typeof action === "object")).to.equal(2);
      expect(result.runs[0]?.status).to.equal("anchored");
      expect(await relayerNonce()).to.equal(before + 1);
      const [submission] = (await submissions()) as [SubmissionRecord];
      expect(submission.attempts).to.have.length(1);
      expect(result.transaction?.txHash).to.equal(submission.attempts[0]?.hash);
      expect(steps).to.not.include("sent"); // the broadcast's answer never came
      expect(await anchorsOf(result.runs[0]?.chainId as string)).to.have.length(1);
    });

    it("reports an RPC that is down as the network not answering, sends nothing, and a later run finishes the work", async () => {
      const manifest = await writeManifest(dir);
      const before = await relayerNonce();
      const proxy = await startRpcProxy(chain.url, { onCall: () => ({ status: 503 }) });
      let error: Error;
      try {
        error = await rejection(anchor(manifest, { publicClient: clientVia(proxy.url, 1) }));
      } finally {
        await proxy.close();
      }
      expect(error).to.be.instanceOf(RegistryError);
      expect((error as RegistryError).shortMessage).to.equal(
        `The network at ${proxy.url} did not answer: HTTP request failed.`,
      );
      expect((error as RegistryError).retryable).to.equal(true);
      expect(proxy.count("eth_sendRawTransaction")).to.equal(0);
      expect(await relayerNonce()).to.equal(before);
      expect((await theRun()).step).to.equal("signed");
      expect(await submissions()).to.have.length(0);

      const again = await anchor(manifest);
      expect(again.runs[0]?.status).to.equal("anchored");
      expect(await relayerNonce()).to.equal(before + 1);
      expect(await anchorsOf(again.runs[0]?.chainId as string)).to.have.length(1);
    });
  });

  describe("refusals before anything is sent", () => {
    it("refuses an anchor signer the tenant does not allow with the registry's plain sentence; nothing sent, run left signed", async () => {
      const manifest = await writeManifest(dir);
      const before = await relayerNonce();
      const outsider = privateKeyToAccount(DEV_KEYS[4] as Hex);
      const error = await rejection(anchor(manifest, { anchorSigner: outsider }));
      expect(error).to.be.instanceOf(RegistryError);
      expect((error as RegistryError).errorName).to.equal("SignerNotAllowed");
      expect((error as RegistryError).shortMessage).to.equal(
        `${outsider.address} is not an allowed anchor signer of tenant "${TENANT}".`,
      );
      expect(error.message).to.not.match(/revert|0x[0-9a-f]{8}\b/i);
      expect(await relayerNonce()).to.equal(before);
      expect((await theRun()).step).to.equal("signed");
      expect(await submissions()).to.have.length(0);
    });

    it("stops at `chained` when the storage quorum is not met, naming the provider; a run with a working provider anchors", async () => {
      const manifest = await writeManifest(dir);
      const before = await relayerNonce();
      const error = await rejection(anchor(manifest, { providers: [store, refusingProvider] }));
      expect(error).to.be.instanceOf(AnchorPipelineError);
      expect((error as AnchorPipelineError).shortMessage)
        .to.include(manifest)
        .and.include("not confirmed by the quorum");
      // Providers not yet confirmed when the quorum became impossible are listed too (the local store may be pending).
      expect((error as AnchorPipelineError).details).to.include("refusing-store: failed (the bucket is read-only)");
      expect((error as AnchorPipelineError).retryable).to.equal(true);
      expect(await relayerNonce()).to.equal(before);
      const stopped = await theRun();
      expect(stopped.step).to.equal("chained");

      const again = await anchor(manifest, { providers: [store] });
      expect(again.runs[0]?.status).to.equal("anchored");
      expect(again.runs[0]?.chainId).to.equal(stopped.chainId);
      expect(await relayerNonce()).to.equal(before + 1);
      expect(await anchorsOf(stopped.chainId)).to.have.length(1);
    });
  });

  describe("two processes on the same state", () => {
    if (target.name === "postgres")
      it("race on one manifest: one transaction; the loser is told another process moved the run", async () => {
        const manifest = await writeManifest(dir);
        const before = await relayerNonce();
        // A second pool on the same schema: what a second `pop anchor` with the same DATABASE_URL opens.
        const [{ schema }] = (await db().query<{ schema: string }>("select current_schema() as schema")) as [
          { schema: string },
        ];
        const url = new URL(process.env[TEST_DATABASE_URL_VARIABLE] as string);
        url.searchParams.set("options", `-c search_path=${schema}`);
        const second = await openServer(url.toString());
        // Not migrated beforehand: both first-ever migrations race too (the migration lock serialises them).
        let outcomes: PromiseSettledResult<Awaited<ReturnType<typeof anchorManifests>>>[];
        try {
          outcomes = await Promise.allSettled([
            anchor(manifest),
            anchorManifests(pipelineContext(chain, second, [store], signer), { manifests: [manifest], ...FAST }),
          ]);
        } finally {
          await second.close();
        }
        const won = outcomes.filter((o) => o.status === "fulfilled");
        const lost = outcomes.filter((o) => o.status === "rejected");
        expect(won.map((o) => o.value.runs[0]?.status)).to.include("anchored");
        // The loser meets the winner's record (packets, a step, the submission) and is told so; should it reach the
        // registry only after the winner's transaction is mined, the registry's answer says the chain is anchored.
        for (const { reason } of lost)
          if (!(reason instanceof RegistryError && reason.errorName === "AnchorAlreadyExists"))
            expect(reason, String(reason)).to.be.instanceOf(StateConflictError);
        // Whoever finished reports the one transaction.
        const hashes = new Set(won.map((o) => o.value.transaction?.txHash).filter((h) => h !== undefined));
        expect(hashes.size).to.equal(1);
        expect(await relayerNonce()).to.equal(before + 1);
        const recorded = await submissions();
        expect(recorded.map((s) => [s.status, s.attempts.length])).to.deep.equal([["confirmed", 1]]);
        const { chainId, step } = await theRun();
        expect(step).to.equal("done");
        const logs = await anchorsOf(chainId);
        expect(logs.map((log) => log.transactionHash)).to.deep.equal([...hashes]);
      });

    if (target.name === "pglite")
      it("cannot race on PGlite: a second process opening the state directory is refused while this one anchors", async () => {
        const manifest = await writeManifest(dir);
        const before = await relayerNonce();
        const running = anchor(manifest);
        const code = `
          const { openPglite } = await import(process.env.POP_PGLITE_MODULE);
          try {
            const db = await openPglite(process.env.POP_DIR);
            await db.close();
            process.stdout.write("opened");
          } catch (error) {
            process.stdout.write(error.message);
          }`;
        const child: ChildProcess = spawn(process.execPath, [...TEST_NODE_FLAGS, "--input-type=module", "-e", code], {
          env: {
            ...process.env,
            POP_PGLITE_MODULE: pathToFileURL(join(import.meta.dirname, "../../../src/db/pglite.ts")).href,
            POP_DIR: db().location,
          },
          stdio: ["ignore", "pipe", "ignore"],
        });
        let output = "";
        child.stdout?.on("data", (chunk) => {
          output += chunk;
        });
        const [status] = await once(child, "exit");
        const result = await running;
        expect(status).to.equal(0);
        expect(output).to.include(`${db().location} is in use by another process (pid ${process.pid})`);
        expect(result.runs[0]?.status).to.equal("anchored");
        expect(await relayerNonce()).to.equal(before + 1);
        expect(await anchorsOf(result.runs[0]?.chainId as string)).to.have.length(1);
      });
  });
});
