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
