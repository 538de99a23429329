import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { expect } from "chai";
import { Hono } from "hono";
import { type Browser, chromium, type Page } from "playwright-core";
import { type GatewayServer, startGateway } from "../../src/storage/gateway.ts";
import { LocalStore } from "../../src/storage/local.ts";
import { lazyWebApp } from "../../src/web/assets.ts";
import { serveWebApp } from "../../src/web/routes.ts";
import { registerAndAnchor } from "../helpers/anchorRun.ts";
import { type LocalChain, startLocalBase } from "../helpers/localChain.ts";
import { threeStageRun } from "../helpers/run.ts";

// The verify page in a real browser (Debian's chromium under playwright-core), against a local Base chain and
// gateway: the verifier runs in the page, and the server that serves the page is never asked for a verdict.
const CHROMIUM = process.env.POP_CHROMIUM ?? "/usr/bin/chromium";
const CHAIN_ID = "5f0c2a9e-31b4-4c8e-9d1a-000000000001";

const describeWithBrowser = existsSync(CHROMIUM) || process.env.CI === "true" ? describe : describe.skip;

describeWithBrowser(`the web app's verify page (in ${CHROMIUM}; .ci/run installs it)`, function () {
  this.timeout(120_000);
  let chain: LocalChain;
  let dir: string;
  let gateway: GatewayServer;
  let liar: ReturnType<typeof createServer>;
  let liarUrl: string;
  let web: ReturnType<typeof serve>;
  let webUrl: string;
  let browser: Browser;
  let page: Page;
  let tenant: string;

  before(async () => {
    chain = await startLocalBase();
    dir = await mkdtemp(join(tmpdir(), "pop-web-"));
    const store = new LocalStore(dir);
    gateway = await startGateway(store);
    const run = await threeStageRun(undefined, undefined, CHAIN_ID);
    tenant = run.built.chainscript.tenantId;
    await registerAndAnchor(chain, run, store);
    // A gateway that answers every CID with other bytes, as a compromised one would.
    liar = createServer((_request, response) =>
      response.writeHead(200, { "access-control-allow-origin": "*" }).end(Buffer.alloc(600, 7)),
    );
    await new Promise<void>((resolve) => liar.listen(0, "127.0.0.1", resolve));
    liarUrl = `http://127.0.0.1:${(liar.address() as AddressInfo).port}`;

    const app = new Hono();
    serveWebApp(app, lazyWebApp(), { rpcUrl: chain.url, gateways: [gateway.url], registry: chain.registry });
    web = await new Promise((resolve) => {
      const started = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(started));
    });
    webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  });

  beforeEach(async () => {
    page = await browser.newPage();
  });
  afterEach(() => page.close());

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => web?.close(resolve));
    await new Promise((resolve) => liar?.close(resolve));
    await gateway?.close();
    await chain?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Opens the page and waits for the server's default endpoints to fill the form. */
  async function openWithDefaults() {
    await page.goto(`${webUrl}/`);
    // A string: it runs in the page, and this file is type-checked without the DOM's types.
    await page.waitForFunction('document.getElementById("rpc").value !== ""');
  }

  /** The verdict line once the page has one: its data-verdict and its text. */
  async function verdict() {
    const line = page.locator("#verdict[data-verdict]");
    await line.waitFor({ timeout: 60_000 });
    return { verdict: await line.getAttribute("data-verdict"), text: (await line.textContent()) ?? "" };
  }

  it("verifies an anchored chain from the form, with the server's endpoints, and says valid in words", async () => {
    await openWithDefaults();
    expect(await page.locator("#rpc").inputValue()).to.equal(chain.url);
    expect(await page.locator("#registry").inputValue()).to.equal(chain.registry);
    await page.getByLabel("Tenant").fill(tenant);
    await page.getByLabel("Chain id").fill(CHAIN_ID);
    await page.getByRole("button", { name: "Verify" }).click();
    const shown = await verdict();
    expect(shown.verdict).to.equal("valid");
    expect(shown.text).to.include("Valid: every check passed.");
    const statuses = await page
      .locator("#checks li[data-check]")
      .evaluateAll((items) =>
        Object.fromEntries(items.map((item) => [item.getAttribute("data-check"), item.getAttribute("data-status")])),
      );
    for (const id of ["anchor.log", "chainscript.cid", "packets.signature", "lineage"])
      expect(statuses[id], id).to.equal("pass");
    expect(await page.locator("#share").getAttribute("href")).to.include(`chain=${CHAIN_ID}`);
  });

  it("verifies at once from a link that carries the tenant and chain, and says incomplete, naming the check, when the only gateway lies", async () => {
    const link = new URLSearchParams({ tenant, chain: CHAIN_ID, gateway: liarUrl });
    await page.goto(`${webUrl}/#/verify?${link}`);
    const shown = await verdict();
    expect(shown.verdict).to.equal("incomplete");
    expect(await page.locator('#checks li[data-check="chainscript.available"]').getAttribute("data-status")).to.equal(
      "fail",
    );
  });

  it("says invalid naming the first failed check for a chain that was never anchored", async () => {
    const link = new URLSearchParams({ tenant, chain: "5f0c2a9e-31b4-4c8e-9d1a-0000000000ff" });
    await page.goto(`${webUrl}/#/verify?${link}`);
    const shown = await verdict();
    expect(shown.verdict).to.equal("invalid");
    expect(shown.text).to.match(/^✗ Invalid: the check anchor\.log failed: /);
  });

  it("names each wrong field next to it and fetches nothing", async () => {
    await openWithDefaults();
    await page.getByLabel("Chain id").fill("not-a-uuid");
    await page.getByText("Where to read from").click();
    await page.getByLabel("Base RPC URL").fill("ftp://example");
    await page.getByRole("button", { name: "Verify" }).click();
    expect(await page.locator("#tenant-error").textContent()).to.equal("Tenant: give the tenant's id.");
    expect(await page.locator("#chain-error").textContent()).to.include("Chain id: give the chainscript's UUID");
    expect(await page.locator("#rpc-error").textContent()).to.include("Base RPC URL");
    expect(await page.locator("#tenant").getAttribute("aria-invalid")).to.equal("true");
    expect(await page.locator("#registry").getAttribute("aria-invalid")).to.equal(null);
    expect(await page.locator("#result").isHidden()).to.equal(true);
  });
});
