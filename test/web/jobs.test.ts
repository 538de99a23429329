import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import { createPublicClient, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { DEV_KEYS } from "../../scripts/demo/accounts.ts";
import type { Database } from "../../src/db/database.ts";
import { type ReceiptsService, startReceiptsService } from "../../src/jobs/service/server.ts";
import { createDirectCommitter } from "../../src/numbers/directCommitter.ts";
import { type GatewayServer, startGateway } from "../../src/storage/gateway.ts";
import { LocalStore } from "../../src/storage/local.ts";
import { lazyWebApp } from "../../src/web/assets.ts";
import { writeStaticWebApp } from "../../src/web/static.ts";
import { accounts, clients } from "../helpers/anchorRun.ts";
import {
  accessibilityViolations,
  CHROMIUM,
  HAS_BROWSER,
  launchBrowser,
  saveScreenshot,
  serveDirectory,
} from "../helpers/browser.ts";
import { sharedPgliteTarget } from "../helpers/databases.ts";
import { type LocalChain, type LocalNumbersChain, startLocalBase, startLocalNumbers } from "../helpers/localChain.ts";
import { registerTenantFor } from "../helpers/pipeline.ts";
import { apiKey, FAST_WORKER, SIGNERS, TENANT } from "../jobs/service/harness.ts";

// The job pages in a real browser against the receipts service as `pop serve` runs it for a demo: the
// simulator on, the outbox worker committing through the direct committer on a local Numbers chain,
// completed jobs anchored on a local Base chain, and the packets behind a local gateway, so the page can
// verify the job's chain itself and read both chains' transactions from their RPCs.
(HAS_BROWSER ? describe : describe.skip)(`the web app's job pages (in ${CHROMIUM})`, function () {
  this.timeout(120_000);
  let chain: LocalChain;
  let numbers: LocalNumbersChain;
  let db: Database;
  let dir: string;
  let gateway: GatewayServer;
  let running: ReceiptsService;
  let browser: Browser;
  let page: Page;
  let key: string;
  /** The same app built as static files (pop web build), on a host of its own: another origin. */
  let site: Awaited<ReturnType<typeof serveDirectory>>;
  let siteDir: string;

  before(async () => {
    siteDir = await mkdtemp(join(tmpdir(), "pop-web-site-"));
    site = await serveDirectory(siteDir);
    [chain, numbers] = await Promise.all([startLocalBase(), startLocalNumbers()]);
    await registerTenantFor(chain, TENANT, SIGNERS.get(TENANT) as NonNullable<ReturnType<typeof SIGNERS.get>>);
    db = await sharedPgliteTarget.open();
    key = await apiKey(db);
    dir = await mkdtemp(join(tmpdir(), "pop-web-jobs-"));
    const store = new LocalStore(dir);
    gateway = await startGateway(store);
    running = await startReceiptsService({
      db,
      committer: createDirectCommitter({
        db,
        publicClient: createPublicClient({ chain: numbers.chain, transport: http(numbers.url) }),
        account: privateKeyToAccount(DEV_KEYS[4] as Hex),
        evmChainId: numbers.chain.id,
        commitContract: numbers.commitRegister,
        confirmations: 1,
        pollingIntervalMs: 20,
      }),
      providers: [store],
      signers: SIGNERS,
      port: 0,
      worker: FAST_WORKER,
      simulator: { timeScale: 0.0005 },
      corsOrigins: [site[1]],
      anchoring: {
        publicClient: clients(chain).publicClient,
        evmChainId: chain.chain.id,
        registry: chain.registry,
        anchorSigner: accounts.signer,
        relayer: accounts.relayer,
        every: 1,
        intervalMs: 50,
        finality: "finalized",
        pollIntervalMs: 20,
        txPollingIntervalMs: 20,
        retryDelayMs: 50,
      },
      web: {
        app: lazyWebApp(),
        defaults: { rpcUrl: chain.url, numbersRpcUrl: numbers.url, gateways: [gateway.url], registry: chain.registry },
      },
    });
    await writeStaticWebApp(siteDir, {
      rpcUrl: chain.url,
      gateways: [gateway.url],
      registry: chain.registry,
      receiptsApiUrl: running.url,
    });
    browser = await launchBrowser();
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    await running?.close();
    await gateway?.close();
    await db?.close();
    await chain?.close();
    await numbers?.close();
    await new Promise((resolve) => site?.[0].close(resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
    if (siteDir) await rm(siteDir, { recursive: true, force: true });
  });

  it("submits a simulated job, watches it complete and anchor, downloads and verifies its artifact, then verifies its chain: valid", async () => {
    await page.goto(`${running.url}/#/jobs`);
    await page.locator("#jobs-status", { hasText: "API key" }).waitFor();
    await page.getByLabel("Tenant API key").fill(key);
    await page.getByRole("button", { name: "Use this key" }).click();
    await page.getByText("No jobs match").waitFor();

    await page.getByText("Run a simulated job").click();
    await page.locator("#simulate-task").selectOption("image-generation");
    await page.getByLabel("GPU").selectOption("H100");
    await page.getByRole("button", { name: "Submit job" }).click();
    await page.getByText(/^Submitted job /).waitFor();
    const row = page.locator("#jobs-rows tr").first();
    const jobId = (await row.getAttribute("data-job-id")) as string;
    // The list refreshes itself: the job completes without a reload.
    await page.locator(`#jobs-rows tr[data-job-id="${jobId}"]:not([data-status="submitted"])`).waitFor();
    expect(await row.textContent())
      .to.include("image-generation")
      .and.include("H100");
    expect(await accessibilityViolations(page)).to.deep.equal([]);

    await page.getByRole("link", { name: `Job ${jobId}: its timeline` }).click();
    await page.locator('#job-stages li[data-stage="final"]').waitFor({ timeout: 60_000 });
    const stages = await page
      .locator("#job-stages li")
      .evaluateAll((items) => items.map((i) => i.getAttribute("data-stage")));
    expect(stages).to.deep.equal(["submitted", "completed", "anchored", "final"]);
    await page.locator('#job-events tr[data-event="JobCompleted"][data-status="committed"]').waitFor();
    expect(await page.locator("#job-events tr").count()).to.equal(2);
    expect(await accessibilityViolations(page)).to.deep.equal([]);

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download and verify the artifact" }).click(),
    ]);
    expect(download.suggestedFilename()).to.equal(`${jobId}.pop-artifact.json`);
    await page.locator("#job-artifact-verdict[data-verdict]").waitFor();
    expect(await page.locator("#job-artifact-verdict").getAttribute("data-verdict")).to.equal("valid");
    await saveScreenshot(page, "job-timeline");

    // Neither local chain has an explorer: the links open this app's page, which reads the chain's RPC.
    await page.locator('#job-stages li[data-stage="submitted"] a').click();
    await page.locator("#tx-status.status-ok").waitFor({ timeout: 30_000 });
    const facts = ((await page.locator("#tx-facts").textContent()) ?? "").toLowerCase();
    expect(facts).to.include("✓ succeeded").and.include(numbers.commitRegister.toLowerCase()).and.include(numbers.url);
    expect(await page.locator("#tx-logs li").count()).to.equal(1);
    expect(await accessibilityViolations(page)).to.deep.equal([]);
    await saveScreenshot(page, "job-numbers-transaction");
    await page.goBack();
    await page.locator('#job-anchor a[href^="#/tx?network=base"]').click();
    await page.locator("#tx-status.status-ok").waitFor({ timeout: 30_000 });
    expect(await page.locator("#tx-facts").textContent())
      .to.include(chain.registry)
      .and.include(chain.url);
    await page.goBack();

    await page.getByRole("link", { name: "Verify this chain here" }).click();
    await page.locator("#verdict[data-verdict]").waitFor({ timeout: 60_000 });
    expect(await page.locator("#verdict").getAttribute("data-verdict")).to.equal("valid");
    await saveScreenshot(page, "job-verify");
  });

  it("says what to do when the key is unknown, names the empty executor of the job form without sending it, and names a bad transaction link", async () => {
    const other = await browser.newPage();
    try {
      await other.goto(`${running.url}/#/jobs`);
      await other.getByLabel("Tenant API key").fill("pop_sk_not-a-key");
      await other.getByRole("button", { name: "Use this key" }).click();
      await other.locator("#jobs-status", { hasText: "not known" }).waitFor();
      expect(await other.locator("#jobs-status").textContent())
        .to.include("not known")
        .and.include("pop serve keys create");
      await other.getByText("Run a simulated job").click();
      await other.locator("#simulate-executor").fill("");
      await other.getByRole("button", { name: "Submit job" }).click();
      expect(await other.locator("#simulate-status").textContent()).to.include("Executor: give the name");
      await saveScreenshot(other, "jobs-errors");
      await other.goto(`${running.url}/#/tx?network=mars&hash=0x12`);
      await other.locator("#tx-status", { hasText: "names no network" }).waitFor();
      await other.goto(`${running.url}/#/tx?network=base&hash=0x12`);
      await other.locator("#tx-status", { hasText: "not a transaction hash" }).waitFor();
    } finally {
      await other.close();
    }
  });

  it("runs as static files on another host (pop web build): jobs through CORS, a job's chain verified valid", async () => {
    const other = await browser.newPage();
    try {
      await other.goto(`${site[1]}/#/jobs`);
      await other.getByLabel("Tenant API key").fill(key);
      await other.getByRole("button", { name: "Use this key" }).click();
      // The first test's job, read from the service's origin by a page of the site's.
      await other.locator("#jobs-rows tr").first().waitFor();
      await other.locator("#jobs-rows a").first().click();
      await other.locator('#job-stages li[data-stage="final"]').waitFor({ timeout: 60_000 });
      await other.getByRole("link", { name: "Verify this chain here" }).click();
      await other.locator("#verdict[data-verdict]").waitFor({ timeout: 60_000 });
      expect(await other.locator("#verdict").getAttribute("data-verdict")).to.equal("valid");
      await saveScreenshot(other, "static-site-verify");
    } finally {
      await other.close();
    }
  });
});
