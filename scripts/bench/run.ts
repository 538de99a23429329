/**
 * `npm run bench`: throughput and size figures, each with its target measured
 * as a ratio against a baseline taken in the same run. `--check` exits 1 when
 * a target is missed; words after `--` choose suites by title.
 */
import { availableParallelism, cpus } from "node:os";
import { benchAnchor } from "./anchor.ts";
import { benchBrowser } from "./browser.ts";
import { benchEvidence } from "./evidence.ts";
import { benchIndexer } from "./indexer.ts";
import { type BenchLine, print } from "./measure.ts";
import { benchReceipts } from "./receipts.ts";
import { benchBatchUpload, benchLocalStore } from "./storage.ts";
import { benchVerify } from "./verify.ts";

const check = process.argv.includes("--check");
// `npm run bench -- indexer storage`: only the suites whose titles hold one of these words.
const only = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
process.stdout.write(
  `node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? "unknown CPU"})\n\n`,
);
const suites: [string, () => Promise<BenchLine[]>][] = [
  ["Evidence core", benchEvidence],
  ["Storage", async () => [...(await benchLocalStore()), ...(await benchBatchUpload())]],
  ["Verification (4-step protocol)", benchVerify],
  ["Anchoring pipeline", benchAnchor],
  ["Indexer", benchIndexer],
  ["Receipts service", benchReceipts],
  ["Web app in the browser", benchBrowser],
];
const lines: BenchLine[] = [];
for (const [title, suite] of suites) {
  if (only.length > 0 && !only.some((word) => title.toLowerCase().includes(word.toLowerCase()))) continue;
  process.stdout.write(`\n${title}\n`);
  for (const line of await suite()) {
    print(line);
    lines.push(line);
  }
}
const missed = lines.filter((line) => line.target && !line.target.met);
if (missed.length > 0) process.stdout.write(`\n${missed.length} target(s) missed.\n`);
if (check && missed.length > 0) process.exitCode = 1;
