/** How a verification report reads on a page: shared by the verify page and the artifact check. */
import type { CheckResult, VerificationReport } from "../../src/chainscript/report.ts";
import { element } from "./dom.ts";

/** What the user reads for each outcome: words and a symbol, never colour alone. */
const VERDICT_TEXT = {
  valid: { symbol: "✓", text: "Valid: every check passed." },
  invalid: { symbol: "✗", text: "Invalid" },
  incomplete: { symbol: "?", text: "Incomplete: nothing failed, but not everything could be checked." },
} as const;
const STATUS_TEXT = { pass: "passed", fail: "failed", skip: "not checked" } as const;

/** One check as a list item: its outcome in words, what it checks, its id, and its first failures. */
export function checkItem(check: CheckResult): HTMLLIElement {
  const item = element("li", undefined, `check check-${check.status}`);
  item.dataset.check = check.id;
  item.dataset.status = check.status;
  const head = element("span", `${STATUS_TEXT[check.status]}: `, "check-status");
  item.append(head, element("span", check.description), element("code", ` (${check.id})`, "check-id"));
  if (check.failures.length > 0) {
    const failures = element("ul", undefined, "failures");
    for (const failure of check.failures)
      failures.append(
        element("li", failure.entry === undefined ? failure.message : `entry ${failure.entry}: ${failure.message}`),
      );
    item.append(failures);
  }
  return item;
}

/** The verdict as one sentence; an invalid one names the first failed check and why. */
export function verdictSentence(report: VerificationReport): string {
  const shown = VERDICT_TEXT[report.verdict];
  const first = report.firstFailure;
  return report.verdict === "invalid" && first !== undefined
    ? `${shown.symbol} Invalid: the check ${first.check} failed: ${first.message}`
    : `${shown.symbol} ${shown.text}`;
}

/** Shows `report` in `line` (the verdict, as `data-verdict` too) and `list` (every check). */
export function showVerdict(report: VerificationReport, line: HTMLElement, list: HTMLOListElement): void {
  line.className = `verdict verdict-${report.verdict}`;
  line.dataset.verdict = report.verdict;
  line.textContent = verdictSentence(report);
  list.replaceChildren(...report.checks.map(checkItem));
}
