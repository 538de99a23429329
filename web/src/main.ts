/**
 * The audit web app: the server's default endpoints (config.json), then one page at a time by the URL's
 * hash (`#/jobs`, `#/job?id=…`, `#/anchors?tenant=…`, `#/verify?tenant=…&chain=…`, `#/origin`,
 * `#/tx?network=…&hash=…`).
 */
import { showAnchorsPage, startAnchorsPage } from "./anchors.ts";
import { startArtifactCheck } from "./artifact.ts";
import { byId, type Defaults } from "./dom.ts";
import { showJobPage, startJobPage } from "./job.ts";
import { showJobsPage, startJobsPage } from "./jobs.ts";
import { startOriginPage } from "./origin.ts";
import { useReceiptsApi } from "./receipts.ts";
import { showTxPage, startTxPage } from "./tx.ts";
import { startVerifyPage, verifyFromLink } from "./verify.ts";

/** Each page: its section, its title, and its link in the navigation (a job's page is reached from the list). */
const PAGES = {
  jobs: { id: "jobs-page", title: "Jobs", nav: "jobs-page" },
  job: { id: "job-page", title: "Job timeline", nav: "jobs-page" },
  anchors: { id: "anchors-page", title: "Anchors", nav: "anchors-page" },
  verify: { id: "verify-page", title: "Verify a proof", nav: "verify-page" },
  origin: { id: "origin-page", title: "Where did this file come from?", nav: "origin-page" },
  tx: { id: "tx-page", title: "Transaction", nav: "jobs-page" },
} as const;
type Page = keyof typeof PAGES;

/** The page the hash names (verify by default) and the hash's query. */
function route(): { page: Page; query: URLSearchParams } {
  const [path = "", query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  return { page: path in PAGES ? (path as Page) : "verify", query: new URLSearchParams(query) };
}

/** Shows the current page only, marks its link as current, and tells each page whether it is shown. */
function show(focus: boolean) {
  const { page, query } = route();
  for (const [name, { id }] of Object.entries(PAGES)) byId(id).hidden = name !== page;
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a[data-page]"))
    if (link.dataset.page === PAGES[page].nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  document.title = `${PAGES[page].title} · Proof of Process`;
  showJobsPage(page === "jobs");
  showJobPage(page === "job" ? query : undefined);
  showAnchorsPage(page === "anchors" ? query : undefined);
  showTxPage(page === "tx" ? query : undefined);
  if (page === "verify") verifyFromLink(query);
  if (focus) byId(PAGES[page].id).querySelector<HTMLElement>("h1")?.focus();
}

async function start() {
  const defaults: Defaults = await fetch("config.json").then(
    (response) => (response.ok ? (response.json() as Promise<Defaults>) : {}),
    () => ({}),
  );
  useReceiptsApi(defaults.receiptsApiUrl);
  startOriginPage(defaults);
  startVerifyPage(defaults);
  startArtifactCheck();
  startJobsPage();
  startJobPage();
  startAnchorsPage(defaults);
  startTxPage(defaults);
  show(false);
  addEventListener("hashchange", () => show(true));
}

void start();
