import { readFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { expect } from "chai";
import { toFunctionSelector } from "viem";
import { GRAPHQL_LIMITS } from "../../indexer/src/api/graphqlLimits.ts";
import { certificateId } from "../../src/anchor/certificate.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";
import { openServer } from "../../src/db/server.ts";
import { clients } from "../helpers/anchorRun.ts";
import { type AnchoredRun, type AuditWorld, hex64, postGraphql, rpc, startAuditWorld } from "../helpers/auditWorld.ts";
import { describeOneDatabase, TEST_DATABASE_URL_VARIABLE } from "../helpers/databases.ts";
import { fixedSigner } from "../helpers/fixtures.ts";
import { type Indexer, startIndexer } from "../helpers/indexer.ts";
import { registerTenantFor } from "../helpers/pipeline.ts";
import { type RpcProxy, startRpcProxy } from "../helpers/rpcProxy.ts";

// The audit API's cost bounds, asked of the real indexer (`ponder start`) over HTTP: the GraphQL row budget,
// the REST list limits, the statement timeout, completeness's chain reads (counted by a JSON-RPC proxy between
// the indexer and Base) and certificate metadata's external_url. Over given rows: api-limits.test.ts.
// None of them depends on the engine the indexer writes to, so they run on one (describeOneDatabase): the
// Postgres server when there is one, which is where a statement can be cancelled. PGlite's timeout, which ends
// the answer instead, is checked over given rows (api-limits.test.ts); api-http.test.ts runs on both engines.

const PUBLIC_URL = "https://audit.example.org/pop";
const ANCHOR_COUNT = toFunctionSelector("anchorCount(bytes32)");
const TENANTS = ["studio-aurora", "pharma-lab"] as const;

/** The 503 answer to reads stopped by a statement timeout of `ms`. */
const timedOut = (ms: number) =>
  `The request's database reads ran past the API's statement timeout of ${ms} ms and were stopped: ask for fewer rows (a smaller limit) or try again later.`;

/** GET with a Host header of the test's choosing (fetch does not let a caller set Host). */
function getWithHost(url: string, host: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { host } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end();
  });
}

describeOneDatabase("indexer API cost bounds", (target) =>
  describe("over HTTP", function () {
    this.timeout(600_000);
    let world: AuditWorld;
    /** One run per tenant; pharma-lab's has the same outputs as studio-aurora's, so the asset has two producers. */
    const runs: AnchoredRun[] = [];
    let assetHash: string;

    before(async () => {
      world = await startAuditWorld(target);
      for (const tenant of TENANTS) {
        const key = fixedSigner(`${tenant}-key`);
        await registerTenantFor(world.network.base, tenant, key);
        runs.push(...(await world.anchorAll(tenant, key, [{ name: tenant, label: "shared", steps: 2 }])));
      }
      const { sha256 } = await import("@noble/hashes/sha2.js");
      assetHash = Buffer.from(sha256(await readFile(join(world.dir, "outputs", "shared-0.bin")))).toString("hex");
    });

    after(async () => {
      await world?.close();
    });

    /** Starts an indexer on the world's chains with `env`, Base read through `baseRpc`, and waits for it to catch up. */
    async function indexerWith(env: Record<string, string>, baseRpc = world.network.base.url): Promise<Indexer> {
      const { network } = world;
      const indexer = await startIndexer({
        database: target.name,
        env: { ...network.indexerEnv, PONDER_RPC_URL_31337: baseRpc, POP_GATEWAYS: world.gateway.url, ...env },
        // Opening PGlite alone has taken half a minute on a loaded two-core machine.
        startTimeoutMs: 180_000,
      });
      await indexer.waitFor(
        {
          base: await clients(network.base).publicClient.getBlockNumber({ cacheTime: 0 }),
          numbers: await network.numbers.blockNumber(),
        },
        120_000,
      );
      return indexer;
    }

    describe("as configured by default, with a public URL and Base behind a counting proxy", () => {
      let proxy: RpcProxy;
      let indexer: Indexer;

      before(async () => {
        proxy = await startRpcProxy(world.network.base.url);
        indexer = await indexerWith({ POP_AUDIT_PUBLIC_URL: PUBLIC_URL }, proxy.url);
      });

      after(async () => {
        await indexer?.stop();
        await proxy?.close();
      });

      /** The registry's anchorCount reads the proxy has seen, per tenant. */
      const anchorCountReads = () =>
        Object.fromEntries(
          TENANTS.map((tenant) => [
            tenant,
            proxy.calls.filter((call) => {
              const [tx] = (Array.isArray(call.params) ? call.params : []) as [{ data?: string; input?: string }?];
              const data = tx?.data ?? tx?.input ?? "";
              return (
                call.method === "eth_call" &&
                data.startsWith(ANCHOR_COUNT) &&
                data.includes(toOnchainId(tenant).slice(2))
              );
            }).length,
          ]),
        );

      it("refuses a GraphQL query whose lists ask for more rows than the budget with 400 and a sentence naming limit", async () => {
        const max = GRAPHQL_LIMITS.maxRows;
        const within = await postGraphql(
          indexer.url,
          JSON.stringify({ query: `{ anchors(limit: ${max}) { items { id } } }` }),
        );
        expect(within.status).to.equal(200);
        expect((within.body as { data: { anchors: { items: unknown[] } } }).data.anchors.items).to.have.length(2);
        const query = `query ($skip: Int) { anchors(limit: ${max}) { items { id } } entrys(offset: $skip) { items { id } } }`;
        expect(await postGraphql(indexer.url, JSON.stringify({ query, variables: { skip: 10 } }))).to.deep.equal({
          status: 400,
          body: {
            errors: [
              {
                message: `The query asks for up to ${max + 60} rows (each list's limit plus offset, times the items of the lists it is inside), more than the ${max} a query may: lower limit or offset, or page on with the after cursor.`,
              },
            ],
          },
        });
      });

      it("refuses a REST list limit over the maximum with 400 naming limit, and cuts a list at the limit it is given", async () => {
        for (const path of [`/api/assets/${assetHash}?limit=1001`, "/api/jobs/gpu-job-1/timeline?limit=1001"])
          expect(await indexer.get(path), path).to.deep.equal({
            status: 400,
            contentType: "application/json",
            body: { error: 'limit must be a whole number from 1 to 1000, got "1001".' },
          });
        const first = (await indexer.get(`/api/assets/${assetHash}?limit=1`)).body as {
          provenance: { chain: { tenant: { name: string } } }[];
          truncated: boolean;
        };
        expect(first.provenance.map((p) => p.chain.tenant.name)).to.deep.equal(["studio-aurora"]);
        expect(first.truncated).to.equal(true);
        const all = (await indexer.get(`/api/assets/${assetHash}?limit=2`)).body as { provenance: unknown[] };
        expect(all).to.deep.include({ truncated: false });
        expect(all.provenance).to.have.length(2);
      });

      it("reads each tenant's anchorCount from the chain at most once per block, however many ask at once", async () => {
        const ask = async () => {
          const before = anchorCountReads();
          const answers = await Promise.all(
            TENANTS.flatMap((tenant) =>
              Array.from({ length: 25 }, () => indexer.get(`/api/tenants/${tenant}/completeness`)),
            ),
          );
          expect(answers.map((a) => a.status)).to.deep.equal(answers.map(() => 200));
          const blocks = new Set(
            answers.map((a) => (a.body as { onchain: { blockNumber: string } }).onchain.blockNumber),
          );
          const after = anchorCountReads();
          return { blocks, reads: TENANTS.map((tenant) => (after[tenant] ?? 0) - (before[tenant] ?? 0)) };
        };
        const first = await ask();
        expect(first.reads.every((n) => n <= 1)).to.equal(true, `reads per tenant: ${first.reads}`);
        // Once the cached head is older than a second, the head is read again: a new block, one read each again.
        await rpc(world.network.base.url, "evm_mine", []);
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        const second = await ask();
        expect(second.reads).to.deep.equal([1, 1]);
        expect(second.blocks.size).to.equal(1);
        expect([...second.blocks][0]).to.equal(
          (await clients(world.network.base).publicClient.getBlockNumber({ cacheTime: 0 })).toString(),
        );
        // A tenant the index does not hold is a 404 without any chain read.
        const calls = proxy.calls.length;
        const unknown = await Promise.all(
          Array.from({ length: 20 }, (_, i) => indexer.get(`/api/tenants/made-up-${i}/completeness`)),
        );
        expect(unknown.map((a) => a.status)).to.deep.equal(unknown.map(() => 404));
        expect(proxy.calls.slice(calls).filter((c) => c.method === "eth_call")).to.deep.equal([]);
      });

      it("builds certificate metadata's external_url from POP_AUDIT_PUBLIC_URL, whatever Host the request names", async () => {
        const [run] = runs as [AnchoredRun];
        const id = certificateId(run.tenantId, run.chainId);
        const answer = await getWithHost(`${indexer.url}/metadata/${hex64(id)}.json`, "evil.example");
        expect(answer.status).to.equal(200);
        expect(answer.text).not.to.include("evil.example");
        expect(JSON.parse(answer.text)).to.deep.include({
          external_url: `${PUBLIC_URL}/api/anchors/${run.tenantId}/${run.chainId}`,
        });
      });
    });

    // PGlite runs a statement to its end (deadline.ts): there a timeout of 1 ms stops any query's answer. On
    // Postgres the server cancels the statement: one blocked behind a lock the test holds is stopped at 200 ms,
    // before Ponder's lock_timeout (500 ms) would have, which would answer another sentence.
    const timeoutMs = target.name === "pglite" ? 1 : 200;
    describe(`with a statement timeout of ${timeoutMs} ms`, () => {
      let indexer: Indexer;

      before(async () => {
        indexer = await indexerWith({ POP_AUDIT_STATEMENT_TIMEOUT_MS: String(timeoutMs) });
      });

      after(async () => {
        await indexer?.stop();
      });

      const query = JSON.stringify({
        query:
          "{ anchors { items { id report } totalCount } entrys { items { id } totalCount } tenants { items { id } } }",
      });
      const refusal = (ms: number) => ({ status: 503, body: { errors: [{ message: timedOut(ms) }] } });

      if (target.name === "pglite")
        it("answers 503 with a sentence when a query's reads take longer", async () => {
          expect(await postGraphql(indexer.url, query)).to.deep.equal(refusal(timeoutMs));
        });
      else
        it("has Postgres stop a statement that runs longer, and answers 503 with a sentence", async () => {
          const url = process.env[TEST_DATABASE_URL_VARIABLE] as string;
          const admin = await openServer(url);
          const [run] = runs as [AnchoredRun];
          const anchorPath = `/api/anchors/${run.tenantId}/${run.chainId}`;
          try {
            await admin.transaction(async (tx) => {
              await tx.query(`lock table "${indexer.schema}".anchor in access exclusive mode`);
              const started = Date.now();
              expect(await postGraphql(indexer.url, query)).to.deep.equal(refusal(timeoutMs));
              // Stopped once: Ponder's own query builder would have retried the cancelled totalCount for a
              // minute. The bound is half that, so a slow machine cannot fail it and a retry cannot pass it.
              expect(Date.now() - started).to.be.below(30_000);
              expect(await indexer.get(anchorPath)).to.deep.equal({
                status: 503,
                contentType: "application/json",
                body: { error: timedOut(timeoutMs) },
              });
            });
          } finally {
            await admin.close();
          }
          // Unblocked, the same reads answer again. A machine busy enough to take 200 ms over them gets a few tries:
          // what is checked is that nothing stayed locked or broken, not this machine's speed.
          const answers = async (ask: () => Promise<{ status: number }>) => {
            for (let attempt = 1; ; attempt++) {
              const { status } = await ask();
              if (status !== 503 || attempt === 10) return status;
              await new Promise((resolve) => setTimeout(resolve, 200));
            }
          };
          expect(await answers(() => postGraphql(indexer.url, query))).to.equal(200);
          expect(await answers(() => indexer.get(anchorPath))).to.equal(200);
        });
    });
  }),
);
