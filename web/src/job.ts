/**
 * A job's timeline (GET /api/jobs/timeline/:jobId): submitted → completed → anchored → final, each with its
 * chain's transaction; the events with their NIDs; the Base anchor with a link that verifies its chain in
 * this browser; and the job's artifact, downloaded with the API key and checked here, offline.
 */
import { offlineReport } from "../../src/jobs/artifact/offline.ts";
import { appendCells, byId, element, setStatus } from "./dom.ts";
import { type Receipt, receiptsFetch, receiptsJson, type Timeline } from "./receipts.ts";
import { showVerdict } from "./report.ts";
import { txLink } from "./tx.ts";

const REFRESH_MS = 3_000;

const title = byId<HTMLHeadingElement>("job-title");
const status = byId<HTMLParagraphElement>("job-status");
const body = byId<HTMLElement>("job-body");
const stages = byId<HTMLOListElement>("job-stages");
const events = byId<HTMLTableSectionElement>("job-events");
const anchorFacts = byId<HTMLDListElement>("job-anchor");
const download = byId<HTMLButtonElement>("job-download");
const artifactVerdict = byId<HTMLParagraphElement>("job-artifact-verdict");
const artifactChecks = byId<HTMLOListElement>("job-artifact-checks");

let jobId: string | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;

const STAGE_TEXT = {
  submitted: "Submitted (JobSubmitted committed on Numbers)",
  completed: "Completed (JobCompleted committed on Numbers)",
  anchored: "Anchored on Base",
  final: "Final on Base",
} as const;

/**
 * A transaction as a link to its explorer, or, on a chain with none (the local ones), to this app's page
 * that reads it from the chain's RPC.
 */
function transaction(
  network: "base" | "numbers",
  txHash: string | null,
  blockNumber: string | null,
  explorerUrl: string | null,
): Node {
  if (txHash === null) return document.createTextNode("not mined yet");
  const link = element("a", txHash);
  if (explorerUrl !== null) {
    link.href = explorerUrl;
    link.rel = "noreferrer";
    return link;
  }
  link.href = txLink(network, txHash);
  const shown = element("span");
  shown.append(link, ` (block ${blockNumber ?? "?"}; no explorer for this chain: read from its RPC)`);
  return shown;
}

function stageItem(stage: Timeline["stages"][number]): HTMLLIElement {
  const item = element("li", undefined, "stage");
  item.dataset.stage = stage.stage;
  item.append(
    element("strong", `✓ ${STAGE_TEXT[stage.stage]}`),
    element("span", ` at ${new Date(stage.at).toLocaleString()}: `),
    transaction(stage.chain, stage.txHash, stage.blockNumber, stage.explorerUrl),
  );
  return item;
}

function eventRow(event: Receipt): HTMLTableRowElement {
  const tr = element("tr");
  tr.dataset.event = event.eventType;
  tr.dataset.status = event.status;
  const commit = event.commit;
  const cells: (string | Node)[] = [
    event.eventType,
    element("code", event.nid),
    event.status === "committed" ? "✓ committed" : `⋯ ${event.status}`,
    commit === null ? "—" : transaction("numbers", commit.txHash, commit.blockNumber, commit.explorerUrl),
  ];
  appendCells(tr, cells);
  return tr;
}

function showAnchor(anchor: Timeline["anchor"]) {
  anchorFacts.replaceChildren();
  if (anchor === null) {
    anchorFacts.append(element("dt", "Base anchor"), element("dd", "Not yet: completed jobs are anchored in batches."));
    return;
  }
  const verify = element("a", "Verify this chain here", "button-link");
  verify.href = `#/verify?${new URLSearchParams({ tenant: anchor.tenantId, chain: anchor.chainId, registry: anchor.registry })}`;
  const facts: [string, string | Node][] = [
    ["Base anchor", anchor.status],
    ["Tenant and chain", `${anchor.tenantId} / ${anchor.chainId}`],
    ["Transaction", transaction("base", anchor.txHash, anchor.blockNumber, anchor.explorerUrl)],
    ["Chainscript", anchor.chainscriptCid ?? "—"],
    ["Verify", verify],
  ];
  for (const [term, value] of facts) {
    const dd = element("dd");
    dd.append(value);
    anchorFacts.append(element("dt", term), dd);
  }
}

async function load() {
  clearTimeout(timer);
  if (jobId === undefined) return;
  const id = jobId;
  try {
    const timeline = await receiptsJson<Timeline>(`api/jobs/timeline/${encodeURIComponent(id)}`);
    if (id !== jobId) return;
    body.hidden = false;
    const final = timeline.stages.some((stage) => stage.stage === "final");
    const next = ["submitted", "completed", "anchored", "final"][timeline.stages.length] ?? "the next stage";
    setStatus(
      status,
      final ? "ok" : "running",
      `Job ${timeline.status}; ${final ? "its proof is final on Base." : `waiting for ${next} (this page refreshes itself).`}`,
    );
    stages.replaceChildren(...timeline.stages.map(stageItem));
    events.replaceChildren(...timeline.events.map(eventRow));
    showAnchor(timeline.anchor);
    download.disabled = timeline.status === "submitted";
    if (!final) timer = setTimeout(() => void load(), REFRESH_MS);
  } catch (error) {
    setStatus(status, "error", `! ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Downloads the artifact with the key, saves it as a file, and checks the same bytes here. */
async function downloadArtifact() {
  if (jobId === undefined) return;
  artifactVerdict.className = "verdict verdict-running";
  artifactVerdict.textContent = "Downloading the artifact…";
  artifactChecks.replaceChildren();
  try {
    const bytes = new Uint8Array(
      await (await receiptsFetch(`api/artifacts/download/${encodeURIComponent(jobId)}`)).arrayBuffer(),
    );
    const save = element("a");
    save.href = URL.createObjectURL(new Blob([bytes], { type: "application/json" }));
    save.download = `${jobId}.pop-artifact.json`;
    save.click();
    setTimeout(() => URL.revokeObjectURL(save.href), 10_000);
    showVerdict(offlineReport(bytes), artifactVerdict, artifactChecks);
  } catch (error) {
    artifactVerdict.className = "verdict verdict-error";
    artifactVerdict.dataset.verdict = "error";
    artifactVerdict.textContent = `! ${error instanceof Error ? error.message : String(error)}`;
  }
}

export function startJobPage(): void {
  download.addEventListener("click", () => void downloadArtifact());
}

/** Shows the job the link names (`#/job?id=…`), or stops refreshing when the page is left. */
export function showJobPage(query: URLSearchParams | undefined): void {
  clearTimeout(timer);
  jobId = query?.get("id") ?? undefined;
  if (query === undefined) return;
  body.hidden = true;
  artifactVerdict.textContent = "";
  artifactVerdict.className = "verdict";
  artifactChecks.replaceChildren();
  title.textContent = jobId === undefined ? "Job" : `Job ${jobId}`;
  if (jobId === undefined) {
    setStatus(status, "error", "! This link names no job: open one from the jobs list.");
    return;
  }
  setStatus(status, "running", "Loading the timeline…");
  void load();
}
