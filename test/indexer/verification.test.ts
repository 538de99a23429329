import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import {
  type Address,
  bytesToHex,
  createPublicClient,
  type Hex,
  http,
  type PublicClient,
  parseEventLogs,
  type TransactionReceipt,
} from "viem";
import { authorisedSigner } from "../../indexer/src/authorisedSigner.ts";
import {
  anchorKeyRows,
  blockScopedReads,
  type EntryRow,
  entryRows,
  type IndexedAnchor,
  storedReport,
  VerificationConfigError,
  type VerificationSettings,
  verificationOutcome,
  verificationSettings,
  verifyIndexedAnchor,
} from "../../indexer/src/verification.ts";
import { processAnchorRegistryAbi } from "../../src/anchor/abi.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";
import { signerFromSeed } from "../../src/keys/fileSigner.ts";
import { type GatewayServer, startGateway } from "../../src/storage/gateway.ts";
import { LocalStore } from "../../src/storage/local.ts";
import type { ViewClient } from "../../src/verify/registryView.ts";
import type { AnchorVerificationReport } from "../../src/verify/verifyAnchored.ts";
import { accounts, clients, registerAndAnchor } from "../helpers/anchorRun.ts";
import { hashOf } from "../helpers/fixtures.ts";
import { type LocalChain, startLocalBase } from "../helpers/localChain.ts";
import { type Run, threeStageRun } from "../helpers/run.ts";

let chainCounter = 0;
const freshChainId = () => `3f2b8a1e-5c4d-4e6f-8a9b-${(++chainCounter).toString().padStart(12, "0")}`;
const anchorIdOf = (indexed: IndexedAnchor) => `${indexed.tenantId}-${indexed.chainId}`;
let keyCounter = 0;
/** A run under its own key: packets no other test has put in the served store. */
const unpublishedRun = () => {
  const signer = signerFromSeed(`unpublished-key-${++keyCounter}`, new Uint8Array(32).fill(0x40 + keyCounter));
  return threeStageRun(signer, signer, freshChainId());
};

/** A gateway that accepts connections and never answers: what a stalled public gateway looks like. */
async function silentGateway(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(() => {
    // never answers
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A gateway that serves `only` from `target` and stalls on every other CID:
 * the chainscript is there, its packets never come.
 */
async function partialGateway(target: string, only: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(async (request, response) => {
    if (!request.url?.includes(only)) return; // stall
    const answer = await fetch(`${target}${request.url}`, { headers: { accept: request.headers.accept ?? "" } });
    response.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "" });
    response.end(new Uint8Array(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("indexer verification (indexer/src/verification.ts)", () => {
  let chain: LocalChain;
  let dir: string;
  /** Served by the gateway. */
  let store: LocalStore;
  /** Holds content no gateway serves: an operator that anchored without publishing. */
  let hidden: LocalStore;
  let gateway: GatewayServer;
  let client: PublicClient;
  let settings: VerificationSettings;

  before(async () => {
    chain = await startLocalBase();
    dir = await mkdtemp(join(tmpdir(), "pop-indexer-verify-"));
    store = new LocalStore(join(dir, "served"));
    hidden = new LocalStore(join(dir, "hidden"));
    gateway = await startGateway(store);
    client = createPublicClient({ chain: chain.chain, transport: http(chain.url) }) as PublicClient;
    settings = verificationSettings({ POP_GATEWAYS: gateway.url, POP_INDEXER_FETCH_TIMEOUT_MS: "2000" });
  });
  after(async () => {
    await gateway.close();
    await chain.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** What the ProcessAnchored handler sees: the log's arguments, its block and transaction, the AnchorAuthorised before it. */
  function indexedFrom(receipt: TransactionReceipt): IndexedAnchor {
    const [log] = parseEventLogs({ abi: processAnchorRegistryAbi, eventName: "ProcessAnchored", logs: receipt.logs });
    if (log === undefined) throw new Error("the transaction emitted no ProcessAnchored");
    const [authorised] = parseEventLogs({
      abi: processAnchorRegistryAbi,
      eventName: "AnchorAuthorised",
      logs: receipt.logs,
    });
    const stored = authorised && {
      signer: authorised.args.signer,
      transactionHash: authorised.transactionHash,
      logIndex: authorised.logIndex,
    };
    return {
      ...log.args,
      blockNumber: log.blockNumber,
      transactionHash: log.transactionHash,
      signer: authorisedSigner(stored, { transaction: { hash: log.transactionHash }, log }),
    };
  }

  async function anchored(run: Run, where: LocalStore = store): Promise<IndexedAnchor> {
    return indexedFrom(await registerAndAnchor(chain, run, where));
  }

  /** Ponder's `context.client`: reads without a block number are at the block being indexed. */
  const pinnedAt = (blockNumber: bigint): ViewClient => ({
    readContract: (parameters) =>
      client.readContract({ ...parameters, blockNumber: parameters.blockNumber ?? blockNumber } as never),
  });

  describe("verifyIndexedAnchor and verificationOutcome against a local chain and gateway", () => {
    it("stores a valid anchor with its entries and the packet facts users search by", async () => {
      const run = await threeStageRun(undefined, undefined, freshChainId());
      const indexed = await anchored(run);
      const report = await verifyIndexedAnchor(pinnedAt(indexed.blockNumber), indexed, chain.registry, settings);
      expect(report.verdict, JSON.stringify(report.firstFailure)).to.equal("valid");
      expect(report.anchor?.anchorCount).to.be.a("bigint");

      const outcome = verificationOutcome(anchorIdOf(indexed), indexed, report);
      expect(outcome.anchor).to.deep.include({
        status: "valid",
        failedCheck: null,
        tenantName: "studio-aurora",
        chainUuid: run.built.chainscript.chainId,
        processId: "sdxl-batch-v3",
        entryCount: 3,
      });
      expect(outcome.entries.map((e) => [e.id, e.sequence, e.stageId])).to.deep.equal([
        [`${anchorIdOf(indexed)}-0`, 0, "generate"],
        [`${anchorIdOf(indexed)}-1`, 1, "upscale"],
        [`${anchorIdOf(indexed)}-2`, 2, "watermark"],
      ]);
      const [, upscale] = outcome.entries;
      const packet = run.packets[1];
      expect(upscale).to.deep.equal({
        id: `${anchorIdOf(indexed)}-1`,
        anchorId: anchorIdOf(indexed),
        sequence: 1,
        stageId: "upscale",
        packetCid: run.built.chainscript.entries[1]?.packetCid,
        packetHash: `0x${run.built.chainscript.entries[1]?.packetHash}`,
        assetHash: bytesToHex(hashOf("lighthouse@4x.png")),
        assetSize: 1_874_223n,
        mimeType: "image/png",
        processId: "sdxl-batch-v3",
        modelId: "stabilityai/sdxl-base-1.0@462165984030",
        deviceClass: "H100",
        durationMs: 4_210n,
        signingKeyId: "studio-key-2026",
        createdAt: BigInt(packet?.packet.timestamp ?? 0),
      });
      // One key signed the chainscript and every packet: one row, by the on-chain id a revocation names.
      expect(outcome.keys).to.deep.equal([
        { anchorId: anchorIdOf(indexed), tenantId: indexed.tenantId, keyId: toOnchainId("studio-key-2026") },
      ]);
      // What is stored as JSON survives the round trip unchanged (no bigint, no Map).
      expect(JSON.parse(JSON.stringify(outcome.anchor.report))).to.deep.equal(outcome.anchor.report);
      expect(outcome.anchor.report).to.have.all.keys("verdict", "checks");
    });

    it("marks an anchor invalid when a packet is signed by a key the tenant never registered, and keeps its entries", async () => {
      const rogue = signerFromSeed("studio-key-2026", new Uint8Array(32).fill(0x66));
      const run = await threeStageRun(undefined, rogue, freshChainId());
      const indexed = await anchored(run);
      const report = await verifyIndexedAnchor(pinnedAt(indexed.blockNumber), indexed, chain.registry, settings);
      const outcome = verificationOutcome(anchorIdOf(indexed), indexed, report);
      expect(outcome.anchor.status).to.equal("invalid");
      expect(outcome.anchor.failedCheck).to.equal("packets.signature");
      expect((outcome.anchor.report as AnchorVerificationReport).firstFailure).to.deep.include({
        check: "packets.signature",
        entry: 0,
      });
      expect(outcome.entries).to.have.length(3);
      expect(outcome.anchor.tenantName).to.equal("studio-aurora");
    });

    it("leaves an anchor unresolved, with no entries, while no gateway serves its chainscript, and resolves it once one does", async () => {
      const run = await unpublishedRun();
      const indexed = await anchored(run, hidden);
      const first = await verifyIndexedAnchor(pinnedAt(indexed.blockNumber), indexed, chain.registry, settings);
      const unresolved = verificationOutcome(anchorIdOf(indexed), indexed, first);
      expect(unresolved.anchor).to.deep.include({
        status: "unresolved",
        failedCheck: "chainscript.available",
        tenantName: null,
        entryCount: null,
      });
      expect(unresolved.entries).to.deep.equal([]);
      expect(unresolved.keys).to.deep.equal([]);

      // The operator publishes; the retry beat reads at a later block.
      for (const packet of run.packets) await store.add(packet.bytes);
      await store.add(run.built.bytes);
      const later = await client.getBlockNumber();
      const retried = verificationOutcome(
        anchorIdOf(indexed),
        indexed,
        await verifyIndexedAnchor(pinnedAt(later), indexed, chain.registry, settings),
      );
      expect(retried.anchor.status).to.equal("valid");
      expect(retried.entries.map((e) => e.id)).to.deep.equal([0, 1, 2].map((i) => `${anchorIdOf(indexed)}-${i}`));
    });

    it("leaves an anchor unresolved on packets.available when the chainscript is served but a packet is not", async () => {
      const run = await unpublishedRun();
      const indexed = await anchored(run, hidden);
      await store.add(run.built.bytes);
      await store.add(run.packets[0]?.bytes as Uint8Array);
      const report = await verifyIndexedAnchor(pinnedAt(indexed.blockNumber), indexed, chain.registry, settings);
      const outcome = verificationOutcome(anchorIdOf(indexed), indexed, report);
      expect(outcome.anchor).to.deep.include({
        status: "unresolved",
        failedCheck: "packets.available",
        tenantName: "studio-aurora",
        entryCount: 3,
      });
      expect(report.firstFailure).to.deep.include({ check: "packets.available", entry: 1 });
      expect(outcome.entries).to.deep.equal([]);
    });

    it("gives up on a gateway that never answers after the fetch timeout", async () => {
      const run = await threeStageRun(undefined, undefined, freshChainId());
      const indexed = await anchored(run);
      const silent = await silentGateway();
      try {
        const quick = verificationSettings({ POP_GATEWAYS: silent.url, POP_INDEXER_FETCH_TIMEOUT_MS: "300" });
        const started = performance.now();
        const report = await verifyIndexedAnchor(pinnedAt(indexed.blockNumber), indexed, chain.registry, quick);
        const elapsed = performance.now() - started;
        expect(report.verdict).to.equal("incomplete");
        expect(report.firstFailure?.check).to.equal("chainscript.available");
        // It waited for the fetch timeout (a gateway never answering is no error); a hang is the test's timeout.
        expect(elapsed).to.be.at.least(300);
      } finally {
        await silent.close();
      }
    });

    it("stops fetching packets when the anchor's time budget runs out", async () => {
      const run = await threeStageRun(undefined, undefined, freshChainId());
      const indexed = await anchored(run);
      const partial = await partialGateway(gateway.url, run.built.cid);
      try {
        const budgeted = verificationSettings({
          POP_GATEWAYS: partial.url,
          POP_INDEXER_FETCH_TIMEOUT_MS: "120000",
          POP_INDEXER_VERIFY_BUDGET_MS: "500",
        });
        const started = performance.now();
        const report = await verifyIndexedAnchor(pinnedAt(indexed.blockNumber), indexed, chain.registry, budgeted);
        const elapsed = performance.now() - started;
        expect(report.verdict).to.equal("incomplete");
        expect(report.firstFailure?.check).to.equal("packets.available");
        // The budget ended it: a packet fetch would wait two minutes, past this test's timeout.
        expect(elapsed).to.be.at.least(400);
      } finally {
        await partial.close();
      }
    });

    it("judges the authorising signer at the block being indexed, not at the latest block", async () => {
      const run = await threeStageRun(undefined, undefined, freshChainId());
      const indexed = await anchored(run);
      const { send } = clients(chain);
      const tenantId = toOnchainId("studio-aurora");
      await send(accounts.admin, "setAnchorSigner", [tenantId, accounts.signer.address, false]);
      try {
        const atAnchor = await verifyIndexedAnchor(pinnedAt(indexed.blockNumber), indexed, chain.registry, settings);
        expect(atAnchor.verdict).to.equal("valid");
        const afterRemoval = await verifyIndexedAnchor(client, indexed, chain.registry, settings);
        const outcome = verificationOutcome(anchorIdOf(indexed), indexed, afterRemoval);
        expect(outcome.anchor).to.deep.include({ status: "invalid", failedCheck: "anchor.signer" });
      } finally {
        await send(accounts.admin, "setAnchorSigner", [tenantId, accounts.signer.address, true]);
      }
    });

    it("calls an anchor no AnchorAuthorised names a signer for invalid on anchor.signer, never valid", async () => {
      const run = await threeStageRun(undefined, undefined, freshChainId());
      const indexed = { ...(await anchored(run)), signer: null };
      const report = await verifyIndexedAnchor(pinnedAt(indexed.blockNumber), indexed, chain.registry, settings);
      const outcome = verificationOutcome(anchorIdOf(indexed), indexed, report);
      expect(report.checks.find((c) => c.id === "anchor.signer")?.status).to.equal("fail");
      expect(outcome.anchor).to.deep.include({ status: "invalid", failedCheck: "anchor.signer" });
    });

    it("with POP_INDEXER_CACHE_DIR, verifies again from verified blocks on disk when the gateway is gone", async () => {
      const run = await threeStageRun(undefined, undefined, freshChainId());
      const indexed = await anchored(run);
      const cacheDir = join(dir, "cache");
      const cached = verificationSettings({ POP_GATEWAYS: gateway.url, POP_INDEXER_CACHE_DIR: cacheDir });
      const first = await verifyIndexedAnchor(pinnedAt(indexed.blockNumber), indexed, chain.registry, cached);
      expect(first.verdict).to.equal("valid");
      const offline = verificationSettings({ POP_GATEWAYS: "http://127.0.0.1:9", POP_INDEXER_CACHE_DIR: cacheDir });
      const again = await verifyIndexedAnchor(pinnedAt(indexed.blockNumber), indexed, chain.registry, offline);
      expect(again.verdict, JSON.stringify(again.firstFailure)).to.equal("valid");
    });

    it("calls an anchor whose ipfsCid is not a CID invalid: no gateway could ever serve it", async () => {
      const run = await threeStageRun(undefined, undefined, freshChainId());
      const indexed = { ...(await anchored(run)), ipfsCid: "not-a-cid" };
      const report = await verifyIndexedAnchor(pinnedAt(indexed.blockNumber), indexed, chain.registry, settings);
      const outcome = verificationOutcome(anchorIdOf(indexed), indexed, report);
      expect(outcome.anchor).to.deep.include({ status: "invalid", failedCheck: "anchor.binding" });
      expect(report.firstFailure?.message).to.include("not a CID");
    });

    it("leaves an anchor unresolved on rpc.reachable when the chain cannot be read", async () => {
      const run = await threeStageRun(undefined, undefined, freshChainId());
      const indexed = await anchored(run);
      const dead = createPublicClient({
        chain: chain.chain,
        transport: http("http://127.0.0.1:9", { retryCount: 0 }),
      }) as PublicClient;
      const report = await verifyIndexedAnchor(dead, indexed, chain.registry, settings);
      const outcome = verificationOutcome(anchorIdOf(indexed), indexed, report);
      expect(outcome.anchor.status).to.equal("unresolved");
      expect(outcome.anchor.failedCheck).to.equal("rpc.reachable");
      expect(report.firstFailure?.message).to.match(/did not answer/);
    });
  });

  describe("verificationOutcome (pure)", () => {
    let run: Run;
    let valid: AnchorVerificationReport;
    let indexed: IndexedAnchor;

    before(async () => {
      run = await threeStageRun(undefined, undefined, freshChainId());
      indexed = await anchored(run);
      valid = await verifyIndexedAnchor(pinnedAt(indexed.blockNumber), indexed, chain.registry, settings);
    });

    it("gives the same entry rows every time, so a retry never adds rows", () => {
      const once = verificationOutcome(anchorIdOf(indexed), indexed, valid).entries;
      const again = verificationOutcome(anchorIdOf(indexed), indexed, valid).entries;
      expect(again).to.deep.equal(once);
      expect(new Set(once.map((e) => e.id)).size).to.equal(once.length);
    });

    it("does not take the chainscript's tenant or chain name when they are not the anchored ones", () => {
      const other = { tenantId: toOnchainId("someone-else"), chainId: toOnchainId(freshChainId()) };
      const outcome = verificationOutcome("other", other, valid);
      expect(outcome.anchor.tenantName).to.equal(null);
      expect(outcome.anchor.chainUuid).to.equal(null);
      expect(outcome.anchor.processId).to.equal("sdxl-batch-v3");
    });

    it("keeps no row for a packet that is missing or does not decode", () => {
      const chainscript = valid.chainscript;
      if (chainscript === undefined) throw new Error("no chainscript");
      const [first, second] = chainscript.entries;
      const packets = new Map<string, Uint8Array>([
        [first?.packetCid as string, run.packets[0]?.bytes as Uint8Array],
        [second?.packetCid as string, new Uint8Array([0xa0])],
      ]);
      expect(entryRows("a", chainscript, packets).map((e) => e.id)).to.deep.equal(["a-0"]);
    });

    it("names each key the chainscript and its packets use once, by on-chain id", () => {
      const chainscript = valid.chainscript;
      if (chainscript === undefined) throw new Error("no chainscript");
      const entries = verificationOutcome(anchorIdOf(indexed), indexed, valid).entries;
      const [first, second, third] = entries as [EntryRow, EntryRow, EntryRow];
      const mixed = [
        first,
        { ...second, signingKeyId: "studio-key-2027" },
        { ...third, signingKeyId: "studio-key-2027" },
      ];
      expect(anchorKeyRows("a", indexed.tenantId, chainscript, mixed)).to.deep.equal([
        { anchorId: "a", tenantId: indexed.tenantId, keyId: toOnchainId(chainscript.signingKeyId) },
        { anchorId: "a", tenantId: indexed.tenantId, keyId: toOnchainId("studio-key-2027") },
      ]);
      // A chain whose packets were all unreadable still names the chainscript's key.
      expect(anchorKeyRows("a", indexed.tenantId, chainscript, []).map((row) => row.keyId)).to.deep.equal([
        toOnchainId(chainscript.signingKeyId),
      ]);
    });

    it("names the first check not run when content is missing without a failure", () => {
      const report: AnchorVerificationReport = {
        verdict: "incomplete",
        checks: [
          {
            id: "anchor.signer",
            description: "",
            status: "skip",
            checked: 0,
            skipped: 1,
            failed: 0,
            failures: [],
            optional: true,
          },
          {
            id: "packets.available",
            description: "",
            status: "skip",
            checked: 0,
            skipped: 1,
            failed: 0,
            failures: [],
          },
        ],
      };
      const outcome = verificationOutcome("x", indexed, report);
      expect(outcome.anchor).to.deep.include({ status: "unresolved", failedCheck: "packets.available" });
    });

    it("stores only the verdict, the checks and the first failure", () => {
      expect(storedReport(valid)).to.deep.equal({ verdict: "valid", checks: valid.checks });
    });
  });

  describe("verificationSettings", () => {
    it("reads POP_GATEWAYS and has short defaults", () => {
      const defaults = verificationSettings({ POP_GATEWAYS: " http://a , http://b " });
      expect(defaults).to.deep.equal({
        gateways: ["http://a", "http://b"],
        fetchTimeoutMs: 3_000,
        budgetMs: 15_000,
        retryBatch: 8,
      });
    });

    it("takes overrides and refuses values that are not positive integers", () => {
      expect(
        verificationSettings({ POP_INDEXER_FETCH_TIMEOUT_MS: "750", POP_INDEXER_RETRY_BATCH: "2" }),
      ).to.deep.include({ gateways: [], fetchTimeoutMs: 750, retryBatch: 2 });
      for (const bad of ["0", "-1", "1.5", "soon"])
        expect(() => verificationSettings({ POP_INDEXER_FETCH_TIMEOUT_MS: bad })).to.throw(
          VerificationConfigError,
          /POP_INDEXER_FETCH_TIMEOUT_MS/,
        );
    });
  });
});

describe("indexer per-block memory and the anchor's signer (blockScopedReads, authorisedSigner)", () => {
  const registry = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address;
  const tenantId = toOnchainId("studio-aurora");
  const blockA = `0x${"a".repeat(64)}` as Hex;
  const blockB = `0x${"b".repeat(64)}` as Hex;

  /** A client that counts the reads reaching it and answers each with its call number; `failNext` rejects the next one. */
  function countingClient() {
    const calls: string[] = [];
    const state = { failNext: false };
    const client: ViewClient = {
      readContract: async (parameters) => {
        calls.push(`${parameters.functionName}:${parameters.args.join(",")}@${parameters.blockNumber ?? "indexed"}`);
        if (state.failNext) {
          state.failNext = false;
          throw new Error("RPC unavailable");
        }
        return BigInt(calls.length);
      },
    };
    return { client, calls, state };
  }
  const anchorCountAt = (blockNumber?: bigint) =>
    ({
      address: registry,
      abi: processAnchorRegistryAbi,
      functionName: "anchorCount",
      args: [tenantId],
      ...(blockNumber === undefined ? {} : { blockNumber }),
    }) as const;

  describe("blockScopedReads", () => {
    it("answers a second identical read in the same block from memory, and a different read from the client", async () => {
      const { client, calls } = countingClient();
      const reads = blockScopedReads();
      const first = await reads(client, blockA).readContract(anchorCountAt(7n));
      const second = await reads(client, blockA).readContract(anchorCountAt(7n));
      expect(second).to.equal(first);
      expect(calls).to.have.length(1);
      // Another block number, or no block number (the block being indexed), is another read.
      await reads(client, blockA).readContract(anchorCountAt(6n));
      await reads(client, blockA).readContract(anchorCountAt());
      await reads(client, blockA).readContract(anchorCountAt());
      expect(calls).to.deep.equal([
        `anchorCount:${tenantId}@7`,
        `anchorCount:${tenantId}@6`,
        `anchorCount:${tenantId}@indexed`,
      ]);
    });

    it("reads again when another block hash comes, and forgets the previous block", async () => {
      const { client, calls } = countingClient();
      const reads = blockScopedReads();
      expect(await reads(client, blockA).readContract(anchorCountAt(7n))).to.equal(1n);
      expect(await reads(client, blockB).readContract(anchorCountAt(7n))).to.equal(2n);
      expect(await reads(client, blockB).readContract(anchorCountAt(7n))).to.equal(2n);
      // Back to the first hash (a reorganisation back, say): its reads were dropped with it.
      expect(await reads(client, blockA).readContract(anchorCountAt(7n))).to.equal(3n);
      expect(calls).to.have.length(3);
    });

    it("does not share reads between two clients in the same block", async () => {
      const one = countingClient();
      const other = countingClient();
      const reads = blockScopedReads();
      await reads(one.client, blockA).readContract(anchorCountAt(7n));
      await reads(other.client, blockA).readContract(anchorCountAt(7n));
      expect([one.calls.length, other.calls.length]).to.deep.equal([1, 1]);
    });

    it("does not remember a failed read: the next identical read reaches the client", async () => {
      const { client, calls, state } = countingClient();
      const reads = blockScopedReads();
      state.failNext = true;
      let failure: unknown;
      await reads(client, blockA)
        .readContract(anchorCountAt(7n))
        .catch((error: unknown) => {
          failure = error;
        });
      expect(failure).to.be.instanceOf(Error);
      expect(await reads(client, blockA).readContract(anchorCountAt(7n))).to.equal(2n);
      expect(await reads(client, blockA).readContract(anchorCountAt(7n))).to.equal(2n);
      expect(calls).to.have.length(2);
    });
  });

  describe("authorisedSigner", () => {
    const signer = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as Address;
    const own = `0x${"ab".repeat(32)}` as Hex;
    const other = `0x${"cd".repeat(32)}` as Hex;
    const anchored = { transaction: { hash: own }, log: { logIndex: 4 } };

    it("takes the signer of the AnchorAuthorised logged earlier in the anchor's own transaction", () => {
      expect(authorisedSigner({ signer, transactionHash: own, logIndex: 3 }, anchored)).to.equal(signer);
      // Ponder stores hex lowercased; the event's hash may come in either case.
      const upper = { transaction: { hash: `0x${"AB".repeat(32)}` as Hex }, log: { logIndex: 4 } };
      expect(authorisedSigner({ signer, transactionHash: own, logIndex: 3 }, upper)).to.equal(signer);
    });

    it("gives no signer, not a guess, when no AnchorAuthorised was logged for the anchor", () => {
      expect(authorisedSigner(null, anchored)).to.equal(null);
      expect(authorisedSigner(undefined, anchored)).to.equal(null);
    });

    it("gives no signer for an AnchorAuthorised of another transaction or logged after the anchor", () => {
      expect(authorisedSigner({ signer, transactionHash: other, logIndex: 3 }, anchored)).to.equal(null);
      expect(authorisedSigner({ signer, transactionHash: own, logIndex: 5 }, anchored)).to.equal(null);
      expect(authorisedSigner({ signer, transactionHash: own, logIndex: 4 }, anchored)).to.equal(null);
    });
  });
});
