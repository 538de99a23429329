import { randomBytes } from "node:crypto";
import { expect } from "chai";
import {
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  keccak256,
  parseTransaction,
  stringToBytes,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getContractEvents, getTransaction, getTransactionCount, readContract } from "viem/actions";
import { DEV_KEYS } from "../../scripts/demo/accounts.ts";
import { commitRegisterAbi } from "../../src/anchor/abi.ts";
import type { Database } from "../../src/db/database.ts";
import { openServer } from "../../src/db/server.ts";
import { contentCid } from "../../src/evidence/cid.ts";
import { assetCidFromCommitInput } from "../../src/numbers/commitInput.ts";
import type { CommitRequest } from "../../src/numbers/committer.ts";
import {
  createDirectCommitter,
  DirectCommitError,
  type DirectCommitterOptions,
} from "../../src/numbers/directCommitter.ts";
import { readSubmission, type SubmissionRecord } from "../../src/transactions/state.ts";
import { describeEachDatabase, freshDatabaseEach, TEST_DATABASE_URL_VARIABLE } from "../helpers/databases.ts";
import { type LocalNumbersChain, startLocalNumbers } from "../helpers/localChain.ts";
import { rejection } from "../helpers/rejection.ts";

const FAST = { confirmations: 1, pollingIntervalMs: 20 } as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Dev account 1 sends the commits. */
const committerAccount = privateKeyToAccount(DEV_KEYS[1] as Hex);

/** A commit of fresh random bytes: every test commits CIDs no other test has. */
async function request(key = `gpu-job-${randomBytes(4).toString("hex")}-completed`): Promise<CommitRequest> {
  const asset = new Uint8Array(randomBytes(200));
  return {
    idempotencyKey: key,
    asset,
    assetCid: await contentCid(asset),
    commitData: { abstract: "a GPU job event", jobDetails: { jobId: key, eventType: "completed" } },
  };
}

describeEachDatabase("the direct Numbers committer: one commit per idempotency key", (target) => {
  let chain: LocalNumbersChain;
  const db = freshDatabaseEach(target);

  before(async () => {
    chain = await startLocalNumbers();
  });
  after(async () => {
    await chain?.close();
  });

  const node = () => createPublicClient({ chain: chain.chain, transport: http(chain.url) });
  const rpc = (method: string, params: unknown[] = []) => node().request({ method, params } as never);
  const senderNonce = () => getTransactionCount(node(), { address: committerAccount.address, blockTag: "latest" });
  const committer = (overrides: Partial<DirectCommitterOptions> = {}) =>
    createDirectCommitter({
      db: db(),
      publicClient: node(),
      account: committerAccount,
      evmChainId: 31338,
      commitContract: chain.commitRegister,
      ...FAST,
      ...overrides,
    });
  /** The Commit logs of `assetCid` from any recorder. */
  const commitsOf = (assetCid: string) =>
    getContractEvents(node(), {
      address: chain.commitRegister,
      abi: commitRegisterAbi,
      eventName: "Commit",
      args: { assetCid },
      fromBlock: 0n,
    });
  async function submissions(database: Database = db()): Promise<SubmissionRecord[]> {
    const rows = await database.query<{ id: string }>("select id::text as id from pop_anchor_submission order by id");
    return Promise.all(rows.map((row) => readSubmission(database, row.id)));
  }

  it("commits once per key: repeats answer the recorded receipt and send nothing; the Commit input decodes to the CID", async () => {
    const before = await senderNonce();
    const commit = await request();
    const direct = committer({ explorerUrl: "https://mainnet.num.network/" });
    const first = await direct.submit(commit);
    expect(first).to.deep.equal({
      idempotencyKey: commit.idempotencyKey,
      committer: "direct",
      status: "pending",
      assetCid: commit.assetCid,
      nid: commit.assetCid,
      nidMatchesCid: true,
    });
    const settled = await direct.settle(commit.idempotencyKey);
    expect(settled?.status).to.equal("committed");
    const again = await direct.submit(commit);
    const settledAgain = await direct.settle(commit.idempotencyKey);
    expect(again).to.deep.equal(settled);
    expect(settledAgain).to.deep.equal(settled);
    expect(await direct.settle("gpu-job-unknown-completed")).to.equal(undefined);

    expect(await senderNonce()).to.equal(before + 1);
    const logs = await commitsOf(commit.assetCid);
    expect(logs.map((log) => log.transactionHash)).to.deep.equal([settled?.txHash]);
    const [log] = logs as [(typeof logs)[number]];
    expect(log.args.recorder).to.equal(committerAccount.address);
    expect(log.args.assetCid).to.equal(keccak256(stringToBytes(commit.assetCid)));
    expect(JSON.parse(log.args.commitData as string)).to.deep.equal(commit.commitData);
    expect(settled?.blockNumber).to.equal(log.blockNumber);
    expect(settled?.explorerUrl).to.equal(`https://mainnet.num.network/tx/${log.transactionHash}`);
    const transaction = await getTransaction(node(), { hash: log.transactionHash });
    expect(assetCidFromCommitInput(transaction.input, log.args.assetCid as Hex)).to.equal(commit.assetCid);
    expect(
      await readContract(node(), {
        address: chain.commitRegister,
        abi: commitRegisterAbi,
        functionName: "getCommits",
        args: [commit.assetCid],
      }),
    ).to.deep.equal([log.blockNumber]);
    const [submission, ...others] = await submissions();
    expect(others).to.have.length(0);
    expect(submission).to.deep.include({ purpose: "numbers-commit", status: "confirmed", txHash: log.transactionHash });
  });

  it("refuses an asset whose bytes do not hash to its assetCid, recording nothing", async () => {
    const commit = await request();
    const error = await rejection(committer().submit({ ...commit, asset: new Uint8Array([1, 2, 3]) }));
    expect(error).to.be.instanceOf(DirectCommitError);
    expect((error as DirectCommitError).shortMessage).to.equal(
      `The asset of commit ${commit.idempotencyKey} does not hash to its assetCid.`,
    );
    expect(await committer().settle(commit.idempotencyKey)).to.equal(undefined);
  });

  it("concurrent duplicates of one key make one transaction; distinct keys in flight take successive nonces and all land", async function () {
    this.timeout(60_000);
    const before = await senderNonce();
    const direct = committer();
    const duplicated = await request();
    const distinct = await Promise.all(Array.from({ length: 8 }, () => request()));
    const all = [...Array.from({ length: 5 }, () => duplicated), ...distinct];
    const submitted = await Promise.all(all.map((commit) => direct.submit(commit)));
    expect(submitted.every((receipt) => receipt.status === "pending")).to.equal(true);
    const settled = await Promise.all(all.map((commit) => direct.settle(commit.idempotencyKey)));
    expect(settled.every((receipt) => receipt?.status === "committed")).to.equal(true);
    expect(new Set(settled.slice(0, 5).map((receipt) => receipt?.txHash)).size).to.equal(1);

    expect(await senderNonce()).to.equal(before + 9);
    const recorded = await submissions();
    expect(recorded).to.have.length(9);
    expect(recorded.map((s) => s.nonce).sort((a, b) => a - b)).to.deep.equal(
      Array.from({ length: 9 }, (_, i) => before + i),
    );
    expect(recorded.every((s) => s.status === "confirmed" && s.attempts.length === 1)).to.equal(true);
    for (const commit of [duplicated, ...distinct]) expect(await commitsOf(commit.assetCid)).to.have.length(1);
  });

  it("a crash between record and broadcast: a new committer over the same database sends the recorded bytes, not a new transaction", async () => {
    const before = await senderNonce();
    const commit = await request();
    const crashing = committer({
      onStep: (step) => {
        if (step === "submitted") throw new Error("killed after recording");
      },
    });
    expect((await rejection(crashing.submit(commit))).message).to.equal("killed after recording");
    const [recorded] = (await submissions()) as [SubmissionRecord];
    expect(recorded.attempts.map((a) => a.sent)).to.deep.equal([false]);
    expect(await senderNonce()).to.equal(before);

    const steps: string[] = [];
    const restarted = committer({ onStep: (step) => void steps.push(step) });
    expect(await restarted.pendingKeys()).to.deep.equal([commit.idempotencyKey]);
    const settled = await restarted.settle(commit.idempotencyKey);
    expect(steps).to.deep.equal(["sent", "confirmed"]);
    expect(settled?.txHash).to.equal(recorded.attempts[0]?.hash);
    expect(await senderNonce()).to.equal(before + 1);
    const [after, ...others] = await submissions();
    expect(others).to.have.length(0);
    expect(after).to.deep.include({ id: recorded.id, status: "confirmed", txHash: recorded.attempts[0]?.hash });
    expect((await commitsOf(commit.assetCid)).map((log) => log.transactionHash)).to.deep.equal([
      recorded.attempts[0]?.hash,
    ]);
    expect(await restarted.pendingKeys()).to.deep.equal([]);
  });

  it("a key recorded before a crash, with no transaction yet, is sent by settle once, however many settles race", async () => {
    const before = await senderNonce();
    const commit = await request();
    const crashing = committer({
      onStep: (step) => {
        if (step === "recorded") throw new Error("killed after the key");
      },
    });
    await rejection(crashing.submit(commit));
    expect(await submissions()).to.have.length(0);
    const repeat = await committer().submit(commit);
    expect(repeat.status).to.equal("pending");
    expect(await submissions(), "a repeat sends nothing").to.have.length(0);
    // Two settles at once (a service's sweeper and a retry, say) both find the key unsent: one sends.
    const settled = await Promise.all([
      committer().settle(commit.idempotencyKey),
      committer().settle(commit.idempotencyKey),
    ]);
    expect(settled[0]?.status).to.equal("committed");
    expect(settled[1]).to.deep.equal(settled[0]);
    expect(await senderNonce()).to.equal(before + 1);
    expect(await submissions()).to.have.length(1);
    expect(await commitsOf(commit.assetCid)).to.have.length(1);
  });

  it("replaces a commit stuck in the mempool at the same nonce with higher fees; only one attempt is mined", async function () {
    this.timeout(60_000);
    const before = await senderNonce();
    const commit = await request();
    const steps: string[] = [];
    const direct = committer({ stuckAfterMs: 200, onStep: (step) => void steps.push(step) });
    await rpc("evm_setAutomine", [false]);
    let settled: Awaited<ReturnType<typeof direct.settle>>;
    try {
      await direct.submit(commit);
      const running = direct.settle(commit.idempotencyKey);
      const sentReplacements = async () =>
        Number(
          (
            await db().query(
              "select count(*)::integer as n from pop_anchor_attempt where attempt > 1 and sent_at is not null",
            )
          )[0]?.n,
        );
      const giveUpAt = Date.now() + 20_000;
      while ((await sentReplacements()) < 1) {
        if (Date.now() > giveUpAt) throw new Error("no replacement was sent within 20 s");
        await sleep(20);
      }
      expect(await senderNonce(), "nothing mined while automine is off").to.equal(before);
      await rpc("evm_mine");
      await rpc("evm_setAutomine", [true]);
      settled = await running;
    } finally {
      await rpc("evm_setAutomine", [true]);
    }
    expect(steps).to.include("bumped");
    const [submission, ...others] = (await submissions()) as [SubmissionRecord];
    expect(others).to.have.length(0);
    expect(submission.attempts.length).to.be.at.least(2);
    const calls = submission.attempts.map((a) => parseTransaction(a.raw));
    for (const call of calls) expect(call).to.deep.include({ nonce: before, to: calls[0]?.to, data: calls[0]?.data });
    const mined = submission.attempts.findIndex((a) => a.hash === settled?.txHash);
    expect(mined, "the mined transaction is a replacement").to.be.at.least(1);
    expect(await senderNonce()).to.equal(before + 1);
    expect((await commitsOf(commit.assetCid)).map((log) => log.transactionHash)).to.deep.equal([settled?.txHash]);
  });

  if (target.name === "postgres")
    it("two committers on one Postgres database racing the same key make one commit", async function () {
      this.timeout(60_000);
      const before = await senderNonce();
      const [{ schema }] = (await db().query<{ schema: string }>("select current_schema() as schema")) as [
        { schema: string },
      ];
      const url = new URL(process.env[TEST_DATABASE_URL_VARIABLE] as string);
      url.searchParams.set("options", `-c search_path=${schema}`);
      const second = await openServer(url.toString());
      const commit = await request();
      try {
        // Not migrated beforehand: both first-ever migrations race too.
        const replicas = [committer(), committer({ db: second })];
        await Promise.all(replicas.flatMap((replica) => [replica.submit(commit), replica.submit(commit)]));
        const settled = await Promise.all(replicas.map((replica) => replica.settle(commit.idempotencyKey)));
        expect(settled[0]).to.deep.equal(settled[1]);
        expect(settled[0]?.status).to.equal("committed");
      } finally {
        await second.close();
      }
      expect(await senderNonce()).to.equal(before + 1);
      expect(await submissions()).to.have.length(1);
      expect(await commitsOf(commit.assetCid)).to.have.length(1);
    });

  it("a commit found on chain from our sender, by a transaction not recorded here, is recorded as committed, not sent again", async () => {
    const commit = await request();
    const direct = committer({
      onStep: (step) => {
        if (step === "submitted") throw new Error("killed after recording");
      },
    });
    await rejection(direct.submit(commit));
    const [recorded] = (await submissions()) as [SubmissionRecord];
    // The same account commits the same CID by a transaction of its own (another deployment, say), at the recorded nonce.
    const wallet = createWalletClient({ account: committerAccount, chain: chain.chain, transport: http(chain.url) });
    const other = await wallet.writeContract({
      address: chain.commitRegister,
      abi: commitRegisterAbi,
      functionName: "commit",
      args: [commit.assetCid, "{}"],
      chain: null,
    });
    await node().waitForTransactionReceipt({ hash: other, pollingInterval: 20 });
    const settled = await committer().settle(commit.idempotencyKey);
    expect(settled).to.deep.include({ status: "committed", txHash: other });
    expect((await readSubmission(db(), recorded.id)).status).to.equal("dropped");
    expect((await commitsOf(commit.assetCid)).map((log) => log.transactionHash)).to.deep.equal([other]);
  });
});
