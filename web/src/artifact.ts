/**
 * A downloaded job artifact checked in the page, offline: src/jobs/artifact's own checks (the packets'
 * integrity and signatures, the summary, the artifact's signature under its embedded key). The file is
 * read here and never sent anywhere.
 */
import { offlineReport } from "../../src/jobs/artifact/offline.ts";
import { byId, element } from "./dom.ts";
import { showVerdict } from "./report.ts";

/** Artifacts are a few kilobytes; a file far larger is not one, and is refused before it is read. */
const MAX_ARTIFACT_BYTES = 16 * 1024 * 1024;

const input = byId<HTMLInputElement>("artifact-file");
const result = byId<HTMLElement>("artifact-result");
const verdictLine = byId<HTMLParagraphElement>("artifact-verdict");
const notes = byId<HTMLUListElement>("artifact-notes");
const checks = byId<HTMLOListElement>("artifact-checks");

async function check(file: File) {
  result.hidden = false;
  notes.replaceChildren();
  checks.replaceChildren();
  delete verdictLine.dataset.verdict;
  if (file.size > MAX_ARTIFACT_BYTES) {
    verdictLine.className = "verdict verdict-error";
    verdictLine.dataset.verdict = "error";
    verdictLine.textContent = `! ${file.name} is ${file.size} bytes: a job artifact is far smaller (at most ${MAX_ARTIFACT_BYTES} bytes here).`;
    return;
  }
  const report = offlineReport(new Uint8Array(await file.arrayBuffer()));
  showVerdict(report, verdictLine, checks);
  notes.replaceChildren(...report.notes.map((note) => element("li", note)));
}

export function startArtifactCheck(): void {
  input.addEventListener("change", () => {
    const file = input.files?.[0];
    if (file !== undefined) void check(file);
  });
}
