import type { CheckResult } from "../chainscript/report.ts";

/** Prints a command's result: JSON for `--json`, else one `name: value` line per field. */
export function printResult(result: Record<string, unknown>, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  for (const [name, value] of Object.entries(result)) {
    process.stdout.write(`${name}: ${typeof value === "string" ? value : JSON.stringify(value)}\n`);
  }
}

/** How each check outcome is marked in human output. */
export const CHECK_MARK = { pass: "✔", fail: "✘", skip: "–" } as const;

/** One check of a verification report as an indented line, with its first failure beneath it. */
export function formatCheck(check: CheckResult): string {
  const counts = check.status === "fail" ? ` (${check.failed} of ${check.checked} failed)` : "";
  const first = check.failures[0];
  const where =
    first?.field === undefined ? (first?.entry === undefined ? "" : `entry ${first.entry}: `) : `${first.field}: `;
  const detail = first ? `\n      ${where}${first.message}` : "";
  return `  ${CHECK_MARK[check.status]} ${check.id}: ${check.description}${counts}${detail}`;
}
