import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { serve } from "@hono/node-server";
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import { createApiApp } from "../../indexer/src/api/app.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";
import { type GatewayServer, startGateway } from "../../src/storage/gateway.ts";
import { LocalStore } from "../../src/storage/local.ts";
import { registerAndAnchor } from "../helpers/anchorRun.ts";
import { ANCHOR_ID, anchorRow, entryRow, memoryStore, registryAt } from "../helpers/apiRows.ts";
import {
  CHROMIUM,
  HAS_BROWSER,
  launchBrowser,
  listen,
  saveScreenshot,
  serveWebAppAlone,
  accessibilityViolations as violationsOf,
  waitInPage,
} from "../helpers/browser.ts";
import { fixedSigner } from "../helpers/fixtures.ts";
import { type LocalChain, startLocalBase } from "../helpers/localChain.ts";
import { threeStageRun } from "../helpers/run.ts";
import { artifactOf } from "../jobs/artifactFixtures.ts";

// The web app's pages in a real browser (Debian's chromium under playwright-core), against a local Base chain and
// gateway: the verifier runs in the page, and the server that serves the page is never asked for a verdict.
const CHAIN_ID = "5f0c2a9e-31b4-4c8e-9d1a-000000000001";

const describeWithBrowser = HAS_BROWSER ? describe : describe.skip;

describeWithBrowser(`the web app's pages (in ${CHROMIUM}; .ci/run installs it)`, function () {
  this.timeout(120_000);
  let chain: LocalChain;
  let dir: string;
  let store: LocalStore;
  let gateway: GatewayServer;
  let liar: ReturnType<typeof createServer>;
  let liarUrl: string;
  let web: ReturnType<typeof serve>;
  let webUrl: string;
  let browser: Browser;
  let page: Page;
  let tenant: string;
  let auditApi: ReturnType<typeof serve>;
  let auditApiUrl: string;
  /** A file of the anchored run's last stage, as the audit API has it indexed. */
  const output = Buffer.from("the lighthouse, upscaled: the anchored run's last output");

  before(async () => {
    chain = await startLocalBase();
    dir = await mkdtemp(join(tmpdir(), "pop-web-"));
    store = new LocalStore(dir);
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

    // The audit API's real routes over rows given here: the anchored chain, with `output` as its stage-2 asset.
    const api = createApiApp({
      store: memoryStore({
        anchors: [
          anchorRow({
            tenantId: toOnchainId(tenant),
            tenantName: tenant,
            chainId: toOnchainId(CHAIN_ID),
            chainUuid: CHAIN_ID,
          }),
        ],
        entries: [
          entryRow(2, { anchorId: ANCHOR_ID, assetHash: `0x${createHash("sha256").update(output).digest("hex")}` }),
        ],
      }),
      registry: registryAt(1n),
      baseChainId: 31337,
      statementTimeoutMs: 5_000,
      publicUrl: undefined,
    });
    [auditApi, auditApiUrl] = await listen(api.fetch);
    [web, webUrl] = await serveWebAppAlone({
      rpcUrl: chain.url,
      gateways: [gateway.url],
      registry: chain.registry,
      auditApiUrl,
    });
    browser = await launchBrowser();
  });

  beforeEach(async () => {
    page = await browser.newPage();
  });
  afterEach(async function () {
    // Each test's last view, named after the test.
    const title = this.currentTest?.title ?? "page";
    await saveScreenshot(
      page,
      `pages-${title
        .slice(0, 60)
        .replace(/[^a-z0-9]+/gi, "-")
        .toLowerCase()}`,
    );
    await page.close();
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => web?.close(resolve));
    await new Promise((resolve) => auditApi?.close(resolve));
    await new Promise((resolve) => liar?.close(resolve));
    await gateway?.close();
    await chain?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Opens the page and waits for the server's default endpoints to fill the form. */
  async function openWithDefaults() {
    await page.goto(`${webUrl}/`);
    // A string: it runs in the page, and this file is type-checked without the DOM's types.
    await waitInPage(page, 'document.getElementById("rpc").value !== ""');
  }

  const accessibilityViolations = () => violationsOf(page);

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
    await page.locator("#verify-page").getByLabel("Tenant").fill(tenant);
    await page.getByLabel("Chain id").fill(CHAIN_ID);
    // What the result showed at each change, to see the checks arrive before the verdict.
    await page.evaluate(`window.snapshots = [];
      new MutationObserver(() => window.snapshots.push({
        checks: [...document.querySelectorAll("#checks li")].map((li) => li.dataset.check),
        verdict: document.getElementById("verdict").dataset.verdict ?? null,
        text: document.getElementById("verdict").textContent,
      })).observe(document.getElementById("result"), { childList: true, subtree: true, characterData: true });`);
    await page.getByRole("button", { name: "Verify" }).click();
    const shown = await verdict();
    const snapshots = (await page.evaluate("window.snapshots")) as {
      checks: string[];
      verdict: string | null;
      text: string;
    }[];
    const before = snapshots.filter((s) => s.verdict === null);
    expect(before.map((s) => s.checks.join(" ")).at(-1)).to.equal(
      "anchor.log anchor.signer chainscript.available anchor.binding",
    );
    expect(before.some((s) => s.text.startsWith("Verifying: fetched 3 of 3 packets"))).to.equal(true);
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
    expect(await accessibilityViolations()).to.deep.equal([]);
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

  it("says invalid naming the check for a chain whose packets were signed under a key the tenant never registered", async () => {
    const forged = "5f0c2a9e-31b4-4c8e-9d1a-0000000000aa";
    // The chainscript under the tenant's registered key; its packets under another: stored and anchored as they are.
    const run = await threeStageRun(fixedSigner(), fixedSigner("rogue-key"), forged);
    await registerAndAnchor(chain, run, store);
    await page.goto(`${webUrl}/#/verify?${new URLSearchParams({ tenant, chain: forged })}`);
    const shown = await verdict();
    expect(shown.verdict).to.equal("invalid");
    expect(shown.text).to.match(/^✗ Invalid: the check packets\.[a-z]+ failed: /);
    expect(await page.locator('#checks li[data-check="anchor.log"]').getAttribute("data-status")).to.equal("pass");
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
    expect(await page.locator("#tenant").getAttribute("aria-describedby")).to.equal("tenant-error tenant-help");
    expect(await page.locator("#registry").getAttribute("aria-invalid")).to.equal(null);
    expect(await page.locator("#result").isHidden()).to.equal(true);
    expect(await accessibilityViolations()).to.deep.equal([]);
  });

  it("finds where a file came from by its SHA-256 computed in the page, then verifies that chain here: valid", async () => {
    await openWithDefaults();
    await page.getByRole("link", { name: "Where did this file come from?" }).click();
    expect(await page.locator("#audit-api").inputValue()).to.equal(auditApiUrl);
    await page
      .getByLabel("File", { exact: true })
      .setInputFiles({ name: "lighthouse.png", mimeType: "image/png", buffer: output });
    await page.locator('#origin-status[data-outcome="found"]').waitFor({ timeout: 30_000 });
    expect(await page.locator("#digest").textContent()).to.include(createHash("sha256").update(output).digest("hex"));
    const places = page.locator("#origins li");
    expect(await places.count()).to.equal(1);
    expect(await accessibilityViolations()).to.deep.equal([]);
    expect(await places.first().textContent()).to.include(
      `Stage watermark (entry 2) of chain ${CHAIN_ID}, tenant ${tenant}`,
    );
    await places.first().getByRole("link", { name: "Verify this chain here" }).click();
    expect((await verdict()).verdict).to.equal("valid");
    expect(await page.locator("#verify-page").isVisible()).to.equal(true);
  });

  it("says no anchored chain produced a file the audit API does not know", async () => {
    await page.goto(`${webUrl}/#/origin`);
    await page
      .getByLabel("File", { exact: true })
      .setInputFiles({ name: "other.bin", mimeType: "application/octet-stream", buffer: Buffer.from("unrelated") });
    await page.locator("#origin-status[data-outcome]:not([data-outcome=running])").waitFor({ timeout: 30_000 });
    expect(await page.locator("#origin-status").getAttribute("data-outcome")).to.equal("none");
    expect(await page.locator("#origins li").count()).to.equal(0);
  });

  it("checks a downloaded job artifact offline in the page: valid, and invalid naming the check once a byte changed", async () => {
    const { bytes } = await artifactOf();
    await openWithDefaults();
    const file = page.getByLabel("Artifact file");
    await file.setInputFiles({
      name: "job.pop-artifact.json",
      mimeType: "application/json",
      buffer: Buffer.from(bytes),
    });
    const line = page.locator("#artifact-verdict[data-verdict]");
    await line.waitFor({ timeout: 30_000 });
    expect(await line.getAttribute("data-verdict")).to.equal("valid");
    expect(
      await page.locator('#artifact-checks li[data-check="artifact.signature"]').getAttribute("data-status"),
    ).to.equal("pass");
    expect(await accessibilityViolations()).to.deep.equal([]);

    const tampered = Buffer.from(Buffer.from(bytes).toString("utf8").replace("worker-7", "worker-8"));
    expect(tampered.equals(Buffer.from(bytes))).to.equal(false);
    await file.setInputFiles({ name: "tampered.json", mimeType: "application/json", buffer: tampered });
    await page.locator('#artifact-verdict[data-verdict="invalid"]').waitFor({ timeout: 30_000 });
    expect(await page.locator("#artifact-verdict").textContent()).to.match(/^✗ Invalid: the check [a-z.]+ failed: /);
  });
});
