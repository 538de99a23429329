/**
 * What the indexer's end-to-end API tests anchor with: two local chains, a
 * content store behind a gateway, and the pipeline's state database; runs
 * anchored by the real pipeline, and the answers the API should give about
 * them, built from the chain's logs and the packets' own bytes.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Hex, parseEventLogs } from "viem";
import { processAnchorRegistryAbi } from "../../src/anchor/abi.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";
import { anchorManifests } from "../../src/anchor/pipeline/pipeline.ts";
import type { AnchorReceipt } from "../../src/anchor/pipeline/receipt.ts";
import type { Database } from "../../src/db/database.ts";
import { decodePacket } from "../../src/evidence/codec.ts";
import type { Signer } from "../../src/keys/signer.ts";
import { type GatewayServer, startGateway } from "../../src/storage/gateway.ts";
import { LocalStore } from "../../src/storage/local.ts";
import { accounts, clients } from "./anchorRun.ts";
import type { DatabaseTarget } from "./databases.ts";
import { startTestNetwork, type TestNetwork } from "./localNetwork.ts";
import { pipelineContext, writeManifest } from "./pipeline.ts";

/** graphql-js's getIntrospectionQuery({ inputValueDeprecation: true }): what GraphiQL sends to load the schema. */
export const INTROSPECTION_QUERY = `query IntrospectionQuery {
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
export async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: unknown };
  if (body.error !== undefined) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

/** Unix seconds as the API's ISO 8601 `time`. */
export const iso = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString();
/** A token id in the ERC-1155 `{id}` form. */
export const hex64 = (id: bigint) => id.toString(16).padStart(64, "0");

/** POSTs a GraphQL request body as it comes, for answers the runner's graphql() would throw on. */
export async function postGraphql(url: string, body: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

/** One anchored run as the chain recorded it. */
export interface AnchoredRun {
  readonly receipt: AnchorReceipt;
  readonly tenantId: Hex;
  readonly chainId: Hex;
  readonly chainHash: Hex;
  readonly blockNumber: bigint;
  readonly timestamp: bigint;
  readonly logIndex: number;
  readonly transactionHash: Hex;
}

/** A run to anchor: its manifest's file name, the label of its output files (same label, same outputs) and its steps. */
export interface RunSpec {
  readonly name: string;
  readonly label: string;
  readonly steps: number;
}

export interface AuditWorld {
  readonly network: TestNetwork;
  /** Where manifests and output files are written (`outputs/<label>-<step>.bin`). */
  readonly dir: string;
  readonly store: LocalStore;
  readonly gateway: GatewayServer;
  /** Anchors the runs in one transaction of `tenant`'s, each minting a certificate to the admin account. */
  anchorAll(tenant: string, signer: Signer, specs: readonly RunSpec[]): Promise<AnchoredRun[]>;
  /** The packet's SHA-256, which is its CID's digest. */
  packetDigest(cid: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Starts the chains, the store and its gateway, and opens the pipeline's state on `target`. */
export async function startAuditWorld(target: DatabaseTarget): Promise<AuditWorld> {
  const network = await startTestNetwork();
  const dir = await mkdtemp(join(tmpdir(), "pop-api-"));
  const store = new LocalStore(join(dir, "store"));
  const gateway = await startGateway(store);
  let db: Database;
  try {
    db = await target.open();
  } catch (error) {
    await Promise.all([gateway.close(), network.close(), rm(dir, { recursive: true, force: true })]);
    throw error;
  }

  async function anchorAll(tenant: string, signer: Signer, specs: readonly RunSpec[]): Promise<AnchoredRun[]> {
    const manifests = await Promise.all(
      specs.map(({ name, label, steps }) =>
        writeManifest(dir, { tenantId: tenant, label, steps, name: `${name}.jsonl` }),
      ),
    );
    const result = await anchorManifests(pipelineContext(network.base, db, [store], signer), {
      manifests,
      confirmations: 1,
      pollingIntervalMs: 20,
      certificateRecipient: accounts.admin.address,
      // A test may move Base's clock ahead: a signature valid for a day is still valid there.
      signatureTtlSeconds: 86_400,
    });
    const client = clients(network.base).publicClient;
    return Promise.all(
      specs.map(async (_, i) => {
        const receipt = JSON.parse(await readFile(result.runs[i]?.receiptPath as string, "utf8")) as AnchorReceipt;
        const hash = receipt.transaction.hash as Hex;
        const logs = parseEventLogs({
          abi: processAnchorRegistryAbi,
          eventName: "ProcessAnchored",
          logs: (await client.getTransactionReceipt({ hash })).logs,
        });
        const log = logs.find((l) => l.args.chainId === toOnchainId(receipt.chainId));
        if (log === undefined) throw new Error(`no ProcessAnchored for ${receipt.chainId}`);
        return {
          receipt,
          tenantId: log.args.tenantId,
          chainId: log.args.chainId,
          chainHash: log.args.chainHash,
          blockNumber: log.blockNumber,
          timestamp: log.args.timestamp,
          logIndex: log.logIndex,
          transactionHash: hash,
        };
      }),
    );
  }

  return {
    network,
    dir,
    store,
    gateway,
    anchorAll,
    async packetDigest(cid) {
      const { sha256 } = await import("@noble/hashes/sha2.js");
      return sha256((await store.get(cid)) as Uint8Array);
    },
    async close() {
      await gateway.close();
      await db.close();
      await network.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The `chain` object the REST routes answer for a run. */
export function chainOf(run: AnchoredRun, tenant: string, entryCount: number) {
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

/** The anchoring transaction as the REST routes answer it (relayed by the relayer, signed by the anchor signer). */
export function transactionOf(run: AnchoredRun) {
  return {
    evmChainId: 31337,
    blockNumber: run.blockNumber.toString(),
    transactionHash: run.transactionHash,
    logIndex: run.logIndex,
    timestamp: run.timestamp.toString(),
    time: iso(run.timestamp),
    submitter: accounts.relayer.address.toLowerCase(),
    signer: accounts.signer.address.toLowerCase(),
  };
}

/** The facts of a packet as its own bytes give them, as the REST routes answer them. */
export async function packetOf(world: AuditWorld, cid: string) {
  const { packet } = decodePacket((await world.store.get(cid)) as Uint8Array);
  return {
    cid,
    hash: `0x${Buffer.from(await world.packetDigest(cid)).toString("hex")}`,
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
