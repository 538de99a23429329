/**
 * The audit web app: the server's default endpoints (config.json), then one page at a time by the URL's
 * hash (`#/verify`, `#/origin`), each with its own query (`#/verify?tenant=…&chain=…`).
 */
import { startArtifactCheck } from "./artifact.ts";
import { byId, type Defaults } from "./dom.ts";
import { startOriginPage } from "./origin.ts";
import { startVerifyPage, verifyFromLink } from "./verify.ts";

const PAGES = { verify: "verify-page", origin: "origin-page" } as const;

/** The page the hash names (verify by default) and the hash's query. */
function route(): { page: keyof typeof PAGES; query: URLSearchParams } {
  const [path = "", query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  return { page: path === "origin" ? "origin" : "verify", query: new URLSearchParams(query) };
}

/** Shows the current page only, marks its link as current and moves focus to its heading on a change. */
function show(focus: boolean) {
  const { page } = route();
  for (const [name, id] of Object.entries(PAGES)) byId(id).hidden = name !== page;
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a[data-page]"))
    if (link.dataset.page === PAGES[page]) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  document.title = `${page === "origin" ? "Where did this file come from?" : "Verify a proof"} · Proof of Process`;
  if (focus) byId(PAGES[page]).querySelector<HTMLElement>("h1")?.focus();
}

async function start() {
  const defaults: Defaults = await fetch("config.json").then(
    (response) => (response.ok ? (response.json() as Promise<Defaults>) : {}),
    () => ({}),
  );
  show(false);
  startOriginPage(defaults);
  startVerifyPage(defaults);
  startArtifactCheck();
  const opened = route();
  if (opened.page === "verify") verifyFromLink(opened.query);
  addEventListener("hashchange", () => {
    show(true);
    const { page, query } = route();
    if (page === "verify") verifyFromLink(query);
  });
}

void start();
