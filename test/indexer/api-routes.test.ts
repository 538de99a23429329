import { expect } from "chai";
import { createApiApp } from "../../indexer/src/api/app.ts";
import type { RegistryReader } from "../../indexer/src/api/deps.ts";
import { parseChain, parseSha256, parseTenant, parseTokenId } from "../../indexer/src/api/params.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";
import {
  ASSET,
  anchorRow,
  api,
  CERTIFICATE,
  CHAIN_ID,
  commitRow,
  entryRow,
  memoryStore,
  type Rows,
  registryAt,
  TENANT,
  TENANT_ID,
  UUID,
} from "../helpers/apiRows.ts";

// The routes' logic over rows the test gives (no Ponder, no chain): every 400, 404 and 502.
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
      ["/api/tenants/nobody/completeness", 'tenant "nobody" is not a tenant of the indexed registry.'],
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

  describe("GET / (what this server is)", () => {
    const home = async (accept: string | undefined, publicUrl?: string) => {
      const app = createApiApp({
        store: memoryStore({}),
        registry: registryAt(0n),
        baseChainId: 31337,
        statementTimeoutMs: 5_000,
        publicUrl,
      });
      const response = await app.request("http://api.test/", accept === undefined ? {} : { headers: { accept } });
      return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
    };

    it("answers JSON naming the service, every REST route, GraphQL and GraphiQL, to curl and to JSON clients", async () => {
      for (const accept of [undefined, "*/*", "application/json"]) {
        const answer = await home(accept);
        expect(answer).to.deep.include({ status: 200, type: "application/json" });
        const body = JSON.parse(answer.text);
        expect(body.service).to.equal("Proof of Process audit API");
        expect(body.rest.map((r: { route: string }) => r.route)).to.deep.equal([
          "GET /api/anchors/:tenant/:chainId",
          "GET /api/assets/:sha256",
          "GET /api/jobs/:jobId/timeline",
          "GET /api/tenants/:tenant/completeness",
          "GET /metadata/:id.json",
        ]);
        expect(body.graphql).to.deep.include({ endpoint: "/graphql", graphiql: "/graphql" });
        expect(body.ponder).to.deep.include({
          route: "GET /status",
          answers: "each chain's latest indexed block",
          href: "/status",
        });
      }
    });

    it("answers a browser with an HTML page linking GraphiQL and Ponder's routes, under POP_AUDIT_PUBLIC_URL when set", async () => {
      const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
      const page = await home(browser);
      expect(page.status).to.equal(200);
      expect(page.type).to.match(/^text\/html/);
      expect(page.text).to.include("<h1>Proof of Process audit API</h1>");
      expect(page.text).to.include('<a href="/graphql">GraphiQL</a>');
      expect(page.text).to.include("<code>GET /api/assets/:sha256</code>");
      expect(page.text).to.include('<a href="/health"><code>GET /health</code></a>');
      const behindProxy = await home(browser, "https://audit.example.org/pop");
      expect(behindProxy.text).to.include('<a href="https://audit.example.org/pop/graphql">GraphiQL</a>');
      expect(JSON.parse((await home(undefined, "https://audit.example.org/pop")).text).graphql.endpoint).to.equal(
        "https://audit.example.org/pop/graphql",
      );
    });
  });

  it("answers 502, naming the chain, when the registry cannot be read for completeness", async () => {
    const failing: RegistryReader = {
      anchorCount: () => Promise.reject(new Error("HTTP request failed.\nURL: http://127.0.0.1:1")),
    };
    expect(
      await api({ tenants: [TENANT_ID] }, { registry: failing })(`/api/tenants/${TENANT}/completeness`),
    ).to.deep.equal({
      status: 502,
      body: {
        error: `tenant "${TENANT}": the registry's anchorCount could not be read from chain 31337 (HTTP request failed.).`,
      },
    });
  });

  it("answers 500 with a plain sentence (no stack, no path) when a read fails unexpectedly", async () => {
    const store = { ...memoryStore({}), assetEntries: () => Promise.reject(new Error("connection reset")) };
    const logged: unknown[] = [];
    expect(await api({}, { store, log: (error) => logged.push(error) })(`/api/assets/${ASSET}`)).to.deep.equal({
      status: 500,
      body: { error: `Internal error while answering GET /api/assets/${ASSET}.` },
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
    expect((await api(rows, { registry: registryAt(2n) })(`/api/tenants/${TENANT}/completeness`)).body).to.deep.equal({
      tenant: { id: TENANT_ID, name: TENANT },
      indexed: { anchors: 2, valid: 1, invalid: 1, unresolved: 0, pending: 0 },
      onchain: { evmChainId: 31337, blockNumber: "40", anchorCount: "2" },
      missing: 0,
      complete: true,
    });
    const behind = (await api(rows, { registry: registryAt(3n) })(`/api/tenants/${TENANT_ID}/completeness`)).body;
    expect(behind).to.deep.include({ missing: 1, complete: false });
  });

  it("reads the registry only for tenants the index holds: any other name is a 404 without a chain read", async () => {
    const registry = registryAt(1n);
    expect(await api({}, { registry })("/api/tenants/late-tenant/completeness")).to.deep.equal({
      status: 404,
      body: { error: 'tenant "late-tenant" is not a tenant of the indexed registry.' },
    });
    expect(registry.reads).to.equal(0);
    await api({ tenants: [toOnchainId("late-tenant")] }, { registry })("/api/tenants/late-tenant/completeness");
    expect(registry.reads).to.equal(1);
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
