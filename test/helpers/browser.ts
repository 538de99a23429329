/** What the browser tests share: Debian's chromium under playwright-core, axe-core's check, and a local server. */
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { type Browser, chromium, type Page } from "playwright-core";
import { lazyWebApp } from "../../src/web/assets.ts";
import { serveWebApp, type WebDefaults } from "../../src/web/routes.ts";

export const CHROMIUM = process.env.POP_CHROMIUM ?? "/usr/bin/chromium";

/** Browser tests run where chromium is (always on CI: .ci/run installs it), and are skipped elsewhere. */
export const HAS_BROWSER = existsSync(CHROMIUM) || process.env.CI === "true";

export const launchBrowser = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });

/** axe-core's rules, run in the page (evaluated: the page's policy refuses inline scripts, as it should). */
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules). */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = (await page.evaluate(
    'axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) })))',
  )) as { id: string; impact: string; nodes: string[] }[];
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.join(", ")}`);
}

/** Serves `fetch` on a free port of 127.0.0.1; the caller closes the server. */
export async function listen(fetch: (request: Request) => Response | Promise<Response>) {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(started));
  });
  return [server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`] as const;
}

/** The web app alone (as a static host would serve it), with these defaults. */
export function serveWebAppAlone(defaults: WebDefaults) {
  const app = new Hono();
  serveWebApp(app, lazyWebApp(), defaults);
  return listen(app.fetch);
}

/** Where the browser tests save their screenshots (POP_SCREENSHOTS_DIR, else test-output/screenshots; git ignores it). */
export const SCREENSHOTS_DIR =
  process.env.POP_SCREENSHOTS_DIR ?? fileURLToPath(new URL("../../test-output/screenshots/", import.meta.url));

/** Saves the whole page as `<name>.png`: what the test saw, for a reader of a failed run (and the README). */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}.png`), fullPage: true });
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
};

/** A plain static file server over `dir` (what any web host is to `pop web build`'s output). */
export function serveDirectory(dir: string) {
  return listen(async (request) => {
    const name = new URL(request.url).pathname.replace(/^\/$/, "/index.html").slice(1);
    if (!/^[\w.-]+$/.test(name)) return new Response("not found", { status: 404 });
    try {
      const bytes = await readFile(join(dir, name));
      return new Response(bytes, { headers: { "content-type": TYPES[name.split(".").pop() ?? ""] ?? "text/plain" } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

/**
 * Waits until `expression` is true in the page. Not `page.waitForFunction`: its polling evaluates the
 * string with `eval`, which the app's Content Security Policy forbids (as it should), whereas
 * `page.evaluate` goes through the debugger protocol.
 */
export async function waitInPage(page: Page, expression: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${expression}.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
