import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import {
  type Address,
  createPublicClient,
  type Hex,
  http,
  keccak256,
  parseEventLogs,
  stringToBytes,
  zeroAddress,
} from "viem";
import { createApiApp } from "../../indexer/src/api/app.ts";
import type { ApiDeps, RegistryReader } from "../../indexer/src/api/deps.ts";
import { GRAPHQL_LIMITS } from "../../indexer/src/api/graphqlLimits.ts";
import { parseChain, parseSha256, parseTenant, parseTokenId } from "../../indexer/src/api/params.ts";
import type { Status, Store, TenantRow } from "../../indexer/src/api/store.ts";
import type { AnchorRow, CommitRow, EntryRow } from "../../indexer/src/api/views.ts";
import { processAnchorRegistryAbi } from "../../src/anchor/abi.ts";
import { certificateId, resolveCertificateUri } from "../../src/anchor/certificate.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";
import { anchorManifests } from "../../src/anchor/pipeline/pipeline.ts";
import type { AnchorReceipt } from "../../src/anchor/pipeline/receipt.ts";
import type { Database } from "../../src/db/database.ts";
import { decodePacket } from "../../src/evidence/codec.ts";
import type { Signer } from "../../src/keys/signer.ts";
import { type GatewayServer, startGateway } from "../../src/storage/gateway.ts";
import { LocalStore } from "../../src/storage/local.ts";
import { accounts, clients } from "../helpers/anchorRun.ts";
import { describeEachDatabase } from "../helpers/databases.ts";
import { fixedSigner } from "../helpers/fixtures.ts";
import { type Indexer, startIndexer } from "../helpers/indexer.ts";
import { devAccount, startTestNetwork, type TestNetwork } from "../helpers/localNetwork.ts";
import { pipelineContext, registerTenantFor, writeManifest } from "../helpers/pipeline.ts";

// ---------------------------------------------------------------------------------------------
// The routes' logic over rows the test gives (no Ponder, no chain): every 400, 404 and 502.
// ---------------------------------------------------------------------------------------------

const TENANT = "studio-aurora";
const TENANT_ID = toOnchainId(TENANT);
const UUID = "3b241101-e2bb-4255-8caf-4136c566a962";
const CHAIN_ID = toOnchainId(UUID);
const ANCHOR_ID = `${TENANT_ID}-${CHAIN_ID}`;
const CERTIFICATE = certificateId(TENANT_ID, CHAIN_ID);
const ASSET = `0x${"ab".repeat(32)}` as Hex;
const TX = `0x${"11".repeat(32)}` as Hex;

function anchorRow(overrides: Partial<AnchorRow> = {}): AnchorRow {
  return {
    id: ANCHOR_ID,
    tenantId: TENANT_ID,
    chainId: CHAIN_ID,
    chainHash: `0x${"cd".repeat(32)}`,
    ipfsCid: "bafkreichainscript",
    timestamp: 1_767_225_600n,
    blockNumber: 12n,
    transactionHash: TX,
    logIndex: 1,
    submitter: "0x90f79bf6eb2c4f870365e785982e1f101e93b906",
    signer: "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc",
    certificateId: CERTIFICATE,
    sequence: 1,
    tenantName: TENANT,
    chainUuid: UUID,
    processId: "lighthouse-v1",
    entryCount: 3,
    status: "valid",
    failedCheck: null,
    report: { verdict: "valid", checks: [] },
    attempts: 1,
    verifiedBlock: 12n,
    ...overrides,
  };
}

function entryRow(sequence: number, overrides: Partial<EntryRow> = {}): EntryRow {
  return {
    id: `${ANCHOR_ID}-${sequence}`,
    anchorId: ANCHOR_ID,
    sequence,
    stageId: ["generate", "upscale", "watermark"][sequence] ?? "step",
    packetCid: `bafkreipacket${sequence}`,
    packetHash: `0x${String(sequence).repeat(64)}` as Hex,
    assetHash: ASSET,
    assetSize: 1024n,
    mimeType: "image/png",
    processId: "lighthouse-v1",
    modelId: "sdxl@1",
    deviceClass: "H100",
    durationMs: 100n,
    signingKeyId: "studio-key-2026",
    createdAt: 1_767_225_500_000n + BigInt(sequence),
    ...overrides,
  };
}

function commitRow(logIndex: number, overrides: Partial<CommitRow> = {}): CommitRow {
  return {
    id: `31338-${TX}-${logIndex}`,
    logIndex,
    chainId: 31338,
    recorder: "0xa0ee7a142d267c1f36714e4a8f75612f20a79720",
    assetCidHash: keccak256(stringToBytes("bafkreipacket0")),
    assetCid: "bafkreipacket0",
    commitData: "{}",
    commitDataValid: true,
    commitJson: {},
    jobId: "job-7",
    eventType: "started",
    packetHash: null,
    blockNumber: 5n,
    timestamp: 1_767_225_500n,
    transactionHash: TX,
    ...overrides,
  };
}

interface Rows {
  anchors?: AnchorRow[];
  entries?: EntryRow[];
  commits?: CommitRow[];
  tenants?: Hex[];
}

/** A Store over arrays, answering as createStore's SQL does. */
function memoryStore(rows: Rows): Store {
  const anchors = rows.anchors ?? [];
  const entries = rows.entries ?? [];
  const withAnchor = (entry: EntryRow) => {
    const anchor = anchors.find((a) => a.id === entry.anchorId);
    return anchor === undefined ? [] : [{ entry, anchor }];
  };
  return {
    anchor: async (id) => anchors.find((a) => a.id === id),
    tenant: async (id) =>
      (rows.tenants ?? []).includes(id)
        ? ({ id, admin: zeroAddress, pendingAdmin: null, registeredBlock: 1n, anchorCount: 0 } as TenantRow)
        : undefined,
    tenantNames: async (id) =>
      anchors.flatMap((a) => (a.tenantId === id && a.tenantName !== null ? [a.tenantName] : [])),
    anchorCounts: async (tenantId) => {
      const counts: Record<Status, number> = { valid: 0, invalid: 0, unresolved: 0, pending: 0 };
      for (const a of anchors) if (a.tenantId === tenantId) counts[a.status]++;
      return counts;
    },
    assetEntries: async (hash) => entries.filter((e) => e.assetHash === hash).flatMap(withAnchor),
    jobCommits: async (jobId) => (rows.commits ?? []).filter((c) => c.jobId === jobId),
    packets: async (cids, hashes) =>
      entries.filter((e) => cids.includes(e.packetCid) || hashes.includes(e.packetHash)).flatMap(withAnchor),
    anchorByCertificate: async (id) => anchors.find((a) => a.certificateId === id),
  };
}

const registryAt = (admin: Address, anchorCount: bigint): RegistryReader => ({
  readTenant: async () => ({ blockNumber: 40n, admin, anchorCount }),
});

function api(rows: Rows, registry: RegistryReader = registryAt(zeroAddress, 0n)) {
  const deps: ApiDeps = { store: memoryStore(rows), registry, baseChainId: 31337 };
  const app = createApiApp(deps);
  return async (path: string, init?: RequestInit) => {
    const response = await app.request(`http://api.test${path}`, init);
    return { status: response.status, body: (await response.json()) as unknown };
  };
}

describe("indexer API routes over given rows", () => {
  describe("path parameters", () => {
    it("takes a tenant by its string id or its bytes32 on-chain id, and a chain by UUID (any case) or bytes32", () => {
      expect(parseTenant(TENANT)).to.deep.equal({ id: TENANT_ID, name: TENANT });
      expect(parseTenant(TENANT_ID.toUpperCase().replace("0X", "0x"))).to.deep.equal({ id: TENANT_ID });
      expect(parseChain(UUID.toUpperCase())).to.deep.equal({ id: CHAIN_ID, name: UUID });
      expect(parseChain(CHAIN_ID)).to.deep.equal({ id: CHAIN_ID });
    });

    it("reads sha256 as 64 hex digits with or without 0x, and token ids in the ERC-1155 {id}, 0x and decimal forms", () => {
      expect(parseSha256(ASSET.slice(2).toUpperCase())).to.equal(ASSET);
      expect(parseSha256(`0X${ASSET.slice(2)}`)).to.equal(ASSET);
      const hex = CERTIFICATE.toString(16).padStart(64, "0");
      expect(parseTokenId(hex)).to.equal(CERTIFICATE);
      expect(parseTokenId(`0x${hex.toUpperCase()}`)).to.equal(CERTIFICATE);
      expect(parseTokenId(CERTIFICATE.toString())).to.equal(CERTIFICATE);
      expect(parseTokenId("1")).to.equal(1n);
      // 64 decimal digits are read as the ERC-1155 hex form.
      expect(parseTokenId("1".repeat(64))).to.equal(BigInt(`0x${"1".repeat(64)}`));
    });
  });

  describe("400: a malformed parameter is named with what was wrong", () => {
    const cases: [string, string][] = [
      [
        `/api/anchors/${TENANT}/not-a-uuid`,
        'chainId must be the chain\'s UUIDv4 (as in its chainscript) or its bytes32 on-chain id (0x and 64 hex digits), got "not-a-uuid".',
      ],
      [
        // A UUID of another version is no chainscript id.
        `/api/anchors/${TENANT}/3b241101-e2bb-1255-8caf-4136c566a962`,
        'chainId must be the chain\'s UUIDv4 (as in its chainscript) or its bytes32 on-chain id (0x and 64 hex digits), got "3b241101-e2bb-1255-8caf-4136c566a962".',
      ],
      [`/api/anchors/${"t".repeat(257)}/${UUID}`, "tenant must be at most 256 characters, got 257."],
      [`/api/anchors/bad%0Aname/${UUID}`, "tenant must not contain control characters."],
      ["/api/assets/abc", 'sha256 must be 64 hex digits (with or without 0x), got "abc".'],
      [`/api/assets/${"g".repeat(64)}`, `sha256 must be 64 hex digits (with or without 0x), got "${"g".repeat(64)}".`],
      [
        `/api/assets/0x${"ab".repeat(33)}`,
        `sha256 must be 64 hex digits (with or without 0x), got "0x${"ab".repeat(33)}".`,
      ],
      [`/api/jobs/${"j".repeat(300)}/timeline`, "jobId must be at most 256 characters, got 300."],
      [`/api/tenants/${"t".repeat(257)}/completeness`, "tenant must be at most 256 characters, got 257."],
      [
        "/metadata/12ab.json",
        'id must be a token id as 64 hex digits (the ERC-1155 {id} form), 0x hex, or a decimal uint256, got "12ab".',
      ],
      [
        `/metadata/${(2n ** 256n).toString()}.json`,
        `id must be a token id as 64 hex digits (the ERC-1155 {id} form), 0x hex, or a decimal uint256, got "${(2n ** 256n).toString()}".`,
      ],
    ];
    for (const [path, error] of cases)
      it(`GET ${path.length > 60 ? `${path.slice(0, 57)}...` : path}`, async () => {
        expect(await api({})(path)).to.deep.equal({ status: 400, body: { error } });
      });
  });

  describe("404: nothing indexed under the parameter, or no such route", () => {
    const other = "3b241101-e2bb-4255-8caf-4136c566a963";
    const cases: [string, string, Rows?][] = [
      [`/api/anchors/nobody/${UUID}`, 'tenant "nobody" is not a tenant of the indexed registry.'],
      // Percent-encoded characters, a slash among them, are the tenant's own.
      [`/api/anchors/a%2Fb%20c/${UUID}`, 'tenant "a/b c" is not a tenant of the indexed registry.'],
      [
        `/api/anchors/${TENANT}/${other}`,
        `chainId "${other}" is not an indexed anchor of tenant "${TENANT}".`,
        { tenants: [TENANT_ID] },
      ],
      [`/api/assets/${ASSET.slice(2)}`, `sha256 ${ASSET} is not the output of any indexed evidence packet.`],
      ["/api/jobs/job-9/timeline", 'jobId "job-9" is not named by any indexed Numbers commit.'],
      ["/api/tenants/nobody/completeness", 'tenant "nobody" is not a tenant of the registry.'],
      ["/metadata/1.json", 'id "1" is not the certificate of any indexed anchor.'],
      ["/metadata/1", "No route GET /metadata/1: certificate metadata is served at /metadata/{id}.json."],
      [
        "/api/anchors",
        "No route GET /api/anchors: the REST routes are GET /api/anchors/:tenant/:chainId, GET /api/assets/:sha256, GET /api/jobs/:jobId/timeline, GET /api/tenants/:tenant/completeness, GET /metadata/:id.json.",
      ],
    ];
    for (const [path, error, rows] of cases)
      it(`GET ${path}`, async () => {
        expect(await api(rows ?? {})(path)).to.deep.equal({ status: 404, body: { error } });
      });

    it("answers 404 for other methods on the REST routes", async () => {
      const answer = await api({ anchors: [anchorRow()] })(`/api/anchors/${TENANT}/${UUID}`, { method: "POST" });
      expect(answer.status).to.equal(404);
    });
  });

  it("answers 502, naming the chain, when the registry cannot be read for completeness", async () => {
    const failing: RegistryReader = {
      readTenant: () => Promise.reject(new Error("HTTP request failed.\nURL: http://127.0.0.1:1")),
    };
    expect(await api({ tenants: [TENANT_ID] }, failing)(`/api/tenants/${TENANT}/completeness`)).to.deep.equal({
      status: 502,
      body: {
        error: `tenant "${TENANT}": the registry's anchorCount could not be read from chain 31337 (HTTP request failed.).`,
      },
    });
  });

  it("answers 500 with a plain sentence (no stack, no path) when a read fails unexpectedly", async () => {
    const store = { ...memoryStore({}), assetEntries: () => Promise.reject(new Error("connection reset")) };
    const logged: unknown[] = [];
    const app = createApiApp({ store, registry: registryAt(zeroAddress, 0n), baseChainId: 31337 }, (error) =>
      logged.push(error),
    );
    const response = await app.request(`http://api.test/api/assets/${ASSET}`);
    expect(response.status).to.equal(500);
    expect(await response.json()).to.deep.equal({
      error: `Internal error while answering GET /api/assets/${ASSET}.`,
    });
    expect(logged).to.have.length(1);
  });

  it("shows a chainscript's string ids only when they hash to the anchored ids", async () => {
    const forged = anchorRow({ tenantName: "someone-else", chainUuid: "3b241101-e2bb-4255-8caf-4136c566a963" });
    const { body } = await api({ anchors: [forged] })(`/api/anchors/${TENANT_ID}/${CHAIN_ID}`);
    const chain = (body as { chain: { tenant: unknown; uuid: unknown } }).chain;
    expect(chain.tenant).to.deep.equal({ id: TENANT_ID, name: null });
    expect(chain.uuid).to.equal(null);
  });

  it("orders a job's timeline by time, commits before anchors within a second, then block and log", async () => {
    const anchor = anchorRow({ timestamp: 1_767_225_600n });
    const rows: Rows = {
      anchors: [anchor],
      entries: [entryRow(0), entryRow(2)],
      commits: [
        commitRow(4, { timestamp: 1_767_225_700n, blockNumber: 9n, eventType: "verified" }),
        commitRow(3, {
          timestamp: 1_767_225_600n,
          blockNumber: 8n,
          eventType: "completed",
          assetCid: null,
          packetHash: entryRow(2).packetHash,
        }),
        commitRow(1, { eventType: "started" }),
        commitRow(0, { eventType: "queued", assetCid: "bafkreiunknown" }),
      ],
    };
    const { status, body } = await api(rows)("/api/jobs/job-7/timeline");
    expect(status).to.equal(200);
    const events = (body as { events: { kind: string; eventType?: string; packet?: { cid: string } | null }[] }).events;
    expect(
      events.map((e) => `${e.kind}:${e.eventType ?? ""}:${e.kind === "anchor" ? "-" : (e.packet?.cid ?? null)}`),
    ).to.deep.equal([
      "commit:queued:null",
      "commit:started:bafkreipacket0",
      "commit:completed:bafkreipacket2",
      "anchor::-",
      "commit:verified:bafkreipacket0",
    ]);
  });

  it("says complete only when the indexed anchors are all the registry counts", async () => {
    const rows: Rows = {
      anchors: [anchorRow(), anchorRow({ id: "x", status: "invalid", failedCheck: "packets.signatures" })],
      tenants: [TENANT_ID],
    };
    const admin = accounts.admin.address;
    expect((await api(rows, registryAt(admin, 2n))(`/api/tenants/${TENANT}/completeness`)).body).to.deep.equal({
      tenant: { id: TENANT_ID, name: TENANT },
      indexed: { anchors: 2, valid: 1, invalid: 1, unresolved: 0, pending: 0 },
      onchain: { evmChainId: 31337, blockNumber: "40", anchorCount: "2" },
      missing: 0,
      complete: true,
    });
    const behind = (await api(rows, registryAt(admin, 3n))(`/api/tenants/${TENANT_ID}/completeness`)).body;
    expect(behind).to.deep.include({ missing: 1, complete: false });
    // Registered on-chain but not yet indexed: an answer, not a 404.
    expect((await api({}, registryAt(admin, 1n))("/api/tenants/late-tenant/completeness")).body).to.deep.equal({
      tenant: { id: toOnchainId("late-tenant"), name: null },
      indexed: { anchors: 0, valid: 0, invalid: 0, unresolved: 0, pending: 0 },
      onchain: { evmChainId: 31337, blockNumber: "40", anchorCount: "1" },
      missing: 1,
      complete: false,
    });
  });

  it("describes invalid and unresolved certificates in their metadata", async () => {
    const invalid = anchorRow({ status: "invalid", failedCheck: "packets.signatures" });
    const { body } = await api({ anchors: [invalid] })(`/metadata/${CERTIFICATE}.json`);
    expect((body as { description: string }).description).to.match(
      /Verification: invalid \(failed check packets\.signatures\)\.$/,
    );
    const unresolved = anchorRow({ status: "unresolved", failedCheck: "chainscript.available", tenantName: null });
    const answer = (await api({ anchors: [unresolved] })(`/metadata/${CERTIFICATE}.json`)).body as {
      name: string;
      description: string;
    };
    expect(answer.name).to.equal(`Proof of Process certificate: ${TENANT_ID} / ${UUID}`);
    expect(answer.description).to.match(/Verification: not yet possible \(chainscript\.available unavailable\)\.$/);
  });
});

// ---------------------------------------------------------------------------------------------
// End to end: two local chains, runs anchored by the pipeline, commits on Numbers, the real
// indexer (`ponder start`) over PGlite, and every route asked over HTTP.
// ---------------------------------------------------------------------------------------------

/** graphql-js's getIntrospectionQuery({ inputValueDeprecation: true }): what GraphiQL sends to load the schema. */
const INTROSPECTION_QUERY = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue isDeprecated deprecationReason }
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}`;

/** A JSON-RPC call to a local chain (time travel). */
async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: unknown };
  if (body.error !== undefined) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

const iso = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString();

interface AnchoredRun {
  readonly receipt: AnchorReceipt;
  readonly tenantId: Hex;
  readonly chainId: Hex;
  readonly chainHash: Hex;
  readonly blockNumber: bigint;
  readonly timestamp: bigint;
  readonly logIndex: number;
  readonly transactionHash: Hex;
}

describeEachDatabase("indexer API end to end", (target) =>
  describe("over HTTP", function () {
    this.timeout(240_000);
    const studioKey = fixedSigner("studio-key-2026");
    const pharmaKey = fixedSigner("pharma-key-2026");
    /** Signs pharma-lab's packets under a key id the registry never heard of: its chain is invalid. */
    const rogueKey = fixedSigner("rogue-key");
    const JOB = "gpu-job-42";
    const committer = devAccount(9);

    let network: TestNetwork;
    let dir: string;
    let store: LocalStore;
    let gateway: GatewayServer;
    let db: Database;
    let indexer: Indexer;
    const runs: Record<"a1" | "a2" | "b1", AnchoredRun> = {} as never;
    const commits: { transactionHash: Hex; blockNumber: bigint }[] = [];

    /** Anchors one run per [key, output label, steps] in one transaction, and records what the chain says of each. */
    async function anchorAll(tenant: string, signer: Signer, specs: readonly ["a1" | "a2" | "b1", string, number][]) {
      const labels = specs.map(([key]) => key);
      const manifests = await Promise.all(
        specs.map(([key, label, steps]) =>
          writeManifest(dir, { tenantId: tenant, label, steps, name: `${key}.jsonl` }),
        ),
      );
      const result = await anchorManifests(pipelineContext(network.base, db, [store], signer), {
        manifests,
        confirmations: 1,
        pollingIntervalMs: 20,
        certificateRecipient: accounts.admin.address,
        // Base's clock runs an hour ahead (below): a signature valid for a day is still valid there.
        signatureTtlSeconds: 86_400,
      });
      const client = clients(network.base).publicClient;
      for (const [i, label] of labels.entries()) {
        const receipt = JSON.parse(await readFile(result.runs[i]?.receiptPath as string, "utf8")) as AnchorReceipt;
        const hash = receipt.transaction.hash as Hex;
        const logs = parseEventLogs({
          abi: processAnchorRegistryAbi,
          eventName: "ProcessAnchored",
          logs: (await client.getTransactionReceipt({ hash })).logs,
        });
        const log = logs.find((l) => l.args.chainId === toOnchainId(receipt.chainId));
        if (log === undefined) throw new Error(`no ProcessAnchored for ${receipt.chainId}`);
        runs[label] = {
          receipt,
          tenantId: log.args.tenantId,
          chainId: log.args.chainId,
          chainHash: log.args.chainHash,
          blockNumber: log.blockNumber,
          timestamp: log.args.timestamp,
          logIndex: log.logIndex,
          transactionHash: hash,
        };
      }
    }

    const commitData = (eventType: string, packetHash: Hex) =>
      JSON.stringify({
        abstract: `GPU job ${eventType}`,
        jobDetails: { jobId: JOB, eventType },
        packetHash: packetHash.slice(2),
      });

    before(async () => {
      network = await startTestNetwork();
      dir = await mkdtemp(join(tmpdir(), "pop-api-"));
      store = new LocalStore(join(dir, "store"));
      gateway = await startGateway(store);
      db = await target.open();
      await registerTenantFor(network.base, "studio-aurora", studioKey);
      await registerTenantFor(network.base, "pharma-lab", pharmaKey);
      // Base runs an hour ahead of Numbers: the job's commits (sent after anchoring, which makes the packets) are older.
      await rpc(network.base.url, "evm_increaseTime", [3600]);
      await anchorAll("studio-aurora", studioKey, [
        ["a1", "a1", 3],
        ["a2", "a2", 2],
      ]);
      // The same two first steps as a1 (same outputs), for another tenant, signed under an unregistered key.
      await anchorAll("pharma-lab", rogueKey, [["b1", "a1", 2]]);
      const a1 = runs.a1.receipt.packetCids as string[];
      const commitJob = async (eventType: string, cid: string) => {
        const packetHash = `0x${Buffer.from(await packetDigest(cid)).toString("hex")}` as Hex;
        commits.push(await network.numbers.commit(committer, cid, commitData(eventType, packetHash)));
      };
      await commitJob("started", a1[0] as string);
      await commitJob("completed", a1[2] as string);
      // Not JSON: stored and flagged, in no job.
      await network.numbers.commit(committer, a1[1] as string, "not json {");
      // Two hours on: after the anchor.
      await rpc(network.numbers.url, "evm_increaseTime", [7200]);
      await commitJob("audited", a1[2] as string);
      indexer = await startIndexer({
        database: target.name,
        env: { ...network.indexerEnv, POP_GATEWAYS: gateway.url },
      });
      await indexer.waitFor(
        {
          base: await clients(network.base).publicClient.getBlockNumber({ cacheTime: 0 }),
          numbers: await network.numbers.blockNumber(),
        },
        60_000,
      );
    });

    after(async () => {
      await indexer?.stop();
      await gateway?.close();
      await db?.close();
      await network?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** The packet's SHA-256, which is its CID's digest. */
    async function packetDigest(cid: string): Promise<Uint8Array> {
      const { sha256 } = await import("@noble/hashes/sha2.js");
      return sha256((await store.get(cid)) as Uint8Array);
    }

    const relayer = accounts.relayer.address.toLowerCase();
    const anchorSigner = accounts.signer.address.toLowerCase();
    const hex64 = (id: bigint) => id.toString(16).padStart(64, "0");

    function chainOf(run: AnchoredRun, tenant: string, entryCount: number) {
      return {
        anchorId: `${run.tenantId}-${run.chainId}`,
        tenant: { id: run.tenantId, name: tenant },
        id: run.chainId,
        uuid: run.receipt.chainId,
        processId: "lighthouse-v1",
        chainHash: run.chainHash,
        chainscriptCid: run.receipt.chainscriptCid,
        entryCount,
      };
    }

    function transactionOf(run: AnchoredRun) {
      return {
        evmChainId: 31337,
        blockNumber: run.blockNumber.toString(),
        transactionHash: run.transactionHash,
        logIndex: run.logIndex,
        timestamp: run.timestamp.toString(),
        time: iso(run.timestamp),
        submitter: relayer,
        signer: anchorSigner,
      };
    }

    /** The facts of a packet as its own bytes give them. */
    async function packetOf(cid: string) {
      const { packet } = decodePacket((await store.get(cid)) as Uint8Array);
      return {
        cid,
        hash: `0x${Buffer.from(await packetDigest(cid)).toString("hex")}`,
        assetHash: `0x${Buffer.from(packet.outputs.assetHash).toString("hex")}`,
        assetSize: String(packet.outputs.assetSize),
        mimeType: packet.outputs.mimeType,
        processId: "lighthouse-v1",
        modelId: "sdxl@1",
        deviceClass: "H100",
        durationMs: String(packet.execution.durationMs),
        signingKeyId: packet.signingKeyId,
        createdAt: String(packet.timestamp),
        time: new Date(packet.timestamp).toISOString(),
      };
    }

    async function reportOf(run: AnchoredRun): Promise<{ verdict: string; checks: { status: string }[] }> {
      const { anchor } = await indexer.graphql<{
        anchor: { report: { verdict: string; checks: { status: string }[] } };
      }>(`query ($id: String!) { anchor(id: $id) { report } }`, { id: `${run.tenantId}-${run.chainId}` });
      return anchor.report;
    }

    /** POSTs a GraphQL request as it comes, for answers the runner's graphql() would throw on. */
    async function postGraphql(body: string) {
      const response = await fetch(`${indexer.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      return { status: response.status, body: (await response.json()) as unknown };
    }

    it("leaves /health to Ponder: 200 with an empty body while the process serves; /ready once indexing caught up", async () => {
      expect(await indexer.get("/health")).to.deep.include({ status: 200, body: "" });
      // Ready once the backfill is over (the blocks waited for may be reached just before it says so).
      const deadline = Date.now() + 30_000;
      let ready = await indexer.get("/ready");
      while (ready.status !== 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        ready = await indexer.get("/ready");
      }
      expect(ready).to.deep.include({ status: 200, body: "" });
    });

    it("GET /api/anchors/:tenant/:chainId answers the anchor with its verification report, by string or on-chain ids", async () => {
      const { a1, b1 } = runs;
      const report = await reportOf(a1);
      expect(report.verdict).to.equal("valid");
      const expected = {
        chain: chainOf(a1, "studio-aurora", 3),
        anchor: { ...transactionOf(a1), sequence: 1 },
        certificate: {
          id: certificateId(a1.tenantId, a1.chainId).toString(),
          metadata: `/metadata/${hex64(certificateId(a1.tenantId, a1.chainId))}.json`,
        },
        verification: {
          status: "valid",
          failedCheck: null,
          attempts: 1,
          verifiedBlock: a1.blockNumber.toString(),
          report,
        },
      };
      expect(await indexer.get(`/api/anchors/studio-aurora/${a1.receipt.chainId}`)).to.deep.equal({
        status: 200,
        contentType: "application/json",
        body: expected,
      });
      expect(
        (await indexer.get(`/api/anchors/${a1.tenantId}/${a1.chainId.toUpperCase().replace("0X", "0x")}`)).body,
      ).to.deep.equal(expected);
      expect((await indexer.get(`/api/anchors/studio-aurora/${a1.receipt.chainId.toUpperCase()}`)).body).to.deep.equal(
        expected,
      );
      // a2 was anchored in the same transaction, after a1.
      const second = (await indexer.get(`/api/anchors/studio-aurora/${runs.a2.receipt.chainId}`)).body as {
        anchor: unknown;
      };
      expect(second.anchor).to.deep.equal({ ...transactionOf(runs.a2), logIndex: 1, sequence: 2 });

      const invalidReport = await reportOf(b1);
      expect(invalidReport.verdict).to.equal("invalid");
      expect((await indexer.get(`/api/anchors/pharma-lab/${b1.receipt.chainId}`)).body).to.deep.equal({
        chain: chainOf(b1, "pharma-lab", 2),
        anchor: { ...transactionOf(b1), sequence: 1 },
        certificate: {
          id: certificateId(b1.tenantId, b1.chainId).toString(),
          metadata: `/metadata/${hex64(certificateId(b1.tenantId, b1.chainId))}.json`,
        },
        verification: {
          status: "invalid",
          failedCheck: "chain.key",
          attempts: 1,
          verifiedBlock: b1.blockNumber.toString(),
          report: invalidReport,
        },
      });
    });

    it("GET /api/assets/:sha256 answers every packet that produced the asset, oldest anchor first", async () => {
      const { a1, b1 } = runs;
      // a1 and b1 ran the same first step: its output is in both chains (b1's is invalid).
      const output = await readFile(join(dir, "outputs", "a1-0.bin"));
      const { sha256 } = await import("@noble/hashes/sha2.js");
      const assetHash = `0x${Buffer.from(sha256(output)).toString("hex")}`;
      const [fromA1, fromB1] = [
        await packetOf(a1.receipt.packetCids[0] as string),
        await packetOf(b1.receipt.packetCids[0] as string),
      ];
      expect(fromA1.assetHash).to.equal(assetHash);
      const expected = {
        assetHash,
        provenance: [
          {
            packet: fromA1,
            stage: { id: "generate", sequence: 0 },
            chain: chainOf(a1, "studio-aurora", 3),
            anchor: transactionOf(a1),
            verification: { status: "valid", failedCheck: null },
          },
          {
            packet: fromB1,
            stage: { id: "generate", sequence: 0 },
            chain: chainOf(b1, "pharma-lab", 2),
            anchor: transactionOf(b1),
            verification: { status: "invalid", failedCheck: "chain.key" },
          },
        ],
      };
      expect(await indexer.get(`/api/assets/${assetHash.slice(2).toUpperCase()}`)).to.deep.equal({
        status: 200,
        contentType: "application/json",
        body: expected,
      });
      expect((await indexer.get(`/api/assets/${assetHash}`)).body).to.deep.equal(expected);
    });

    it("GET /api/jobs/:jobId/timeline answers the job's Numbers commits and its Base anchor, oldest first", async () => {
      const { a1 } = runs;
      const numbers = createPublicClient({ chain: network.numbers.chain, transport: http(network.numbers.url) });
      const [started, completed, audited] = await Promise.all(
        commits.map(async (c) => ({
          ...c,
          timestamp: (await numbers.getBlock({ blockNumber: c.blockNumber })).timestamp,
        })),
      );
      const packetOfEntry = async (sequence: number, stage: string) => {
        const facts = await packetOf(a1.receipt.packetCids[sequence] as string);
        return {
          cid: facts.cid,
          hash: facts.hash,
          anchorId: `${a1.tenantId}-${a1.chainId}`,
          stage: { id: stage, sequence },
          assetHash: facts.assetHash,
        };
      };
      const commitEvent = async (c: typeof started, eventType: string, sequence: number, stage: string) => {
        const packet = await packetOfEntry(sequence, stage);
        return {
          kind: "commit",
          evmChainId: 31338,
          blockNumber: c?.blockNumber.toString(),
          transactionHash: c?.transactionHash,
          logIndex: 0,
          timestamp: c?.timestamp.toString(),
          time: iso(c?.timestamp as bigint),
          recorder: committer.address.toLowerCase(),
          eventType,
          assetCid: packet.cid,
          packetHash: packet.hash,
          commitDataValid: true,
          packet,
        };
      };
      expect(await indexer.get(`/api/jobs/${JOB}/timeline`)).to.deep.equal({
        status: 200,
        contentType: "application/json",
        body: {
          jobId: JOB,
          events: [
            await commitEvent(started, "started", 0, "generate"),
            await commitEvent(completed, "completed", 2, "watermark"),
            {
              kind: "anchor",
              ...transactionOf(a1),
              chain: chainOf(a1, "studio-aurora", 3),
              verification: { status: "valid", failedCheck: null },
            },
            await commitEvent(audited, "audited", 2, "watermark"),
          ],
        },
      });
    });

    it("GET /api/tenants/:tenant/completeness compares the indexed anchors with the registry's anchorCount", async () => {
      const head = (await clients(network.base).publicClient.getBlockNumber({ cacheTime: 0 })).toString();
      const studio = {
        tenant: { id: toOnchainId("studio-aurora"), name: "studio-aurora" },
        indexed: { anchors: 2, valid: 2, invalid: 0, unresolved: 0, pending: 0 },
        onchain: { evmChainId: 31337, blockNumber: head, anchorCount: "2" },
        missing: 0,
        complete: true,
      };
      expect(await indexer.get("/api/tenants/studio-aurora/completeness")).to.deep.equal({
        status: 200,
        contentType: "application/json",
        body: studio,
      });
      expect((await indexer.get(`/api/tenants/${toOnchainId("studio-aurora")}/completeness`)).body).to.deep.equal(
        studio,
      );
      expect((await indexer.get("/api/tenants/pharma-lab/completeness")).body).to.deep.equal({
        tenant: { id: toOnchainId("pharma-lab"), name: "pharma-lab" },
        indexed: { anchors: 1, valid: 0, invalid: 1, unresolved: 0, pending: 0 },
        onchain: { evmChainId: 31337, blockNumber: head, anchorCount: "1" },
        missing: 0,
        complete: true,
      });
    });

    it("GET /metadata/:id.json answers ERC-1155 metadata at the registry's uri for the certificate", async () => {
      const { a1 } = runs;
      const id = certificateId(a1.tenantId, a1.chainId);
      const template = await clients(network.base).publicClient.readContract({
        address: network.base.registry,
        abi: processAnchorRegistryAbi,
        functionName: "uri",
        args: [id],
      });
      const path = new URL(resolveCertificateUri(template, id)).pathname;
      expect(path).to.equal(`/metadata/${hex64(id)}.json`);
      const expected = {
        name: `Proof of Process certificate: studio-aurora / ${a1.receipt.chainId}`,
        description:
          `Certifies that a process run of tenant studio-aurora (chain ${a1.receipt.chainId}) was anchored on chain 31337 ` +
          `in transaction ${a1.transactionHash}, with chainscript ${a1.receipt.chainscriptCid}. Verification: valid.`,
        decimals: 0,
        external_url: `${indexer.url}/api/anchors/${a1.tenantId}/${a1.chainId}`,
        properties: {
          tenant: "studio-aurora",
          tenantId: a1.tenantId,
          chainUuid: a1.receipt.chainId,
          chainId: a1.chainId,
          processId: "lighthouse-v1",
          entryCount: 3,
          chainscriptCid: a1.receipt.chainscriptCid,
          chainHash: a1.chainHash,
          anchorChainId: 31337,
          anchorTransaction: a1.transactionHash,
          anchorBlock: a1.blockNumber.toString(),
          anchoredAt: iso(a1.timestamp),
          status: "valid",
          failedCheck: null,
        },
      };
      expect(await indexer.get(path)).to.deep.equal({ status: 200, contentType: "application/json", body: expected });
      expect((await indexer.get(`/metadata/${id}.json`)).body).to.deep.equal(expected);
      // The certificate was minted to the recipient the anchor named.
      const { certificateBalances } = await indexer.graphql<{ certificateBalances: { items: unknown[] } }>(
        `query ($id: BigInt!) { certificateBalances(where: { tokenId: $id }) { items { owner balance } } }`,
        { id: id.toString() },
      );
      expect(certificateBalances.items).to.deep.equal([{ owner: accounts.admin.address.toLowerCase(), balance: "1" }]);
    });

    it("answers 404 for what is not indexed and 400 for malformed parameters, with a sentence naming the parameter", async () => {
      const { a1 } = runs;
      const unknownUuid = "3b241101-e2bb-4255-8caf-4136c566a962";
      const cases: [string, number, string][] = [
        [`/api/anchors/nobody/${a1.receipt.chainId}`, 404, 'tenant "nobody" is not a tenant of the indexed registry.'],
        [
          `/api/anchors/pharma-lab/${a1.receipt.chainId}`,
          404,
          `chainId "${a1.receipt.chainId}" is not an indexed anchor of tenant "pharma-lab".`,
        ],
        [
          `/api/anchors/studio-aurora/${unknownUuid}`,
          404,
          `chainId "${unknownUuid}" is not an indexed anchor of tenant "studio-aurora".`,
        ],
        [
          `/api/assets/${"00".repeat(32)}`,
          404,
          `sha256 0x${"00".repeat(32)} is not the output of any indexed evidence packet.`,
        ],
        ["/api/jobs/gpu-job-0/timeline", 404, 'jobId "gpu-job-0" is not named by any indexed Numbers commit.'],
        ["/api/tenants/nobody/completeness", 404, 'tenant "nobody" is not a tenant of the registry.'],
        [
          `/metadata/${"00".repeat(31)}01.json`,
          404,
          `id "${"00".repeat(31)}01" is not the certificate of any indexed anchor.`,
        ],
        [
          "/api/anchors/studio-aurora/42",
          400,
          'chainId must be the chain\'s UUIDv4 (as in its chainscript) or its bytes32 on-chain id (0x and 64 hex digits), got "42".',
        ],
        ["/api/assets/0x1234", 400, 'sha256 must be 64 hex digits (with or without 0x), got "0x1234".'],
        [
          "/metadata/token.json",
          400,
          'id must be a token id as 64 hex digits (the ERC-1155 {id} form), 0x hex, or a decimal uint256, got "token".',
        ],
      ];
      for (const [path, status, error] of cases)
        expect(await indexer.get(path), path).to.deep.equal({
          status,
          contentType: "application/json",
          body: { error },
        });
    });

    it("GraphQL answers queries within its limits and refuses deeper, more aliased or larger ones", async () => {
      const { anchors } = await indexer.graphql<{ anchors: { items: unknown[]; totalCount: number } }>(
        `{ anchors(orderBy: "sequence", orderDirection: "asc", where: { tenantId: "${toOnchainId("studio-aurora")}" }) { items { chainUuid status entryCount } totalCount } }`,
      );
      expect(anchors).to.deep.equal({
        items: [
          { chainUuid: runs.a1.receipt.chainId, status: "valid", entryCount: 3 },
          { chainUuid: runs.a2.receipt.chainId, status: "valid", entryCount: 2 },
        ],
        totalCount: 2,
      });
      // GET /graphql is GraphiQL, which loads the schema with the standard introspection query, 21 deep: admitted.
      const page = await indexer.get("/graphql");
      expect(page).to.deep.include({ status: 200 });
      expect(page.contentType).to.match(/^text\/html/);
      expect(page.body).to.include("graphiql");
      const introspection = await postGraphql(JSON.stringify({ query: INTROSPECTION_QUERY }));
      const schema = (introspection.body as { data?: { __schema: { types: { name: string }[] } } }).data?.__schema;
      expect(schema?.types.map((t) => t.name)).to.include.members(["anchor", "entry", "commit", "tenant"]);
      // One level more than allowed: the refusal names the limit and the depth found.
      const depth = GRAPHQL_LIMITS.maxOperationDepth;
      const ofTypes = depth + 1 - 5; // __schema, types, fields, type ... name
      const deep = `{ __schema { types { fields { type { ${"ofType { ".repeat(ofTypes)}name${" }".repeat(ofTypes)} } } } } }`;
      expect(await postGraphql(JSON.stringify({ query: deep }))).to.deep.equal({
        status: 200,
        body: {
          errors: [
            {
              message: `Query depth limit of ${depth} exceeded, found ${depth + 1}.`,
              locations: [{ line: 1, column: 1 }],
            },
          ],
        },
      });
      const aliases = GRAPHQL_LIMITS.maxOperationAliases;
      const aliased = `{ ${Array.from({ length: aliases + 1 }, (_, i) => `a${i}: anchors { totalCount }`).join(" ")} }`;
      expect(await postGraphql(JSON.stringify({ query: aliased }))).to.deep.equal({
        status: 200,
        body: {
          errors: [
            {
              message: `Aliases limit of ${aliases} exceeded, found ${aliases + 1}.`,
              locations: [{ line: 1, column: 1 }],
            },
          ],
        },
      });
      const tokens = GRAPHQL_LIMITS.maxOperationTokens;
      const long = `{ anchors { items { ${"id ".repeat(tokens)} } } }`;
      const refused = (await postGraphql(JSON.stringify({ query: long }))) as {
        status: number;
        body: { errors: { message: string }[] };
      };
      expect(refused.status).to.equal(200);
      expect(refused.body.errors.map((e) => e.message)).to.deep.equal([
        `Syntax Error: Document contains more that ${tokens} tokens. Parsing aborted.`,
      ]);
      const huge = JSON.stringify({ query: `{ anchors { totalCount } }${" ".repeat(70_000)}` });
      expect(await postGraphql(huge)).to.deep.equal({
        status: 413,
        body: { errors: [{ message: "The request body exceeds 65536 bytes." }] },
      });
      expect(await postGraphql("{ anchors { totalCount } }")).to.deep.equal({
        status: 400,
        body: {
          errors: [
            { message: "The request body is not JSON: a GraphQL request is { query, variables?, operationName? }." },
          ],
        },
      });
    });

    if (target.name === "postgres")
      it("a `ponder serve` replica on the same database answers every route as the indexer does", async () => {
        const { a1 } = runs;
        const output = await readFile(join(dir, "outputs", "a1-0.bin"));
        const { sha256 } = await import("@noble/hashes/sha2.js");
        const paths = [
          `/api/assets/${Buffer.from(sha256(output)).toString("hex")}`,
          `/api/anchors/studio-aurora/${a1.receipt.chainId}`,
          `/api/jobs/${JOB}/timeline`,
          "/api/tenants/studio-aurora/completeness",
          `/metadata/${hex64(certificateId(a1.tenantId, a1.chainId))}.json`,
          "/api/assets/00",
        ];
        const query = JSON.stringify({
          query: `{ anchors(orderBy: "id") { items { id status entryCount signer } } entrys(orderBy: "id", limit: 5) { items { id assetHash } } }`,
        });
        const replica = await indexer.serve();
        try {
          const answers = async (base: string) => {
            // Metadata links back to the server that answered: compared without the origin.
            const texts = await Promise.all(
              paths.map(async (path) => {
                const response = await fetch(`${base}${path}`);
                return `${response.status} ${(await response.text()).replaceAll(base, "<origin>")}`;
              }),
            );
            const graphql = await fetch(`${base}/graphql`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: query,
            });
            return [...texts, `${graphql.status} ${await graphql.text()}`];
          };
          const fromIndexer = await answers(indexer.url);
          expect(fromIndexer.map((answer) => answer.slice(0, 3))).to.deep.equal([
            "200",
            "200",
            "200",
            "200",
            "200",
            "400",
            "200",
          ]);
          expect(fromIndexer.at(-1)).to.include('"status":"invalid"');
          expect(await answers(replica.url)).to.deep.equal(fromIndexer);
        } finally {
          await replica.stop();
        }
      });
  }),
);
