import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "chai";
import { createPublicClient, type Hex, http } from "viem";
import { GRAPHQL_LIMITS } from "../../indexer/src/api/graphqlLimits.ts";
import { processAnchorRegistryAbi } from "../../src/anchor/abi.ts";
import { certificateId, resolveCertificateUri } from "../../src/anchor/certificate.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";
import { accounts, clients } from "../helpers/anchorRun.ts";
import {
  type AnchoredRun,
  type AuditWorld,
  chainOf,
  hex64,
  INTROSPECTION_QUERY,
  iso,
  packetOf,
  postGraphql,
  rpc,
  startAuditWorld,
  transactionOf,
} from "../helpers/auditWorld.ts";
import {
  accessibilityViolations,
  HAS_BROWSER,
  launchBrowser,
  saveScreenshot,
  serveWebAppAlone,
  waitInPage,
} from "../helpers/browser.ts";
import { describeOneDatabase } from "../helpers/databases.ts";
import { fixedSigner } from "../helpers/fixtures.ts";
import { type Indexer, startIndexer } from "../helpers/indexer.ts";
import { devAccount } from "../helpers/localNetwork.ts";
import { registerTenantFor } from "../helpers/pipeline.ts";

// End to end: two local chains, runs anchored by the pipeline, commits on Numbers, the real indexer
// (`ponder start`), and every route asked over HTTP. The routes' SQL is Ponder's on either engine, and
// indexer.test.ts runs the indexer end to end on both, so this suite runs on one (describeOneDatabase: the
// Postgres server when one is configured, where a `ponder serve` replica can share the database). The API's
// cost bounds are asked of an indexer of their own: test/indexer/api-bounds.test.ts.

describeOneDatabase("indexer API end to end", (target) =>
  describe("over HTTP", function () {
    this.timeout(600_000);
    const studioKey = fixedSigner("studio-key-2026");
    const pharmaKey = fixedSigner("pharma-key-2026");
    /** Signs pharma-lab's packets under a key id the registry never heard of: its chain is invalid. */
    const rogueKey = fixedSigner("rogue-key");
    const JOB = "gpu-job-42";
    const committer = devAccount(9);

    let world: AuditWorld;
    let indexer: Indexer;
    const runs: Record<"a1" | "a2" | "b1", AnchoredRun> = {} as never;
    const commits: { transactionHash: Hex; blockNumber: bigint }[] = [];

    const commitData = (eventType: string, packetHash: Hex) =>
      JSON.stringify({
        abstract: `GPU job ${eventType}`,
        jobDetails: { jobId: JOB, eventType },
        packetHash: packetHash.slice(2),
      });

    before(async () => {
      world = await startAuditWorld(target);
      const { network } = world;
      await registerTenantFor(network.base, "studio-aurora", studioKey);
      await registerTenantFor(network.base, "pharma-lab", pharmaKey);
      // Base runs an hour ahead of Numbers: the job's commits (sent after anchoring, which makes the packets) are older.
      await rpc(network.base.url, "evm_increaseTime", [3600]);
      [runs.a1, runs.a2] = (await world.anchorAll("studio-aurora", studioKey, [
        { name: "a1", label: "a1", steps: 3 },
        { name: "a2", label: "a2", steps: 2 },
      ])) as [AnchoredRun, AnchoredRun];
      // The same two first steps as a1 (same outputs), for another tenant, signed under an unregistered key.
      [runs.b1] = (await world.anchorAll("pharma-lab", rogueKey, [{ name: "b1", label: "a1", steps: 2 }])) as [
        AnchoredRun,
      ];
      const a1 = runs.a1.receipt.packetCids as string[];
      const commitJob = async (eventType: string, cid: string) => {
        const packetHash = `0x${Buffer.from(await world.packetDigest(cid)).toString("hex")}` as Hex;
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
        env: { ...network.indexerEnv, POP_GATEWAYS: world.gateway.url },
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
    });

    after(async () => {
      await indexer?.stop();
      await world?.close();
    });

    async function reportOf(run: AnchoredRun): Promise<{ verdict: string; checks: { status: string }[] }> {
      const { anchor } = await indexer.graphql<{
        anchor: { report: { verdict: string; checks: { status: string }[] } };
      }>(`query ($id: String!) { anchor(id: $id) { report } }`, { id: `${run.tenantId}-${run.chainId}` });
      return anchor.report;
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

    it("GET / names the service and links the REST routes, GraphQL and GraphiQL: JSON, or HTML for a browser", async () => {
      const json = await indexer.get("/");
      expect(json).to.deep.include({ status: 200, contentType: "application/json" });
      const body = json.body as { service: string; rest: { route: string }[]; graphql: { endpoint: string } };
      expect(body.service).to.equal("Proof of Process audit API");
      expect(body.rest.map((r) => r.route)).to.include("GET /api/assets/:sha256");
      // The links it gives are served.
      expect((await indexer.get(body.graphql.endpoint)).status).to.equal(200);
      const page = await fetch(`${indexer.url}/`, { headers: { accept: "text/html,*/*;q=0.8" } });
      expect(page.status).to.equal(200);
      expect(page.headers.get("content-type")).to.match(/^text\/html/);
      expect(await page.text()).to.include('<a href="/graphql">GraphiQL</a>');
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
      // a2 was anchored in the same transaction, after a1: each anchor logs AnchorAuthorised, then ProcessAnchored.
      const second = (await indexer.get(`/api/anchors/studio-aurora/${runs.a2.receipt.chainId}`)).body as {
        anchor: unknown;
      };
      expect(second.anchor).to.deep.equal({ ...transactionOf(runs.a2), logIndex: 3, sequence: 2 });

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
      const output = await readFile(join(world.dir, "outputs", "a1-0.bin"));
      const { sha256 } = await import("@noble/hashes/sha2.js");
      const assetHash = `0x${Buffer.from(sha256(output)).toString("hex")}`;
      const [fromA1, fromB1] = [
        await packetOf(world, a1.receipt.packetCids[0] as string),
        await packetOf(world, b1.receipt.packetCids[0] as string),
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
        truncated: false,
      };
      expect(await indexer.get(`/api/assets/${assetHash.slice(2).toUpperCase()}`)).to.deep.equal({
        status: 200,
        contentType: "application/json",
        body: expected,
      });
      expect((await indexer.get(`/api/assets/${assetHash}`)).body).to.deep.equal(expected);
      // GraphQL takes the digest as REST does: with or without 0x, in any case.
      const entries = (hash: string) =>
        indexer.graphql<{ entrys: { items: { packetCid: string }[] } }>(
          `query ($h: String) { entrys(where: { assetHash: $h }, orderBy: "id") { items { packetCid } } }`,
          { h: hash },
        );
      const bare = await entries(assetHash.slice(2).toUpperCase());
      expect(bare.entrys.items.map((e) => e.packetCid)).to.have.members([fromA1.cid, fromB1.cid]);
      expect(await entries(assetHash)).to.deep.equal(bare);
    });

    it("GET /api/jobs/:jobId/timeline answers the job's Numbers commits and its Base anchor, oldest first", async () => {
      const { a1 } = runs;
      const { network } = world;
      const numbers = createPublicClient({ chain: network.numbers.chain, transport: http(network.numbers.url) });
      const [started, completed, audited] = await Promise.all(
        commits.map(async (c) => ({
          ...c,
          timestamp: (await numbers.getBlock({ blockNumber: c.blockNumber })).timestamp,
        })),
      );
      const packetOfEntry = async (sequence: number, stage: string) => {
        const facts = await packetOf(world, a1.receipt.packetCids[sequence] as string);
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
          truncated: false,
        },
      });
    });

    it("GET /api/tenants/:tenant/completeness compares the indexed anchors with the registry's anchorCount", async () => {
      const { network } = world;
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
      const { network } = world;
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
        // No POP_AUDIT_PUBLIC_URL here: no external_url (test/indexer/api-bounds.test.ts sets one).
        decimals: 0,
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
        ["/api/tenants/nobody/completeness", 404, 'tenant "nobody" is not a tenant of the indexed registry.'],
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

    it("answers pages of any origin: REST and GraphQL (the browser's preflight for a JSON POST too)", async () => {
      const origin = { origin: "http://127.0.0.1:8088" };
      const rest = await fetch(`${indexer.url}/api/tenants/studio-aurora/completeness`, { headers: origin });
      expect(rest.headers.get("access-control-allow-origin")).to.equal("*");
      const preflight = await fetch(`${indexer.url}/graphql`, {
        method: "OPTIONS",
        headers: {
          ...origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
      expect(preflight.status).to.equal(204);
      expect(preflight.headers.get("access-control-allow-origin")).to.equal("*");
      expect(preflight.headers.get("access-control-allow-methods")).to.include("POST");
      expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).to.include("content-type");
      const answer = await fetch(`${indexer.url}/graphql`, {
        method: "POST",
        headers: { ...origin, "content-type": "application/json" },
        body: JSON.stringify({ query: "{ tenants { totalCount } }" }),
      });
      expect(answer.status).to.equal(200);
      expect(answer.headers.get("access-control-allow-origin")).to.equal("*");
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
      const introspection = await postGraphql(indexer.url, JSON.stringify({ query: INTROSPECTION_QUERY }));
      const schema = (introspection.body as { data?: { __schema: { types: { name: string }[] } } }).data?.__schema;
      expect(schema?.types.map((t) => t.name)).to.include.members(["anchor", "entry", "commit", "tenant"]);
      // One level more than allowed: the refusal names the limit and the depth found.
      const depth = GRAPHQL_LIMITS.maxOperationDepth;
      const ofTypes = depth + 1 - 5; // __schema, types, fields, type ... name
      const deep = `{ __schema { types { fields { type { ${"ofType { ".repeat(ofTypes)}name${" }".repeat(ofTypes)} } } } } }`;
      expect(await postGraphql(indexer.url, JSON.stringify({ query: deep }))).to.deep.equal({
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
      expect(await postGraphql(indexer.url, JSON.stringify({ query: aliased }))).to.deep.equal({
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
      const refused = (await postGraphql(indexer.url, JSON.stringify({ query: long }))) as {
        status: number;
        body: { errors: { message: string }[] };
      };
      expect(refused.status).to.equal(200);
      expect(refused.body.errors.map((e) => e.message)).to.deep.equal([
        `Syntax Error: Document contains more that ${tokens} tokens. Parsing aborted.`,
      ]);
      const huge = JSON.stringify({ query: `{ anchors { totalCount } }${" ".repeat(70_000)}` });
      expect(await postGraphql(indexer.url, huge)).to.deep.equal({
        status: 413,
        body: { errors: [{ message: "The request body exceeds 65536 bytes." }] },
      });
      expect(await postGraphql(indexer.url, "{ anchors { totalCount } }")).to.deep.equal({
        status: 400,
        body: {
          errors: [
            { message: "The request body is not JSON: a GraphQL request is { query, variables?, operationName? }." },
          ],
        },
      });
    });

    it("the web app's anchors page shows each tenant's anchors with the indexer's verdicts, completeness, entries and keys (in chromium)", async function () {
      if (!HAS_BROWSER) this.skip();
      const [web, webUrl] = await serveWebAppAlone({ auditApiUrl: indexer.url });
      const browser = await launchBrowser();
      try {
        const page = await browser.newPage();
        await page.goto(`${webUrl}/#/anchors?${new URLSearchParams({ tenant: "pharma-lab" })}`);
        await page.locator("#anchors-body:not([hidden])").waitFor({ timeout: 30_000 });
        expect(await page.locator("#completeness").textContent()).to.match(
          /^✓ Complete: 1 anchors indexed, 1 on the registry at block \d+ \(0 valid, 1 invalid,/,
        );
        const invalid = page.locator("#anchors-rows tr");
        expect(await invalid.count()).to.equal(1);
        expect(await invalid.getAttribute("data-status")).to.equal("invalid");
        expect(await invalid.textContent())
          .to.include("✗ invalid")
          .and.include("chain.key");
        expect(await page.locator("#keys-rows tr").count()).to.equal(1);
        expect(await page.locator("#keys-rows tr").textContent()).to.include("✓ valid");

        // Another tenant from the form: the link changes with it, so it can be shared.
        await page.getByLabel("Tenant", { exact: true }).first().fill("studio-aurora");
        await page.getByRole("button", { name: "Show anchors" }).click();
        await waitInPage(page, 'document.querySelectorAll("#anchors-rows tr").length === 2');
        expect(page.url()).to.include("tenant=studio-aurora");
        const rows = page.locator("#anchors-rows tr");
        expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-status")))).to.deep.equal([
          "valid",
          "valid",
        ]);
        // Newest first: a2 (two steps) was anchored after a1 (three).
        await rows.first().getByRole("button", { name: "2 entries" }).click();
        await page.locator(".entries-row li").nth(1).waitFor();
        expect(await page.locator(".entries-row li").count()).to.equal(2);
        expect(
          await rows
            .first()
            .getByRole("link", { name: /^Verify here: chain / })
            .getAttribute("href"),
        ).to.include(`chain=${runs.a2.receipt.chainId}`);
        expect(await accessibilityViolations(page)).to.deep.equal([]);
        await saveScreenshot(page, "anchors");
      } finally {
        await browser.close();
        await new Promise((resolve) => web.close(resolve));
      }
    });

    if (target.name === "postgres")
      it("a `ponder serve` replica on the same database answers every route as the indexer does", async () => {
        const { a1 } = runs;
        const output = await readFile(join(world.dir, "outputs", "a1-0.bin"));
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
            const texts = await Promise.all(
              paths.map(async (path) => {
                const response = await fetch(`${base}${path}`);
                return `${response.status} ${await response.text()}`;
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
