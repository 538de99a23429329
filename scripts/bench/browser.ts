/**
 * The audit web app in headless Chromium (Debian's, under playwright-core; POP_CHROMIUM names another):
 * the JavaScript a first visit downloads, compressed; how long the first page takes to be usable; and
 * verifying an anchored 1,000-entry chain in the page against the local RPC and gateway, beside the same
 * verification in Node (what `pop verify` does) in the same run. The server is warmed first: its one-time
 * bundling (about half a second, on the first request after a start) is not the page's.
 */
import type { AddressInfo } from "node:net";
import { waitInPage } from "../../test/helpers/browser.ts";
import type { BenchLine } from "./measure.ts";
import { anchoringWorld, verifyInNode } from "./verify.ts";

const ENTRIES = 1_000;

export async function benchBrowser(): Promise<BenchLine[]> {
  const { serve } = await import("@hono/node-server");
  const { Hono } = await import("hono");
  const { chromium } = await import("playwright-core");
  const { lazyWebApp } = await import("../../src/web/assets.ts");
  const { serveWebApp } = await import("../../src/web/routes.ts");

  const world = await anchoringWorld();
  const app = new Hono();
  serveWebApp(app, lazyWebApp(), {
    rpcUrl: world.chain.url,
    gateways: [world.gateway.url],
    registry: world.chain.registry,
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(started));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: process.env.POP_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  try {
    await fetch(`${url}/app.js`).then((response) => response.arrayBuffer());
    const ids = await world.anchor(ENTRIES);
    const node = await verifyInNode(world, ids);

    // A first visit: a new context has an empty cache.
    const context = await browser.newContext();
    const page = await context.newPage();
    let scriptBytes = 0;
    page.on("response", async (response) => {
      if (response.url().endsWith(".js")) scriptBytes += Number((await response.headerValue("content-length")) ?? 0);
    });
    const opened = performance.now();
    await page.goto(`${url}/`);
    // Usable once the script ran and filled the form from config.json.
    await waitInPage(page, 'document.getElementById("rpc").value !== ""');
    const interactive = (performance.now() - opened) / 1000;

    await page.locator("#verify-page").getByLabel("Tenant").fill(ids.tenantId);
    await page.getByLabel("Chain id").fill(ids.chainId);
    // The page's own clock at each change of the verdict line: where the time goes (the verifier's onProgress).
    await page.evaluate(`window.marks = [{ at: performance.now(), text: "" }];
      new MutationObserver(() => window.marks.push({ at: performance.now(), text: document.getElementById("verdict").textContent }))
        .observe(document.getElementById("verdict"), { childList: true, characterData: true, subtree: true });`);
    const started = performance.now();
    await page.getByRole("button", { name: "Verify" }).click();
    await page.locator("#verdict[data-verdict]").waitFor({ timeout: 120_000 });
    const inBrowser = (performance.now() - started) / 1000;
    const marks = (await page.evaluate("window.marks")) as { at: number; text: string }[];
    const fetching = marks.filter((m) => m.text.startsWith("Verifying: fetched"));
    const seconds = (from: number, to: number) => (to - from) / 1000;
    const [first, last, end] = [marks[0]?.at ?? 0, fetching.at(-1)?.at ?? 0, marks.at(-1)?.at ?? 0];
    const verdict = await page.locator("#verdict").getAttribute("data-verdict");
    if (verdict !== "valid") throw new Error(`The page's verdict was ${verdict}, not valid.`);
    await context.close();

    return [
      {
        name: "JavaScript of a first visit, as sent (gzip)",
        value: scriptBytes / 1024,
        unit: "KB",
        target: { text: "≤ 300 KB", met: scriptBytes <= 300 * 1024 },
      },
      {
        name: "first page usable (loaded, script run, defaults filled)",
        value: interactive,
        unit: "s",
        target: { text: "≤ 1 s", met: interactive <= 1 },
      },
      {
        name: `baseline: verify an anchored ${ENTRIES.toLocaleString("en-US")}-entry chain in Node (pop verify's code)`,
        value: node,
        unit: "s",
      },
      {
        name: `verify the same chain in the page (RPC + gateway)`,
        value: inBrowser,
        unit: `s (${(inBrowser / node).toFixed(1)}× Node)`,
        target: { text: "≤ 1.5 s", met: inBrowser <= 1.5 },
      },
      {
        name: "  of which: registry, chainscript and packets fetched (until the last packet)",
        value: seconds(first, last),
        unit: "s",
      },
      {
        name: "  of which: hash chain, signatures and lineage checked (after the last packet)",
        value: seconds(last, end),
        unit: "s",
      },
    ];
  } finally {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
    await world.close();
  }
}
