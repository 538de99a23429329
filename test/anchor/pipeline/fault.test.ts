/**
 * Fault injection: the anchoring pipeline, run as a child process
 * (fault/anchorChild.ts), is killed with SIGKILL right after its k-th recorded
 * step, for every k of an uninterrupted run's K steps (a single manifest and a
 * two-manifest anchorBatch), and then run again in this process. The
 * end state must be the uninterrupted run's: the same packets and chainscript
 * in the database, every run at `done`, one confirmed submission, one
 * transaction from the relayer, one ProcessAnchored log per chain, the same
 * receipts. Every k starts from the same chain state (an EVM snapshot taken
 * before and reverted to after) and an empty database, on PGlite and on a
 * Postgres server (on PGlite only the riskiest steps when a server runs them all: `killPoints`).
 *
 * What legitimately differs between two runs started at different seconds: the
 * anchor's `deadline` (now + TTL) and so its EIP-712 signature, the calldata,
 * the transaction hash, and, through the calldata's zero bytes, a few units of
 * gas and fee; the block's timestamp and hash. Those are checked for
 * consistency (one hash everywhere: database, receipt, log, block) rather
 * than for equality with the reference.
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { expect } from "chai";
import { type Hex, keccak256 } from "viem";
import { getBlock, getContractEvents, getTransaction, getTransactionCount, readContract } from "viem/actions";
import { DEV_KEYS } from "../../../scripts/demo/accounts.ts";
import { processAnchorRegistryAbi } from "../../../src/anchor/abi.ts";
import { toOnchainId } from "../../../src/anchor/ids.ts";
import { anchorManifests } from "../../../src/anchor/pipeline/pipeline.ts";
import { receiptPathFor } from "../../../src/anchor/pipeline/receipt.ts";
import type { Database } from "../../../src/db/database.ts";
import { LocalStore } from "../../../src/storage/local.ts";
import { accounts, clients } from "../../helpers/anchorRun.ts";
import { describeEachDatabase } from "../../helpers/databases.ts";
import {
  killPoints,
  runChild as runFaultChild,
  type StateDatabase,
  type StateDatabases,
  stateDatabases,
} from "../../helpers/faultChild.ts";
import { fixedSigner } from "../../helpers/fixtures.ts";
import { type LocalChain, startLocalBase } from "../../helpers/localChain.ts";
import { pipelineContext, registerTenantFor, writeManifest } from "../../helpers/pipeline.ts";

const CHILD = join(import.meta.dirname, "fault", "anchorChild.ts");
const TENANT = "studio-aurora";
/** Runs fault/anchorChild.ts to its end or, with `killAfter`, to its SIGKILL. */
const runChild = (env: Record<string, string>, killAfter?: number) => runFaultChild(CHILD, env, killAfter);
const SINGLE_STEPS = ["registered", "packets", "chained", "stored", "signed", "submitted", "sent", "confirmed", "done"];
const PREPARE_STEPS = ["registered", "packets", "chained", "stored", "signed"];

/**
 * The kill points on PGlite where Postgres runs them all (faultChild.ts `killPoints`): where a lost write would
 * anchor twice. The anchor signed but no transaction recorded, the transaction recorded but not broadcast,
 * and broadcast but its sending not recorded.
 */
const pgliteKillPoints = (steps: readonly string[]) =>
  ["signed", "submitted", "sent"].map((name) => steps.lastIndexOf(name) + 1);

const hex = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString("hex");
/** Compared by digest: equal bytes either way, and a failure's diff stays readable. */
const sha256 = (bytes: unknown) =>
  createHash("sha256")
    .update(bytes as Uint8Array)
    .digest("hex");

interface Scenario {
  /** Manifest labels (one manifest each; several make an anchorBatch). */
  readonly labels: readonly string[];
  readonly chainIds: readonly string[];
}

/** One attempt at the scenario: its own directory (manifests, receipts, store) and database. */
interface Case {
  readonly dir: string;
  readonly manifests: string[];
  readonly store: string;
  readonly db: StateDatabase;
  readonly env: Record<string, string>;
}

describeEachDatabase("pop anchor pipeline killed after each step", (target) => {
  const signer = fixedSigner();
  let chain: LocalChain;
  let root: string;
  let databases: StateDatabases;
  let cases = 0;

  before(async () => {
    chain = await startLocalBase();
    await registerTenantFor(chain, TENANT, signer);
    root = await mkdtemp(join(tmpdir(), "pop-fault-"));
    databases = await stateDatabases(target, root);
  });
  after(async () => {
    await databases?.close();
    await chain?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const publicClient = () => clients(chain).publicClient;
  const rpc = (method: string, params: unknown[] = []) =>
    publicClient().request({ method, params } as never) as Promise<unknown>;

  /** What must be the same before every attempt: the head of the chain, the relayer's nonce, no anchor yet. */
  async function chainState(scenario: Scenario) {
    const block = await getBlock(publicClient(), { blockTag: "latest" });
    const anchorBlocks = await Promise.all(
      scenario.chainIds.map((chainId) =>
        readContract(publicClient(), {
          address: chain.registry,
          abi: processAnchorRegistryAbi,
          functionName: "anchorBlock",
          args: [toOnchainId(TENANT), toOnchainId(chainId)],
        }),
      ),
    );
    const relayerNonce = await getTransactionCount(publicClient(), {
      address: accounts.relayer.address,
      blockTag: "pending",
    });
    return { blockNumber: block.number, blockHash: block.hash, timestamp: block.timestamp, relayerNonce, anchorBlocks };
  }

  async function newCase(scenario: Scenario, name: string): Promise<Case> {
    const dir = join(root, `case-${++cases}-${name}`);
    await mkdir(dir, { recursive: true });
    const manifests: string[] = [];
    for (const label of scenario.labels) manifests.push(await writeManifest(dir, { fixed: true, label }));
    const store = join(dir, "store");
    const db = await databases.fresh();
    const env = {
      ...db.env,
      POP_FAULT_RPC_URL: chain.url,
      POP_FAULT_REGISTRY: chain.registry,
      POP_FAULT_EVM_CHAIN_ID: String(chain.chain.id),
      // Dev accounts 2 and 3, as in test/helpers/anchorRun.ts: the anchor signer and the relayer.
      POP_FAULT_SIGNER_KEY: DEV_KEYS[2] as string,
      POP_FAULT_RELAYER_KEY: DEV_KEYS[3] as string,
      POP_FAULT_STORE: store,
      // The children load the same modules again and again: V8's code cache saves a fifth of their start.
      NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(root, "compile-cache"),
      POP_FAULT_MANIFESTS: JSON.stringify(manifests),
      POP_FAULT_CHAIN_IDS: JSON.stringify(scenario.chainIds),
    };
    return { dir, manifests, store, db, env };
  }

  /**
   * The end state of a case, split in what must equal the reference (`stable`)
   * after checking that what may vary is consistent everywhere it appears.
   */
  async function endState(db: Database, attempt: Case, start: Awaited<ReturnType<typeof chainState>>) {
    const runs = await db.query(
      `select run_key, evm_chain_id, registry, manifest_path, manifest_sha256, tenant_id, process_id, chain_id,
         packet_count, step, chainscript, chainscript_cid, chain_hash, anchor, signature,
         submission_id::text as submission_id
       from pop_anchor_run order by chain_id`,
    );
    const packets = await db.query(
      "select run_key, sequence, stage_id, cid, bytes from pop_anchor_packet order by run_key, sequence",
    );
    const submissions = await db.query(
      `select id::text as id, evm_chain_id, registry, sender, nonce::text as nonce, status, tx_hash,
         block_number::text as block_number, gas_used::text as gas_used, fee::text as fee
       from pop_anchor_submission order by id`,
    );
    const attempts = await db.query(
      `select submission_id::text as submission_id, attempt, hash, raw, sent_at is not null as sent
       from pop_anchor_attempt order by submission_id, attempt`,
    );

    // One submission, confirmed, with one attempt that was broadcast: the transaction the chain mined.
    expect(submissions, "submissions").to.have.length(1);
    expect(attempts, "attempts").to.have.length(1);
    const [submission] = submissions as [Record<string, unknown>];
    const [sent] = attempts as [Record<string, unknown>];
    const txHash = submission.tx_hash as Hex;
    expect(submission.status).to.equal("confirmed");
    expect(sent).to.deep.include({ submission_id: submission.id, attempt: 1, hash: txHash, sent: true });
    expect(keccak256(sent.raw as Hex)).to.equal(txHash);
    for (const run of runs) expect(run.submission_id).to.equal(submission.id);

    // On the chain: exactly one new block with exactly that transaction, from the relayer at its next nonce.
    const head = await getBlock(publicClient(), { blockTag: "latest" });
    expect(head.number).to.equal(start.blockNumber + 1n);
    expect(head.transactions).to.deep.equal([txHash]);
    const transaction = await getTransaction(publicClient(), { hash: txHash });
    expect(transaction.from.toLowerCase()).to.equal(accounts.relayer.address.toLowerCase());
    expect(transaction.nonce).to.equal(start.relayerNonce);
    expect(
      await getTransactionCount(publicClient(), { address: accounts.relayer.address, blockTag: "pending" }),
    ).to.equal(start.relayerNonce + 1);
    expect(BigInt(submission.block_number as string)).to.equal(head.number);
    expect(Number(submission.nonce)).to.equal(start.relayerNonce);

    // One ProcessAnchored log per chainscript in the whole history, in that transaction.
    const logs = [];
    for (const run of runs) {
      const found = await getContractEvents(publicClient(), {
        address: chain.registry,
        abi: processAnchorRegistryAbi,
        eventName: "ProcessAnchored",
        args: { tenantId: toOnchainId(TENANT), chainId: toOnchainId(run.chain_id as string) },
        fromBlock: 0n,
        toBlock: "latest",
        strict: true,
      });
      expect(found, `logs of ${run.chain_id}`).to.have.length(1);
      const [log] = found as [(typeof found)[number]];
      expect(log.transactionHash).to.equal(txHash);
      logs.push({ chainId: run.chain_id, chainHash: log.args.chainHash, ipfsCid: log.args.ipfsCid });
    }

    // The store holds every packet and chainscript the database recorded.
    const store = new LocalStore(attempt.store);
    for (const packet of packets)
      expect(hex(await store.get(packet.cid as string)), `packet ${packet.cid}`).to.equal(hex(packet.bytes));
    for (const run of runs)
      expect(hex(await store.get(run.chainscript_cid as string)), "chainscript").to.equal(hex(run.chainscript));

    // Receipts: the transaction's varying figures are the ones recorded.
    const receipts = [];
    for (const manifest of attempt.manifests) {
      const receipt = JSON.parse(await readFile(receiptPathFor(manifest), "utf8"));
      const { hash, gasUsed, fee, ...transactionRest } = receipt.transaction;
      expect({ hash, gasUsed, fee }).to.deep.equal({
        hash: txHash,
        gasUsed: submission.gas_used,
        fee: submission.fee,
      });
      receipts.push({ ...receipt, transaction: transactionRest });
    }

    return {
      stable: {
        runs: runs.map((run) => {
          const { deadline, ...anchor } = JSON.parse(run.anchor as string);
          expect(BigInt(deadline) > start.timestamp, "deadline").to.equal(true);
          return {
            runKey: run.run_key,
            evmChainId: run.evm_chain_id,
            registry: run.registry,
            manifest: relative(attempt.dir, run.manifest_path as string),
            manifestSha256: run.manifest_sha256,
            tenantId: run.tenant_id,
            processId: run.process_id,
            chainId: run.chain_id,
            packetCount: run.packet_count,
            step: run.step,
            chainscriptSha256: sha256(run.chainscript),
            chainscriptCid: run.chainscript_cid,
            chainHash: run.chain_hash,
            anchor,
          };
        }),
        packets: packets.map((p) => ({
          runKey: p.run_key,
          sequence: p.sequence,
          stageId: p.stage_id,
          cid: p.cid,
          bytesSha256: sha256(p.bytes),
        })),
        submission: {
          evmChainId: submission.evm_chain_id,
          registry: submission.registry,
          sender: submission.sender,
          nonce: submission.nonce,
          status: submission.status,
          blockNumber: submission.block_number,
        },
        logs,
        receipts,
      },
      gasUsed: BigInt(submission.gas_used as string),
    };
  }

  async function snapshot(scenario: Scenario) {
    const id = (await rpc("evm_snapshot")) as Hex;
    return { id, state: await chainState(scenario) };
  }

  async function revert(id: Hex) {
    expect(await rpc("evm_revert", [id])).to.equal(true);
  }

  /** The uninterrupted run, then a kill after each step k and a re-run, each compared with it. */
  async function killAfterEachStep(scenario: Scenario, expectedSteps: readonly string[]) {
    const parameters = {
      chainIds: scenario.chainIds,
      confirmations: 1,
      pollingIntervalMs: 20,
    };

    // The reference: one uninterrupted child run.
    const reference = await newCase(scenario, "reference");
    const start = await snapshot(scenario);
    let referenceState: Awaited<ReturnType<typeof endState>>;
    let steps: string[];
    try {
      const outcome = await runChild(reference.env);
      expect(outcome.code, outcome.stderr).to.equal(0);
      steps = outcome.steps;
      expect(steps).to.deep.equal(expectedSteps);
      const db = await reference.db.open();
      try {
        referenceState = await endState(db, reference, start.state);
      } finally {
        await db.close();
      }
      expect(referenceState.stable.runs.map((run) => run.step)).to.deep.equal(scenario.labels.map(() => "done"));
    } finally {
      await revert(start.id);
      await reference.db.dispose();
    }
    // Reverted: the next attempt starts where the reference did.
    expect(await chainState(scenario)).to.deep.equal(start.state);

    for (const k of killPoints(target, steps, pgliteKillPoints)) {
      const label = `killed after step ${k} (${steps[k - 1]})`;
      const attempt = await newCase(scenario, `k${k}`);
      const { id, state } = await snapshot(scenario);
      try {
        expect(state, `${label}: chain state at the start`).to.deep.equal(start.state);
        const killed = await runChild(attempt.env, k);
        expect(killed.signal, `${label}: ${killed.stderr}`).to.equal("SIGKILL");
        expect(killed.steps, label).to.deep.equal(steps.slice(0, k));

        // Runs are registered in manifest order.
        const registered = killed.steps.filter((step) => step === "registered").length;
        const db = await attempt.db.open();
        try {
          const resumed: string[] = [];
          await anchorManifests(
            pipelineContext(chain, db, [new LocalStore(attempt.store)], signer, {
              onStep: (step) => {
                resumed.push(step);
              },
            }),
            {
              ...parameters,
              manifests: attempt.manifests,
              // A re-run brings new UUIDs (pop anchor makes them when given none): a recorded run keeps its own.
              chainIds: scenario.chainIds.map((id, i) => (i < registered ? randomUUID() : id)),
            },
          );
          // Nothing done twice, nothing skipped: the re-run takes exactly the steps the kill left.
          expect(resumed, `${label}: steps of the re-run`).to.deep.equal(steps.slice(k));
          const end = await endState(db, attempt, state);
          expect(end.stable, label).to.deep.equal(referenceState.stable);
          // Each run's deadline word and signature (32 + 65 bytes of calldata) differ from the reference's, and a
          // calldata byte costs 4 gas when zero, 16 otherwise: the only way the gas used may differ.
          const gasDelta = end.gasUsed - referenceState.gasUsed;
          const bound = 12n * (32n + 65n) * BigInt(scenario.labels.length);
          expect(
            gasDelta <= bound && -gasDelta <= bound,
            `${label}: gas used ${end.gasUsed} vs ${referenceState.gasUsed}`,
          ).to.be.true;
        } finally {
          await db.close();
        }
      } finally {
        await revert(id);
        await attempt.db.dispose();
      }
    }
  }

  it("one manifest: a run killed after any step k of K, then run again, ends as an uninterrupted run", async function () {
    this.timeout(600_000);
    await killAfterEachStep({ labels: ["run"], chainIds: ["3f2a1c55-9c1e-4b8e-9d4a-6f1e2d3c4b5a"] }, SINGLE_STEPS);
  });

  it("two manifests in one anchorBatch: killed after each of its steps, one transaction", async function () {
    this.timeout(600_000);
    const steps = [...PREPARE_STEPS, ...PREPARE_STEPS, "submitted", "sent", "confirmed", "done", "done"];
    await killAfterEachStep(
      {
        labels: ["a", "b"],
        chainIds: ["5b8c2d7e-1f3a-4c6b-8e9d-0a1b2c3d4e5f", "6c9d3e8f-2a4b-4d7c-9f0e-1b2c3d4e5f60"],
      },
      steps,
    );
  });
});
