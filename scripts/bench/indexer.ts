import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hex, PublicClient } from "viem";
import type { BenchLine } from "./measure.ts";

const ANCHORS = 1_000;
const ENTRIES = 10;
/** Manifests per `anchorManifests` call, so one `anchorBatch` of 50 anchors (about 2 M gas) per block. */
const PER_TRANSACTION = 50;
const CLIENTS = 50;
const LATENCY_SECONDS = 5;
const TENANT = "bench-indexer";
/** The asset-provenance question in GraphQL: the entries whose output is the asset (Ponder's schema has no joins). */
const PROVENANCE_QUERY =
  "query ($h: String!) { entrys(where: { assetHash: $h }) { items { id anchorId sequence stageId packetCid packetHash assetHash processId modelId signingKeyId } } }";

/**
 * The indexer (`ponder start`, the real CLI) catching up with 1,000 anchors of
 * 10-entry chains on the local Base stand-in, 50 anchors to an `anchorBatch`:
 * every anchor's chainscript and packets fetched from the local gateway and
 * verified in the handler, its entries written. Then the asset-provenance
 * question under 50 concurrent clients, as REST (`GET /api/assets/:sha256`)
 * and as GraphQL (`entrys(where: { assetHash })`). On PGlite (the default
 * database), and again on Postgres when POP_TEST_DATABASE_URL names a server:
 * the latency target is Postgres's, the database the API is served from
 * (PGlite runs in the indexer's own thread; its figures are for comparison).
 *
 * Throughput comes from Ponder's own log: the anchors lie more than the
 * 30-block finality depth behind the head, so they are indexed as a backfill,
 * timed from "Started backfill indexing" (Ponder's build, database setup and
 * HTTP server are up by then) to "Completed backfill indexing" (every event up
 * to the finalized block committed, the block data fetched over RPC included).
 * Baselines in the same run: the same 1,000 anchors verified in this process
 * with the verifier library, one after another from their logs (what a handler
 * doing nothing else could reach), and /health under the same 50 clients
 * (Ponder's HTTP floor). Latency is from sending a request to the end of its
 * answer, each client on its own kept-alive connection.
 */
export async function benchIndexer(): Promise<BenchLine[]> {
  const { createPublicClient, http, parseEventLogs } = await import("viem");
  const { startTestNetwork } = await import("../../test/helpers/localNetwork.ts");
  const { startIndexer } = await import("../../test/helpers/indexer.ts");
  const { TEST_DATABASE_URL_VARIABLE } = await import("../../test/helpers/databases.ts");
  const { pipelineContext, registerTenantFor, writeManifest } = await import("../../test/helpers/pipeline.ts");
  const { anchorManifests } = await import("../../src/anchor/pipeline/pipeline.ts");
  const { processAnchorRegistryAbi } = await import("../../src/anchor/abi.ts");
  const { openPglite } = await import("../../src/db/pglite.ts");
  const { LocalStore } = await import("../../src/storage/local.ts");
  const { startGateway } = await import("../../src/storage/gateway.ts");
  const { verifyAnchored } = await import("../../src/verify/verifyAnchored.ts");
  const { signerFromSeed } = await import("../../src/keys/fileSigner.ts");

  const dir = await mkdtemp(join(tmpdir(), "pop-bench-indexer-"));
  const network = await startTestNetwork();
  const db = await openPglite(join(dir, "state"));
  const store = new LocalStore(join(dir, "store"));
  const gateway = await startGateway(store);
  const signer = signerFromSeed("bench-indexer-key", randomBytes(32));
  const client = createPublicClient({ chain: network.base.chain, transport: http(network.base.url) });
  let indexer: Awaited<ReturnType<typeof startIndexer>> | undefined;
  try {
    // Setup (not measured): 1,000 runs of 10 steps, anchored 50 to a transaction by the anchoring pipeline.
    const setupStart = performance.now();
    await registerTenantFor(network.base, TENANT, signer);
    const assets: Hex[] = [];
    const transactions: Hex[] = [];
    for (let first = 0; first < ANCHORS; first += PER_TRANSACTION) {
      const manifests: string[] = [];
      for (let run = first; run < first + PER_TRANSACTION; run++) {
        const label = `run${String(run).padStart(4, "0")}`;
        manifests.push(
          await writeManifest(join(dir, "runs"), { label, steps: ENTRIES, tenantId: TENANT, processId: "bench-v1" }),
        );
        // writeManifest's output i holds `${label} output ${i}\n`: the asset hashes the entries will carry.
        for (let i = 0; i < ENTRIES; i++)
          assets.push(`0x${createHash("sha256").update(`${label} output ${i}\n`).digest("hex")}`);
      }
      const result = await anchorManifests(pipelineContext(network.base, db, [store], signer), {
        manifests,
        confirmations: 1,
        pollingIntervalMs: 20,
      });
      if (result.transaction === undefined || result.runs.some((run) => run.status !== "anchored"))
        throw new Error(`runs ${first} to ${first + PER_TRANSACTION - 1} were not anchored`);
      transactions.push(result.transaction.txHash);
    }
    // 31 empty blocks: every anchor is behind Ponder's 30-block finality depth, so indexed as a backfill.
    // (evm_mine one at a time: hardhat_mine with a count fails on the `op` chain type.)
    for (let i = 0; i < 31; i++)
      await fetch(network.base.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: i, method: "evm_mine", params: [] }),
      });
    const head = await client.getBlockNumber({ cacheTime: 0 });
    const setupSeconds = (performance.now() - setupStart) / 1000;

    // Baseline: the same anchors verified in this process, one after another, from their logs.
    const logs: Parameters<typeof verifyAnchored>[1][] = [];
    for (const hash of transactions) {
      const receipt = await client.getTransactionReceipt({ hash });
      const { timestamp } = await client.getBlock({ blockNumber: receipt.blockNumber });
      // The signer as the indexer takes it: from the registry's AnchorAuthorised, not the transaction's input.
      const signers = new Map(
        parseEventLogs({ abi: processAnchorRegistryAbi, eventName: "AnchorAuthorised", logs: receipt.logs }).map(
          (log) => [log.args.chainId, log.args.signer],
        ),
      );
      for (const log of parseEventLogs({
        abi: processAnchorRegistryAbi,
        eventName: "ProcessAnchored",
        logs: receipt.logs,
      })) {
        const { tenantId, chainId, chainHash, ipfsCid } = log.args;
        const anchorSigner = signers.get(chainId);
        logs.push({
          tenantId,
          chainId,
          chainHash,
          ipfsCid,
          timestamp,
          blockNumber: receipt.blockNumber,
          transactionHash: hash,
          ...(anchorSigner ? { signer: anchorSigner } : {}),
        });
      }
    }
    if (logs.length !== ANCHORS) throw new Error(`${logs.length} ProcessAnchored logs, expected ${ANCHORS}`);
    const parameters = { registry: network.base.registry, gateways: [gateway.url], fetchTimeoutMs: 3_000 };
    const baselineStart = performance.now();
    for (const log of logs) {
      const report = await verifyAnchored(client as PublicClient, log, parameters);
      if (report.verdict !== "valid") throw new Error(`baseline: ${JSON.stringify(report.firstFailure)}`);
    }
    const baselineRate = ANCHORS / ((performance.now() - baselineStart) / 1000);

    const lines: BenchLine[] = [
      {
        name: "setup: 1,000 anchors of 10 entries, 20 anchorBatch txs",
        value: setupSeconds,
        unit: "s (not a figure: makes the chain)",
      },
      {
        name: "baseline: verifyAnchored in-process, one at a time",
        value: baselineRate,
        unit: `anchors/s (${(1000 / baselineRate).toFixed(1)} ms each, RPC + gateway + checks)`,
      },
    ];
    // PGlite always (the default database); a Postgres server too when the tests have one.
    const databases: ("pglite" | "postgres")[] = process.env[TEST_DATABASE_URL_VARIABLE]?.trim()
      ? ["pglite", "postgres"]
      : ["pglite"];
    for (const database of databases) {
      // The indexer, started on the finished chain: it catches up with the 1,000 anchors as a backfill.
      indexer = await startIndexer({
        database,
        env: { ...network.indexerEnv, POP_GATEWAYS: gateway.url },
        startTimeoutMs: 120_000,
      });
      await indexer.waitFor({ base: head }, 600_000);
      const span = backfillSpan(indexer.logs());
      const indexRate = ANCHORS / span.seconds;
      const held = await indexer.graphql<{ anchors: { totalCount: number }; entrys: { totalCount: number } }>(
        "{ anchors(where: { status: valid }, limit: 1) { totalCount } entrys(limit: 1) { totalCount } }",
      );
      if (held.anchors.totalCount !== ANCHORS || held.entrys.totalCount !== ANCHORS * ENTRIES)
        throw new Error(
          `the indexer (${database}) holds ${held.anchors.totalCount} valid anchors and ${held.entrys.totalCount} entries, expected ${ANCHORS} and ${ANCHORS * ENTRIES}`,
        );
      const handler = await handlerSeconds(indexer.url, "ProcessAnchorRegistry:ProcessAnchored");

      // Latency: 50 clients, each asking for a random known asset, one request after another.
      const base = new URL(indexer.url);
      const pick = () => assets[Math.floor(Math.random() * assets.length)] as Hex;
      const health = await hammer(base, () => ({ path: "/health" }));
      const rest = await hammer(base, () => ({ path: `/api/assets/${pick()}`, expect: '"status":"valid"' }));
      const graphql = await hammer(base, () => ({
        path: "/graphql",
        body: JSON.stringify({ query: PROVENANCE_QUERY, variables: { h: pick() } }),
        expect: '"anchorId"',
      }));
      await indexer.stop();
      indexer = undefined;

      const latency = (name: string, figures: Latency, target: boolean): BenchLine => ({
        name: `${name} (${database}): p95`,
        value: figures.p95,
        unit: `ms, p50 ${figures.p50.toFixed(1)} ms, ${Math.round(figures.perSecond).toLocaleString("en-US")} requests/s${target && database === "pglite" ? " (development database: no target)" : ""}`,
        ...(target && database === "postgres" ? { target: { text: "p95 ≤ 50 ms", met: figures.p95 <= 50 } } : {}),
      });
      lines.push(
        {
          name: `indexer catch-up, fetched and verified (${database})`,
          value: indexRate,
          unit: `anchors/s = ${(indexRate / baselineRate).toFixed(2)}× baseline (1,000 in ${span.seconds.toFixed(1)} s)`,
          target: { text: "≥ 100 anchors/s", met: indexRate >= 100 },
        },
        {
          name: `  ProcessAnchored handler, mean (${database})`,
          value: handler.meanMs,
          unit: `ms (Ponder's metric, ${handler.count.toLocaleString("en-US")} events)`,
        },
        latency(`  baseline: GET /health, ${CLIENTS} clients`, health, false),
        latency(`  GET /api/assets/:sha256, ${CLIENTS} clients`, rest, true),
        latency(`  GraphQL entrys by assetHash, ${CLIENTS} clients`, graphql, true),
      );
    }
    if (!databases.includes("postgres"))
      lines.push({
        name: "  GraphQL and REST latency on Postgres",
        value: Number.NaN,
        unit: `(${TEST_DATABASE_URL_VARIABLE} names no server)`,
        target: { text: "p95 ≤ 50 ms on Postgres", met: false },
      });
    return lines;
  } finally {
    await indexer?.stop();
    await gateway.close();
    await db.close();
    await network.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Ponder's JSON log: from "Started backfill indexing" to "Completed backfill indexing", by the records' times. */
function backfillSpan(log: string): { seconds: number } {
  let start: number | undefined;
  let end: number | undefined;
  for (const line of log.split("\n")) {
    let record: { msg?: string; time?: number };
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    if (record.msg === "Started backfill indexing") start ??= record.time;
    else if (
      record.msg === "Completed backfill indexing across all chains" ||
      record.msg === "Completed backfill indexing"
    )
      end ??= record.time;
  }
  if (start === undefined || end === undefined)
    throw new Error("The indexer's log does not show its backfill starting and completing.");
  return { seconds: (end - start) / 1000 };
}

/** Mean duration of one event's handler, from Ponder's ponder_indexing_function_duration histogram at /metrics. */
async function handlerSeconds(url: string, event: string): Promise<{ meanMs: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (suffix: string) => {
    const line = text
      .split("\n")
      .find((l) => l.startsWith(`ponder_indexing_function_duration_${suffix}{`) && l.includes(`event="${event}"`));
    return Number(line?.split(" ").pop() ?? Number.NaN);
  };
  const sum = value("sum");
  const count = value("count");
  return { meanMs: sum / count, count };
}

interface Latency {
  readonly p50: number;
  readonly p95: number;
  readonly perSecond: number;
}

/**
 * `CLIENTS` clients, each with its own kept-alive connection, sending one
 * request after another for `LATENCY_SECONDS` after a one-second warm-up;
 * every answer must be a 200 (and hold `expect`). Latency is from sending to
 * the end of the body.
 */
async function hammer(base: URL, next: () => { path: string; body?: string; expect?: string }): Promise<Latency> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const once = (call: { path: string; body?: string; expect?: string }) =>
    new Promise<number>((resolve, reject) => {
      const start = performance.now();
      const req = request(
        {
          host: base.hostname,
          port: base.port,
          path: call.path,
          agent,
          method: call.body === undefined ? "GET" : "POST",
          headers: call.body === undefined ? {} : { "content-type": "application/json" },
        },
        (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => {
            text += chunk;
          });
          response.on("end", () => {
            if (response.statusCode !== 200 || (call.expect !== undefined && !text.includes(call.expect)))
              reject(new Error(`${call.path} answered ${response.statusCode}: ${text.slice(0, 300)}`));
            else resolve(performance.now() - start);
          });
        },
      );
      req.on("error", reject);
      req.end(call.body);
    });
  const run = async (seconds: number) => {
    const samples: number[] = [];
    const end = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < end) samples.push(await once(next()));
      }),
    );
    return samples;
  };
  try {
    await run(1);
    const start = performance.now();
    const samples = (await run(LATENCY_SECONDS)).sort((a, b) => a - b);
    const elapsed = (performance.now() - start) / 1000;
    const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] as number;
    return { p50: at(0.5), p95: at(0.95), perSecond: samples.length / elapsed };
  } finally {
    agent.destroy();
  }
}
