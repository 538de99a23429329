/**
 * Fault injection for the receipts service, in the style of the anchoring
 * pipeline's (test/anchor/pipeline/fault.test.ts): the service's work
 * (crash/receiptsChild.ts: a job's submit and complete over HTTP, the outbox
 * worker storing each packet and committing it with the direct committer on a
 * local Numbers chain) runs as a child process killed with SIGKILL right after
 * its k-th recorded step, for every k of an uninterrupted run's K = 16 steps
 * on Postgres (three chosen ones on PGlite, where each costs far more: see
 * PGLITE_KILL_STEPS), and is then restarted in this process with the same
 * requests. The end state must be the uninterrupted run's: every event committed with its receipt, every packet
 * in the store, and on the chain exactly one `Commit` per idempotency key, from
 * the committing account, at consecutive nonces (no transaction wasted). Every
 * k starts from the same chain state (an EVM snapshot taken before and
 * reverted to after) and an empty database, on PGlite and on a Postgres server.
 *
 * Then two service replicas over one database (two pools on Postgres), each
 * with its own committer on the same account, are sent the same events at
 * once: one event per key, one commit per key on the chain.
 *
 * Packets carry a random packet id, so their bytes and CIDs differ from run to
 * run: they are checked for consistency (database, store, transaction input,
 * receipt) rather than for equality with the reference.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { createPublicClient, type Hex, http, keccak256, stringToBytes } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getBlockNumber, getContractEvents, getTransaction, getTransactionCount, readContract } from "viem/actions";
import { DEV_KEYS } from "../../../scripts/demo/accounts.ts";
import { commitRegisterAbi } from "../../../src/anchor/abi.ts";
import type { Database } from "../../../src/db/database.ts";
import { migrate } from "../../../src/db/migrate.ts";
import { rawCid } from "../../../src/evidence/cid.ts";
import { receiptByKey } from "../../../src/jobs/service/events.ts";
import { idempotencyKey } from "../../../src/jobs/service/receipts.ts";
import { startReceiptsService } from "../../../src/jobs/service/server.ts";
import { assetCidFromCommitInput } from "../../../src/numbers/commitInput.ts";
import { createDirectCommitter } from "../../../src/numbers/directCommitter.ts";
import { NUMBERS_DIRECT_MIGRATIONS, NUMBERS_DIRECT_SCHEMA } from "../../../src/numbers/directSchema.ts";
import { LocalStore } from "../../../src/storage/local.ts";
import { migrateTransactions } from "../../../src/transactions/schema.ts";
import { describeEachDatabase } from "../../helpers/databases.ts";
import {
  killPoints,
  runChild,
  type StateDatabase,
  type StateDatabases,
  stateDatabases,
} from "../../helpers/faultChild.ts";
import { type LocalNumbersChain, startLocalNumbers } from "../../helpers/localChain.ts";
import { runReceiptsWork, type WorkConfig } from "./crash/receiptsChild.ts";
import { apiKey, call, eventually, FAST_WORKER, jobBodies, openTwin, SIGNERS } from "./harness.ts";

const CHILD = join(import.meta.dirname, "crash", "receiptsChild.ts");
const COMMITTER_KEY = DEV_KEYS[4] as Hex;
const COMMITTER = privateKeyToAccount(COMMITTER_KEY).address;
/** One event's recorded steps, in the order an uninterrupted run takes them. */
const EVENT_STEPS = [
  "event:recorded",
  "outbox:stored",
  "commit:recorded",
  "commit:submitted",
  "commit:sent",
  "outbox:submitted",
  "commit:confirmed",
  "outbox:committed",
];

/** One attempt: its own store and database. */
interface Case {
  readonly db: StateDatabase<string>;
  readonly work: WorkConfig;
  readonly env: Record<string, string>;
}

/**
 * The kill points on PGlite where Postgres runs them all (faultChild.ts `killPoints`): the steps where a lost
 * write would commit twice, the first event's (the second one's are the same code on another row). The event
 * recorded (answered to no one yet), the commit's transaction recorded but not broadcast, and broadcast but
 * not yet known to the outbox.
 */
const PGLITE_KILL_STEPS = ["event:recorded", "commit:submitted", "commit:sent"];

const sorted = (values: readonly string[]) => [...values].sort();

describeEachDatabase("receipts service killed after each step", (target) => {
  let numbers: LocalNumbersChain;
  let root: string;
  let databases: StateDatabases<string>;
  let jobs: WorkConfig["jobs"];
  let cases = 0;

  before(async () => {
    numbers = await startLocalNumbers();
    root = await mkdtemp(join(tmpdir(), "pop-crash-"));
    // Every table the service and the direct committer use, and the tenant's API key: the children only work.
    databases = await stateDatabases(target, root, async (db) => {
      const key = await apiKey(db);
      await migrateTransactions(db);
      await migrate(db, NUMBERS_DIRECT_SCHEMA, NUMBERS_DIRECT_MIGRATIONS);
      return key;
    });
    const job = await jobBodies({ seed: 41n });
    jobs = [{ submit: job.submit, complete: job.complete }];
  });
  after(async () => {
    await databases?.close();
    await numbers?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const publicClient = () => createPublicClient({ transport: http(numbers.url) });
  const rpc = (method: string, params: unknown[] = []) =>
    publicClient().request({ method, params } as never) as Promise<unknown>;

  /** What must be the same before every attempt: the head of the chain and the committer's nonce. */
  async function chainState() {
    return {
      blockNumber: await getBlockNumber(publicClient(), { cacheTime: 0 }),
      nonce: await getTransactionCount(publicClient(), { address: COMMITTER, blockTag: "pending" }),
    };
  }

  async function newCase(name: string): Promise<Case> {
    const store = join(root, `case-${++cases}-${name}`, "store");
    await mkdir(store, { recursive: true });
    const db = await databases.fresh();
    const work: WorkConfig = {
      rpcUrl: numbers.url,
      evmChainId: numbers.chain.id,
      commitContract: numbers.commitRegister,
      committerKey: COMMITTER_KEY,
      store,
      apiKey: db.prepared,
      jobs,
    };
    return {
      db,
      work,
      env: {
        ...db.env,
        POP_FAULT_WORK: JSON.stringify(work),
        // The children load the same modules again and again: V8's code cache saves a fifth of their start.
        NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(root, "compile-cache"),
      },
    };
  }

  /**
   * Checks that every event is committed once, in the database, the store and on the chain since `start`,
   * and answers what must equal the reference.
   */
  async function endState(db: Database, store: LocalStore, start: Awaited<ReturnType<typeof chainState>>) {
    const events = await db.query(
      `select idempotency_key, job_id, event_type, status, packet, packet_cid, packet_hash, committer, nid,
         nid_matches_cid, tx_hash, block_number::text as block_number
       from pop_jobs_event order by id`,
    );
    const expectedKeys = jobs.flatMap((job) => {
      const jobId = (job.submit as { jobId: string }).jobId;
      return [idempotencyKey(jobId, "JobSubmitted"), idempotencyKey(jobId, "JobCompleted")];
    });
    expect(events.map((event) => event.idempotency_key)).to.deep.equal(expectedKeys);

    // The chain: one Commit per key from the committer since the start, one transaction each, nothing else sent.
    const logs = await getContractEvents(publicClient(), {
      address: numbers.commitRegister,
      abi: commitRegisterAbi,
      eventName: "Commit",
      args: { recorder: COMMITTER },
      fromBlock: start.blockNumber + 1n,
      toBlock: "latest",
    });
    expect(logs, "Commit logs").to.have.length(events.length);
    expect(await getTransactionCount(publicClient(), { address: COMMITTER, blockTag: "pending" })).to.equal(
      start.nonce + events.length,
    );

    for (const event of events) {
      const key = event.idempotency_key as string;
      const cid = event.packet_cid as string;
      const packet = new Uint8Array(event.packet as Uint8Array);
      // The packet recorded is the one stored and the one committed.
      expect(rawCid(packet), `${key}: CID of the recorded packet`).to.equal(cid);
      expect(Buffer.from((await store.get(cid)) as Uint8Array).equals(Buffer.from(packet)), `${key}: stored`).to.be
        .true;
      const [log, ...others] = logs.filter((l) => l.transactionHash === event.tx_hash);
      expect(log, `${key}: its Commit log`).to.not.equal(undefined);
      expect(others, `${key}: one Commit log in its transaction`).to.have.length(0);
      const transaction = await getTransaction(publicClient(), { hash: event.tx_hash as Hex });
      expect(assetCidFromCommitInput(transaction.input, keccak256(stringToBytes(cid))), `${key}: assetCid`).to.equal(
        cid,
      );
      expect(String(transaction.blockNumber)).to.equal(event.block_number);
      const commits = await readContract(publicClient(), {
        address: numbers.commitRegister,
        abi: commitRegisterAbi,
        functionName: "getCommits",
        args: [cid],
      });
      expect(commits, `${key}: commits of its CID`).to.have.length(1);
      // The receipt the routes answer.
      const receipt = await receiptByKey(db, key);
      expect(receipt?.commit?.txHash, `${key}: receipt`).to.equal(event.tx_hash);
      expect(receipt?.nid).to.equal(cid);
    }
    const commits = await db.query(
      "select idempotency_key, status, origin, tx_hash from pop_numbers_direct_commit order by idempotency_key",
    );
    const submissions = await db.query("select status, tx_hash from pop_anchor_submission order by id");
    return {
      events: events.map((event) => ({
        key: event.idempotency_key,
        eventType: event.event_type,
        status: event.status,
        committer: event.committer,
        nidIsCid: event.nid === event.packet_cid && event.nid_matches_cid === true,
      })),
      commits: commits.map((commit) => ({
        key: commit.idempotency_key,
        status: commit.status,
        origin: commit.origin,
        sameTransaction: events.some(
          (e) => e.tx_hash === commit.tx_hash && e.idempotency_key === commit.idempotency_key,
        ),
      })),
      submissions: submissions.map((submission) => ({
        status: submission.status,
        ours: events.some((e) => e.tx_hash === submission.tx_hash),
      })),
    };
  }

  async function snapshot() {
    return { id: (await rpc("evm_snapshot")) as Hex, state: await chainState() };
  }

  async function revert(id: Hex) {
    expect(await rpc("evm_revert", [id])).to.equal(true);
  }

  it("one job: the service killed after a step k of K, restarted, ends as an uninterrupted run", async function () {
    this.timeout(600_000);
    // The reference: one uninterrupted run, in this process (the killed children must take its steps, in its order).
    const reference = await newCase("reference");
    const start = await snapshot();
    let referenceState: Awaited<ReturnType<typeof endState>>;
    const steps: string[] = [];
    try {
      const db = await reference.db.open();
      try {
        await runReceiptsWork(reference.work, db, (step) => steps.push(step));
        expect(steps).to.deep.equal([...EVENT_STEPS, ...EVENT_STEPS]);
        referenceState = await endState(db, new LocalStore(reference.work.store), start.state);
      } finally {
        await db.close();
      }
    } finally {
      await revert(start.id);
      await reference.db.dispose();
    }
    expect(referenceState.events.map((event) => event.status)).to.deep.equal(["committed", "committed"]);
    // Reverted: the next attempt starts where the reference did.
    expect(await chainState()).to.deep.equal(start.state);

    for (const k of killPoints(target, steps, (names) => PGLITE_KILL_STEPS.map((name) => names.indexOf(name) + 1))) {
      const label = `killed after step ${k} (${steps[k - 1]})`;
      const attempt = await newCase(`k${k}`);
      const { id, state } = await snapshot();
      try {
        expect(state, `${label}: chain state at the start`).to.deep.equal(start.state);
        const killed = await runChild(CHILD, attempt.env, k);
        expect(killed.signal, `${label}: ${killed.stderr}`).to.equal("SIGKILL");
        expect(killed.steps, label).to.deep.equal(steps.slice(0, k));
        const db = await attempt.db.open();
        try {
          const resumed: string[] = [];
          await runReceiptsWork(attempt.work, db, (step) => resumed.push(step));
          // Nothing done twice, nothing skipped (a restart may take the remaining steps in another order).
          expect(sorted([...killed.steps, ...resumed]), `${label}: steps of the restart ${resumed}`).to.deep.equal(
            sorted(steps),
          );
          const end = await endState(db, new LocalStore(attempt.work.store), state);
          expect(end, label).to.deep.equal(referenceState);
        } finally {
          await db.close();
        }
      } finally {
        await revert(id);
        await attempt.db.dispose();
      }
    }
  });

  // On Postgres only: two pools, as two replicas open it (test/jobs/service/outbox.test.ts races two services over
  // one PGlite handle, with a recording committer).
  if (target.name === "postgres")
    it("two replicas over one database, each with its own committer, sent the same events at once, both working on every event: one commit per key", async function () {
      this.timeout(120_000);
      const db = await target.open();
      const twin = await openTwin(target, db);
      const dir = await mkdtemp(join(tmpdir(), "pop-crash-replicas-"));
      const store = new LocalStore(dir);
      const replicas: Awaited<ReturnType<typeof startReceiptsService>>[] = [];
      try {
        const start = await chainState();
        const key = await apiKey(db);
        for (const replicaDb of [db, twin.db])
          replicas.push(
            await startReceiptsService({
              db: replicaDb,
              committer: createDirectCommitter({
                db: replicaDb,
                publicClient: publicClient(),
                account: privateKeyToAccount(COMMITTER_KEY),
                evmChainId: numbers.chain.id,
                commitContract: numbers.commitRegister,
                confirmations: 1,
                pollingIntervalMs: 20,
              }),
              providers: [store],
              signers: SIGNERS,
              port: 0,
              // A lease of a millisecond: each replica's every pass takes every event not yet committed, so the two
              // move the same events on at the same time (the committer's own exactly-once is what is left).
              worker: { ...FAST_WORKER, leaseMs: 1 },
            }),
          );
        const bodies = await Promise.all([0n, 1n, 2n, 3n].map((i) => jobBodies({ seed: 700n + i })));
        // Each event three times to each replica, all at once: a client retrying against a load balancer.
        for (const route of ["submit", "complete"] as const) {
          const answers = await Promise.all(
            bodies.flatMap((job) =>
              [0, 1, 2].flatMap(() =>
                replicas.map((replica) => call(replica.url, `/api/jobs/${route}`, { key, body: job[route] })),
              ),
            ),
          );
          expect(
            answers.filter((answer) => answer.status === 202),
            `${route}: accepted`,
          ).to.have.length(bodies.length);
          expect(
            answers.filter((answer) => answer.status === 409),
            `${route}: repeats`,
          ).to.have.length(bodies.length * 5);
        }
        const events = bodies.length * 2;
        await eventually(
          async () => {
            const [row] = await db.query<{ n: number }>(
              "select count(*)::integer as n from pop_jobs_event where status = 'committed'",
            );
            return row?.n === events;
          },
          "both replicas' events are committed",
          60_000,
        );
        const rows = await db.query("select idempotency_key, packet, packet_cid, tx_hash from pop_jobs_event");
        expect(rows).to.have.length(events);
        const logs = await getContractEvents(publicClient(), {
          address: numbers.commitRegister,
          abi: commitRegisterAbi,
          eventName: "Commit",
          args: { recorder: COMMITTER },
          fromBlock: start.blockNumber + 1n,
          toBlock: "latest",
        });
        expect(logs, "Commit logs").to.have.length(events);
        expect(await getTransactionCount(publicClient(), { address: COMMITTER, blockTag: "pending" })).to.equal(
          start.nonce + events,
        );
        expect(new Set(logs.map((log) => log.transactionHash))).to.deep.equal(new Set(rows.map((row) => row.tx_hash)));
        for (const row of rows) {
          const cid = row.packet_cid as string;
          const commits = await readContract(publicClient(), {
            address: numbers.commitRegister,
            abi: commitRegisterAbi,
            functionName: "getCommits",
            args: [cid],
          });
          expect(commits, `${row.idempotency_key}: commits of its CID`).to.have.length(1);
          expect(Buffer.from((await store.get(cid)) as Uint8Array).equals(Buffer.from(row.packet as Uint8Array))).to.be
            .true;
        }
      } finally {
        for (const replica of replicas) await replica.close();
        await twin.close();
        await db.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
});
