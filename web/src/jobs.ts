/**
 * The jobs dashboard: the API key's tenant's jobs from the receipts service (GET /api/jobs/list), with
 * filters and pages, refreshed every few seconds while shown; and a form that runs a simulated job in the
 * service (POST /api/jobs/simulate, on when the service was started for demos).
 */
import { TASK_TYPE_IDS } from "../../src/jobs/catalog.ts";
import { appendCells, byId, element, setStatus } from "./dom.ts";
import { type JobList, type JobSummary, type Receipt, receiptsJson, saveApiKey, savedApiKey } from "./receipts.ts";

const REFRESH_MS = 3_000;
const PAGE_SIZE = 20;

const keyForm = byId<HTMLFormElement>("key-form");
const simulateForm = byId<HTMLFormElement>("simulate-form");
const simulateStatus = byId<HTMLParagraphElement>("simulate-status");
const filterForm = byId<HTMLFormElement>("filter-form");
const listStatus = byId<HTMLParagraphElement>("jobs-status");
const table = byId<HTMLTableElement>("jobs-table");
const rows = byId<HTMLTableSectionElement>("jobs-rows");
const nextButton = byId<HTMLButtonElement>("jobs-next");
const firstButton = byId<HTMLButtonElement>("jobs-first");

/** Cursors of the pages shown: the last is the current page's (undefined: the first page). */
let cursors: (string | undefined)[] = [undefined];
let nextCursor: string | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
let shown = false;

const STATUS_TEXT = { submitted: "⋯ running", succeeded: "✓ succeeded", failed: "✗ failed" } as const;

const say = setStatus;

/** Events committed on Numbers out of those recorded: what "x of 2 committed" says in the table. */
const committedCount = (job: JobSummary) => job.events.filter((event) => event.status === "committed").length;

function row(job: JobSummary): HTMLTableRowElement {
  const tr = element("tr");
  tr.dataset.jobId = job.jobId;
  tr.dataset.status = job.status;
  const link = element("a", job.jobId.slice(0, 8));
  link.href = `#/job?${new URLSearchParams({ id: job.jobId })}`;
  link.setAttribute("aria-label", `Job ${job.jobId}: its timeline`);
  const cells = [
    link,
    job.taskType,
    job.executor,
    job.gpu,
    element("span", STATUS_TEXT[job.status], `job-status job-${job.status}`),
    new Date(job.submittedAt).toLocaleString(),
    `${committedCount(job)} of ${job.events.length} committed`,
  ];
  appendCells(tr, cells);
  return tr;
}

function query(): URLSearchParams {
  const data = new FormData(filterForm);
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  for (const name of ["status", "taskType", "executor"]) {
    const value = String(data.get(name) ?? "").trim();
    if (value !== "") params.set(name, value);
  }
  const cursor = cursors.at(-1);
  if (cursor !== undefined) params.set("cursor", cursor);
  return params;
}

async function load() {
  clearTimeout(timer);
  if (!shown) return;
  if (savedApiKey() === "") {
    table.hidden = true;
    say(listStatus, "error", "Give the tenant's API key above to see its jobs.");
    return;
  }
  try {
    const page = await receiptsJson<JobList>(`api/jobs/list?${query()}`);
    nextCursor = page.nextCursor;
    rows.replaceChildren(...page.jobs.map(row));
    table.hidden = page.jobs.length === 0;
    const where = cursors.length === 1 ? "" : ` (page ${cursors.length})`;
    say(
      listStatus,
      "ok",
      page.jobs.length === 0
        ? "No jobs match: run one with the form above, or change the filters."
        : `${page.jobs.length} job${page.jobs.length === 1 ? "" : "s"}${where}, newest first; updated ${new Date().toLocaleTimeString()}.`,
    );
  } catch (error) {
    say(listStatus, "error", `! ${error instanceof Error ? error.message : String(error)}`);
  }
  nextButton.disabled = nextCursor === null;
  firstButton.disabled = cursors.length === 1;
  // Live on the first page only: later pages hold still while read.
  if (cursors.length === 1) timer = setTimeout(() => void load(), REFRESH_MS);
}

async function simulate(data: FormData) {
  const body = {
    taskType: String(data.get("taskType")),
    executor: String(data.get("executor") ?? "").trim(),
    ...(data.get("gpu") ? { gpu: String(data.get("gpu")) } : {}),
  };
  if (body.executor === "") {
    say(simulateStatus, "error", "Executor: give the name the job runs under, for example web-demo.");
    (simulateForm.elements.namedItem("executor") as HTMLInputElement).focus();
    return;
  }
  say(simulateStatus, "running", "Submitting…");
  try {
    const receipt = await receiptsJson<Receipt>("api/jobs/simulate", { body });
    say(simulateStatus, "ok", `Submitted job ${receipt.jobId}; its NID is ${receipt.nid}. It completes shortly.`);
    const link = element("a", " Open its timeline");
    link.href = `#/job?${new URLSearchParams({ id: receipt.jobId })}`;
    simulateStatus.append(link);
    cursors = [undefined];
    void load();
  } catch (error) {
    say(simulateStatus, "error", `! ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function startJobsPage(): void {
  const taskSelects = document.querySelectorAll<HTMLSelectElement>("select[data-task-types]");
  for (const select of taskSelects) select.append(...TASK_TYPE_IDS.map((id) => new Option(id, id)));
  (keyForm.elements.namedItem("apiKey") as HTMLInputElement).value = savedApiKey();
  keyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    saveApiKey(String(new FormData(keyForm).get("apiKey") ?? "").trim());
    cursors = [undefined];
    void load();
  });
  simulateForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void simulate(new FormData(simulateForm));
  });
  filterForm.addEventListener("submit", (event) => {
    event.preventDefault();
    cursors = [undefined];
    void load();
  });
  nextButton.addEventListener("click", () => {
    if (nextCursor === null) return;
    cursors.push(nextCursor);
    void load();
  });
  firstButton.addEventListener("click", () => {
    cursors = [undefined];
    void load();
  });
}

/** Starts (or stops) loading and refreshing as the page is shown (or left). */
export function showJobsPage(visible: boolean): void {
  shown = visible;
  if (visible) void load();
  else clearTimeout(timer);
}
