import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import {
  type Address,
  type Hex,
  keccak256,
  type LocalAccount,
  parseEventLogs,
  stringToBytes,
  type TransactionReceipt,
  toHex,
  zeroAddress,
} from "viem";
import { processAnchorRegistryAbi } from "../../src/anchor/abi.ts";
import { certificateId } from "../../src/anchor/certificate.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";
import { type AnchorResult, anchorManifests } from "../../src/anchor/pipeline/pipeline.ts";
import type { AnchorReceipt } from "../../src/anchor/pipeline/receipt.ts";
import type { Database } from "../../src/db/database.ts";
import { sha256FromRawCid } from "../../src/evidence/cid.ts";
import { signerFromSeed } from "../../src/keys/fileSigner.ts";
import type { Signer } from "../../src/keys/signer.ts";
import { type GatewayServer, startGateway } from "../../src/storage/gateway.ts";
import { LocalStore } from "../../src/storage/local.ts";
import { accounts, clients } from "../helpers/anchorRun.ts";
import { describeEachDatabase } from "../helpers/databases.ts";
import { hashOf } from "../helpers/fixtures.ts";
import { type Indexer, startIndexer } from "../helpers/indexer.ts";
import { devAccount, startTestNetwork, type TestNetwork } from "../helpers/localNetwork.ts";
import { pipelineContext, writeManifest } from "../helpers/pipeline.ts";

/**
 * The real indexer (`ponder start`) over the two local chains, deployed with
 * Ignition: tenants, signers and keys registered, batches anchored through the
 * anchoring pipeline (one `anchor`, one `anchorBatch` of two, one with a
 * certificate, one chain signed by a key the tenant never registered),
 * certificate transfers, and ERC-7053 commits on Numbers. Every table is read
 * back through Ponder's GraphQL and compared with what the chains say, then the
 * indexer is restarted on the same database and must hold exactly the same
 * rows, and index a new anchor exactly once.
 */

const AURORA = "studio-aurora";
const BOREALIS = "lab-borealis";
const VALID_FROM = 1_700_000_000n;
const VALID_UNTIL = 2_000_000_000n;
const REVOKED_AT = 1_750_000_000n;
const JOB = "gpu-job-1042";

const lower = (value: string) => value.toLowerCase() as Hex;
const byId = <T extends { id: string }>(rows: readonly T[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));

/**
 * Each table, in full, as the GraphQL API answers it (sorted, so two reads compare with deep.equal): one
 * query per table, since the API's row budget (decision 016) refuses several 1,000-row lists in one query.
 */
const SNAPSHOT_QUERIES = [
  "tenants(limit: 1000) { totalCount items { id admin pendingAdmin registeredBlock anchorCount } }",
  "anchorSigners(limit: 1000) { totalCount items { tenantId signer allowed updatedBlock } }",
  "signingKeys(limit: 1000) { totalCount items { tenantId keyId publicKey validFrom validUntil revokedAt registeredBlock } }",
  `anchors(limit: 1000) {
    totalCount
    items {
      id tenantId chainId chainHash ipfsCid timestamp blockNumber transactionHash logIndex
      submitter signer certificateId sequence status failedCheck entryCount
    }
  }`,
  "entrys(limit: 1000) { totalCount items { id anchorId sequence packetCid } }",
  "certificateTransfers(limit: 1000) { totalCount items { id tokenId operator from to amount blockNumber transactionHash } }",
  "certificateBalances(limit: 1000) { totalCount items { tokenId owner balance } }",
  `commits(limit: 1000) {
    totalCount
    items {
      id chainId recorder assetCidHash assetCid commitData commitDataValid jobId eventType packetHash
      blockNumber timestamp transactionHash
    }
  }`,
];

type Row = Record<string, unknown>;
type Snapshot = Record<string, { totalCount: number; items: Row[] }>;

function sorted(snapshot: Snapshot): Snapshot {
  const key = (row: Row) =>
    String(row.id ?? `${row.tenantId ?? row.tokenId}-${row.signer ?? row.keyId ?? row.owner}`).toLowerCase();
  return Object.fromEntries(
    Object.entries(snapshot).map(([table, { totalCount, items }]) => [
      table,
      { totalCount, items: [...items].sort((a, b) => key(a).localeCompare(key(b))) },
    ]),
  );
}

describeEachDatabase("indexer end to end: Base registry and Numbers commits through Ponder", (target) => {
  let network: TestNetwork;
  let dir: string;
  let store: LocalStore;
  let gateway: GatewayServer;
  let db: Database;
  let indexer: Indexer;

  // Aurora: admin 1, anchor signer 2; Borealis: admin 5, anchor signer 6; relayer 3 sends every anchor.
  const auroraKey = signerFromSeed("aurora-key-2026", hashOf("aurora seed"));
  const auroraOldKey = signerFromSeed("aurora-key-2025", hashOf("aurora old seed"));
  const borealisKey = signerFromSeed("borealis-key-2026", hashOf("borealis seed"));
  /** Signs the invalid chain: never registered for Aurora. */
  const rogueKey = signerFromSeed("aurora-unregistered", hashOf("rogue seed"));
  const borealis = { admin: devAccount(5), signer: devAccount(6) };
  const holder = devAccount(7);
  const buyer = devAccount(8);
  const removedSigner = devAccount(10);
  const committer = devAccount(11);
  const newBorealisAdmin = devAccount(12);
  const nextAuroraAdmin = devAccount(13);

  /** Block of each registry write, by a label. */
  const blocks: Record<string, bigint> = {};
  const runs: Record<string, { receipt: AnchorReceipt; tx: TransactionReceipt }> = {};
  const commits: { label: string; assetCid: string; commitData: string; transactionHash: Hex; blockNumber: bigint }[] =
    [];
  let certificateTransferTx: TransactionReceipt;
  let beforeRestart: Snapshot;

  const base = () => clients(network.base);
  const send = async (label: string, account: LocalAccount, functionName: string, args: readonly unknown[]) => {
    const receipt = await base().send(account as never, functionName, args);
    blocks[label] = receipt.blockNumber;
    return receipt;
  };
  const head = async () => ({
    base: await base().publicClient.getBlockNumber({ cacheTime: 0 }),
    numbers: await network.numbers.blockNumber(),
  });

  async function anchor(
    labels: { label: string; steps: number; tenant: string }[],
    packetSigner: Signer,
    anchorSigner: LocalAccount,
    certificateRecipient?: Address,
  ): Promise<AnchorResult> {
    const manifests = [];
    for (const { label, steps, tenant } of labels)
      manifests.push(await writeManifest(dir, { label, steps, tenantId: tenant, processId: `${tenant}-pipeline-v1` }));
    const result = await anchorManifests(pipelineContext(network.base, db, [store], packetSigner, { anchorSigner }), {
      manifests,
      confirmations: 1,
      pollingIntervalMs: 20,
      ...(certificateRecipient ? { certificateRecipient } : {}),
    });
    const tx = await base().publicClient.getTransactionReceipt({ hash: result.transaction?.txHash as Hex });
    for (const [i, { label }] of labels.entries()) {
      const receipt = result.runs[i]?.receipt;
      if (receipt === undefined) throw new Error(`${label} was not anchored`);
      runs[label] = { receipt, tx };
    }
    return result;
  }

  before(async function () {
    this.timeout(120_000);
    network = await startTestNetwork();
    dir = await mkdtemp(join(tmpdir(), "pop-indexer-test-"));
    store = new LocalStore(join(dir, "store"));
    gateway = await startGateway(store);
    db = await target.open();

    const key = (signer: Signer) => toHex(signer.publicKey);
    const aurora = toOnchainId(AURORA);
    const borealisId = toOnchainId(BOREALIS);
    await send("auroraRegistered", accounts.registrar, "registerTenant", [aurora, accounts.admin.address]);
    await send("auroraSigner", accounts.admin, "setAnchorSigner", [aurora, accounts.signer.address, true]);
    await send("auroraKey", accounts.admin, "registerSigningKey", [
      aurora,
      toOnchainId(auroraKey.keyId),
      key(auroraKey),
      VALID_FROM,
      VALID_UNTIL,
    ]);
    await send("auroraOldKey", accounts.admin, "registerSigningKey", [
      aurora,
      toOnchainId(auroraOldKey.keyId),
      key(auroraOldKey),
      VALID_FROM,
      VALID_UNTIL,
    ]);
    await send("borealisRegistered", accounts.registrar, "registerTenant", [borealisId, borealis.admin.address]);
    await send("borealisSigner", borealis.admin, "setAnchorSigner", [borealisId, borealis.signer.address, true]);
    await send("borealisKey", borealis.admin, "registerSigningKey", [
      borealisId,
      toOnchainId(borealisKey.keyId),
      key(borealisKey),
      VALID_FROM,
      VALID_UNTIL,
    ]);

    // A single anchor, a batch of two, a chain with a certificate, and a chain signed by an unregistered key.
    await anchor([{ label: "a1", steps: 3, tenant: AURORA }], auroraKey, accounts.signer);
    await anchor(
      [
        { label: "a2", steps: 2, tenant: AURORA },
        { label: "a3", steps: 1, tenant: AURORA },
      ],
      auroraKey,
      accounts.signer,
    );
    await anchor([{ label: "b1", steps: 3, tenant: BOREALIS }], borealisKey, borealis.signer, holder.address);
    await anchor([{ label: "rogue", steps: 2, tenant: AURORA }], rogueKey, accounts.signer);

    // The certificate changes hands; a key is revoked; a signer allowed, then removed; admins change.
    const tokenId = certificateId(borealisId, toOnchainId(runs.b1?.receipt.chainId as string));
    certificateTransferTx = await send("certificateTransfer", holder, "safeTransferFrom", [
      holder.address,
      buyer.address,
      tokenId,
      1n,
      "0x",
    ]);
    await send("revoked", accounts.admin, "revokeSigningKey", [aurora, toOnchainId(auroraOldKey.keyId), REVOKED_AT]);
    await send("signerAllowed", accounts.admin, "setAnchorSigner", [aurora, removedSigner.address, true]);
    await send("signerRemoved", accounts.admin, "setAnchorSigner", [aurora, removedSigner.address, false]);
    await send("borealisTransferStarted", borealis.admin, "transferTenantAdmin", [
      borealisId,
      newBorealisAdmin.address,
    ]);
    await send("borealisTransferred", newBorealisAdmin, "acceptTenantAdmin", [borealisId]);
    await send("auroraTransferStarted", accounts.admin, "transferTenantAdmin", [aurora, nextAuroraAdmin.address]);

    // Numbers: a GPU job's two receipts, committed with the evidence packets' CIDs, and one commit that is not JSON.
    const a1Packets = runs.a1?.receipt.packetCids ?? [];
    const packetHash = (cid: string) => toHex(sha256FromRawCid(cid) as Uint8Array).slice(2);
    const ours = (cid: string, eventType: string) =>
      JSON.stringify({
        abstract: `${JOB} ${eventType}`,
        actionName: "action-commit",
        committer: committer.address,
        timestampCreated: 1_767_225_600,
        jobDetails: { jobId: JOB, eventType },
        gpuJobMetadata: { deviceClass: "H100", durationMs: 4_210 },
        packetHash: packetHash(cid),
      });
    for (const [label, assetCid, commitData] of [
      ["submitted", a1Packets[0] as string, ours(a1Packets[0] as string, "JobSubmitted")],
      ["completed", a1Packets[2] as string, ours(a1Packets[2] as string, "JobCompleted")],
      ["notJson", runs.b1?.receipt.packetCids[0] as string, "not json {"],
    ] as const) {
      const { transactionHash, blockNumber } = await network.numbers.commit(committer, assetCid, commitData);
      commits.push({ label, assetCid, commitData, transactionHash, blockNumber });
    }

    indexer = await startIndexer({
      database: target.name,
      env: { ...network.indexerEnv, POP_GATEWAYS: gateway.url },
    });
    await indexer.waitFor(await head());
  });

  after(async () => {
    await indexer?.stop();
    await gateway?.close();
    await db?.close();
    await network?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Everything the API holds now. */
  const snapshot = async () => {
    const tables: Snapshot = {};
    for (const query of SNAPSHOT_QUERIES) Object.assign(tables, await indexer.graphql<Snapshot>(`{ ${query} }`));
    return sorted(tables);
  };

  it("indexes both tenants with their admins, pending admin transfers and anchor counts", async () => {
    const { tenants } = await indexer.graphql<{ tenants: { items: Row[] } }>(
      '{ tenants(orderBy: "registeredBlock") { items { id admin pendingAdmin registeredBlock anchorCount } } }',
    );
    expect(tenants.items).to.deep.equal([
      {
        id: toOnchainId(AURORA),
        admin: lower(accounts.admin.address),
        pendingAdmin: lower(nextAuroraAdmin.address),
        registeredBlock: String(blocks.auroraRegistered),
        anchorCount: 4,
      },
      {
        id: toOnchainId(BOREALIS),
        admin: lower(newBorealisAdmin.address),
        pendingAdmin: null,
        registeredBlock: String(blocks.borealisRegistered),
        anchorCount: 1,
      },
    ]);
  });

  it("indexes anchor signers, a removed one as not allowed, and the Ed25519 keys with validity and revocation", async () => {
    const { anchorSigners, signingKeys } = await indexer.graphql<{
      anchorSigners: { items: Row[] };
      signingKeys: { items: Row[] };
    }>(`{
      anchorSigners(orderBy: "updatedBlock") { items { tenantId signer allowed updatedBlock } }
      signingKeys(orderBy: "registeredBlock") {
        items { tenantId keyId publicKey validFrom validUntil revokedAt registeredBlock }
      }
    }`);
    expect(anchorSigners.items).to.deep.equal([
      {
        tenantId: toOnchainId(AURORA),
        signer: lower(accounts.signer.address),
        allowed: true,
        updatedBlock: String(blocks.auroraSigner),
      },
      {
        tenantId: toOnchainId(BOREALIS),
        signer: lower(borealis.signer.address),
        allowed: true,
        updatedBlock: String(blocks.borealisSigner),
      },
      {
        tenantId: toOnchainId(AURORA),
        signer: lower(removedSigner.address),
        allowed: false,
        updatedBlock: String(blocks.signerRemoved),
      },
    ]);
    const keyRow = (tenant: string, signer: Signer, registered: string, revokedAt: bigint | null = null) => ({
      tenantId: toOnchainId(tenant),
      keyId: toOnchainId(signer.keyId),
      publicKey: toHex(signer.publicKey),
      validFrom: String(VALID_FROM),
      validUntil: String(VALID_UNTIL),
      revokedAt: revokedAt === null ? null : String(revokedAt),
      registeredBlock: String(blocks[registered]),
    });
    expect(signingKeys.items).to.deep.equal([
      keyRow(AURORA, auroraKey, "auroraKey"),
      keyRow(AURORA, auroraOldKey, "auroraOldKey", REVOKED_AT),
      keyRow(BOREALIS, borealisKey, "borealisKey"),
    ]);
  });

  it("indexes every ProcessAnchored with its transaction, the relayer as submitter and the signer its AnchorAuthorised names", async () => {
    const { anchors } = await indexer.graphql<{ anchors: { items: Row[] } }>(`{
      anchors(limit: 100) {
        items {
          id tenantId chainId chainHash ipfsCid timestamp blockNumber transactionHash logIndex
          submitter signer certificateId sequence
        }
      }
    }`);
    const expected = [];
    for (const [label, sequence, signer] of [
      ["a1", 1, accounts.signer.address],
      ["a2", 2, accounts.signer.address],
      ["a3", 3, accounts.signer.address],
      ["b1", 1, borealis.signer.address],
      ["rogue", 4, accounts.signer.address],
    ] as const) {
      const { receipt, tx } = runs[label] as { receipt: AnchorReceipt; tx: TransactionReceipt };
      const tenantId = toOnchainId(receipt.tenantId);
      const chainId = toOnchainId(receipt.chainId);
      const log = parseEventLogs({ abi: processAnchorRegistryAbi, eventName: "ProcessAnchored", logs: tx.logs }).find(
        (l) => l.args.chainId === chainId,
      );
      expect(log, label).to.not.equal(undefined);
      expected.push({
        id: `${tenantId}-${chainId}`,
        tenantId,
        chainId,
        chainHash: receipt.chainHash,
        ipfsCid: receipt.chainscriptCid,
        timestamp: String(log?.args.timestamp),
        blockNumber: receipt.transaction.blockNumber,
        transactionHash: receipt.transaction.hash,
        logIndex: log?.logIndex,
        submitter: lower(accounts.relayer.address),
        signer: lower(signer),
        certificateId: String(certificateId(tenantId, chainId)),
        sequence,
      });
    }
    expect(byId(anchors.items as { id: string }[])).to.deep.equal(byId(expected));
    // a2 and a3 came in one anchorBatch transaction, two logs of it.
    expect(runs.a2?.receipt.transaction.hash).to.equal(runs.a3?.receipt.transaction.hash);
    expect(runs.a2?.receipt.transaction.anchors).to.equal(2);
  });

  it("records the verification outcome: the chain signed by an unregistered key is invalid, the others valid", async () => {
    const { anchors } = await indexer.graphql<{ anchors: { items: Row[] } }>(
      "{ anchors(limit: 100) { items { ipfsCid status failedCheck entryCount } } }",
    );
    const status = Object.fromEntries(anchors.items.map((a) => [a.ipfsCid, a]));
    for (const label of ["a1", "a2", "a3", "b1"])
      expect(status[runs[label]?.receipt.chainscriptCid as string], label).to.deep.include({
        status: "valid",
        failedCheck: null,
        entryCount: runs[label]?.receipt.packetCids.length,
      });
    // Its chainscript names a key id the tenant never registered: the first check to fail is the key's.
    expect(status[runs.rogue?.receipt.chainscriptCid as string]).to.deep.equal({
      ipfsCid: runs.rogue?.receipt.chainscriptCid,
      status: "invalid",
      failedCheck: "chain.key",
      entryCount: 2,
    });
  });

  // The REST routes on this engine too: api-http.test.ts asks every route, of one engine.
  it("answers each tenant's completeness over REST: its indexed anchors by verdict against the registry's count", async () => {
    const head = (await base().publicClient.getBlockNumber({ cacheTime: 0 })).toString();
    for (const [name, indexed] of [
      [AURORA, { anchors: 4, valid: 3, invalid: 1, unresolved: 0, pending: 0 }],
      [BOREALIS, { anchors: 1, valid: 1, invalid: 0, unresolved: 0, pending: 0 }],
    ] as const)
      expect(await indexer.get(`/api/tenants/${name}/completeness`)).to.deep.equal({
        status: 200,
        contentType: "application/json",
        body: {
          tenant: { id: toOnchainId(name), name },
          indexed,
          onchain: { evmChainId: 31337, blockNumber: head, anchorCount: String(indexed.anchors) },
          missing: 0,
          complete: true,
        },
      });
  });

  it("indexes the certificate minted to the recipient and its transfer, with balances", async () => {
    const { certificateTransfers, certificateBalances } = await indexer.graphql<{
      certificateTransfers: { items: Row[] };
      certificateBalances: { items: Row[] };
    }>(`{
      certificateTransfers(orderBy: "blockNumber") {
        items { tokenId operator from to amount blockNumber transactionHash }
      }
      certificateBalances(orderBy: "owner") { items { tokenId owner balance } }
    }`);
    const b1 = runs.b1 as { receipt: AnchorReceipt };
    const tokenId = String(certificateId(toOnchainId(BOREALIS), toOnchainId(b1.receipt.chainId)));
    expect(certificateTransfers.items).to.deep.equal([
      {
        tokenId,
        operator: lower(accounts.relayer.address),
        from: zeroAddress,
        to: lower(holder.address),
        amount: "1",
        blockNumber: b1.receipt.transaction.blockNumber,
        transactionHash: b1.receipt.transaction.hash,
      },
      {
        tokenId,
        operator: lower(holder.address),
        from: lower(holder.address),
        to: lower(buyer.address),
        amount: "1",
        blockNumber: String(certificateTransferTx.blockNumber),
        transactionHash: certificateTransferTx.transactionHash,
      },
    ]);
    const expectedBalances = [
      { tokenId, owner: lower(holder.address), balance: "0" },
      { tokenId, owner: lower(buyer.address), balance: "1" },
    ].sort((a, b) => a.owner.localeCompare(b.owner));
    expect(certificateBalances.items).to.deep.equal(expectedBalances);
  });

  it("indexes Numbers commits with the assetCid recovered from the input and commitData parsed, invalid JSON flagged", async () => {
    const { commits: indexed } = await indexer.graphql<{ commits: { items: Row[] } }>(`{
      commits(orderBy: "blockNumber") {
        items {
          chainId recorder assetCidHash assetCid commitData commitDataValid jobId eventType packetHash
          blockNumber transactionHash
        }
      }
    }`);
    const packetHash = (cid: string) => toHex(sha256FromRawCid(cid) as Uint8Array);
    expect(indexed.items).to.deep.equal(
      commits.map(({ label, assetCid, commitData, transactionHash, blockNumber }) => ({
        chainId: 31338,
        recorder: lower(committer.address),
        assetCidHash: keccak256(stringToBytes(assetCid)),
        assetCid,
        commitData,
        commitDataValid: label !== "notJson",
        jobId: label === "notJson" ? null : JOB,
        eventType: { submitted: "JobSubmitted", completed: "JobCompleted", notJson: null }[label],
        packetHash: label === "notJson" ? null : packetHash(assetCid),
        blockNumber: String(blockNumber),
        transactionHash,
      })),
    );
  });

  it("after a restart on the same database holds exactly the same rows, and indexes a new anchor exactly once", async () => {
    beforeRestart = await snapshot();
    expect(beforeRestart.anchors?.totalCount).to.equal(5);
    expect(beforeRestart.commits?.totalCount).to.equal(3);

    await indexer.restart();
    await indexer.waitFor(await head());
    expect(await snapshot()).to.deep.equal(beforeRestart);

    await anchor([{ label: "b2", steps: 1, tenant: BOREALIS }], borealisKey, borealis.signer);
    await indexer.waitFor(await head());
    const afterAnchor = await snapshot();
    const b2 = runs.b2?.receipt as AnchorReceipt;
    const b2Id = `${toOnchainId(BOREALIS)}-${toOnchainId(b2.chainId)}`;
    const added = afterAnchor.anchors?.items.filter(
      (row) => !beforeRestart.anchors?.items.some((old) => old.id === row.id),
    );
    expect(added?.map((row) => [row.id, row.sequence, row.transactionHash])).to.deep.equal([
      [b2Id, 2, b2.transaction.hash],
    ]);
    expect(afterAnchor.anchors?.totalCount).to.equal(6);
    expect(afterAnchor.entrys?.totalCount).to.equal((beforeRestart.entrys?.totalCount ?? 0) + 1);
    expect(afterAnchor.tenants?.items.map((t) => t.anchorCount)).to.deep.equal(
      beforeRestart.tenants?.items.map((t) => (t.id === toOnchainId(BOREALIS) ? 2 : t.anchorCount)),
    );
    // Every other table is as it was.
    for (const table of ["anchorSigners", "signingKeys", "certificateTransfers", "certificateBalances", "commits"])
      expect(afterAnchor[table], table).to.deep.equal(beforeRestart[table]);
    // The indexer's anchor counts equal the registry's.
    for (const tenant of [AURORA, BOREALIS]) {
      const onChain = await base().publicClient.readContract({
        address: network.base.registry,
        abi: processAnchorRegistryAbi,
        functionName: "anchorCount",
        args: [toOnchainId(tenant)],
      });
      const row = afterAnchor.tenants?.items.find((t) => t.id === toOnchainId(tenant));
      expect(BigInt(row?.anchorCount as number), tenant).to.equal(onChain);
    }
  });

  // Last: the tests above expect Aurora's anchor signer to be allowed.
  it("verifies a removed signer's anchors again on the next VerificationRetry beat: its valid anchors become invalid", async () => {
    const before = await snapshot();
    const auroraLabels = ["a1", "a2", "a3"];
    const idOf = (label: string) => {
      const receipt = runs[label]?.receipt as AnchorReceipt;
      return `${toOnchainId(receipt.tenantId)}-${toOnchainId(receipt.chainId)}`;
    };
    for (const label of [...auroraLabels, "b1", "b2"])
      expect(before.anchors?.items.find((row) => row.id === idOf(label))?.status, label).to.equal("valid");

    // Aurora's admin (its transfer to another was started, not accepted) removes the signer of a1, a2, a3 and rogue.
    await send("auroraSignerRemoved", accounts.admin, "setAnchorSigner", [
      toOnchainId(AURORA),
      accounts.signer.address,
      false,
    ]);
    // Two beats of the local interval (5 blocks). evm_mine: hardhat_mine is not supported on the op chain.
    for (let i = 0; i < 10; i++) await base().publicClient.request({ method: "evm_mine" } as never);
    await indexer.waitFor(await head());

    const after = await snapshot();
    const status = Object.fromEntries(
      (after.anchors?.items ?? []).map((row) => [row.id, { status: row.status, failedCheck: row.failedCheck }]),
    );
    for (const label of auroraLabels)
      expect(status[idOf(label)], label).to.deep.equal({ status: "invalid", failedCheck: "anchor.signer" });
    // Already invalid (unregistered key), and signed by the same signer: the signer check, reported first, now fails too.
    expect(status[idOf("rogue")]).to.deep.equal({ status: "invalid", failedCheck: "anchor.signer" });
    // Borealis's signer is still allowed: its anchors stay valid.
    for (const label of ["b1", "b2"])
      expect(status[idOf(label)], label).to.deep.equal({ status: "valid", failedCheck: null });
    expect(after.anchorSigners?.items).to.deep.include({
      tenantId: toOnchainId(AURORA),
      signer: lower(accounts.signer.address),
      allowed: false,
      updatedBlock: String(blocks.auroraSignerRemoved),
    });
    // Verified again, not indexed again: the same anchors and entries.
    expect(after.anchors?.totalCount).to.equal(before.anchors?.totalCount);
    expect(after.entrys).to.deep.equal(before.entrys);
  });
});
