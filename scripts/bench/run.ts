/**
 * `npm run bench`: throughput and size figures, each with its target measured
 * as a ratio against a baseline taken in the same run. `--check` exits 1 when
 * a target is missed.
 */
import { availableParallelism, cpus } from "node:os";
import { benchEvidence } from "./evidence.ts";
import { print } from "./measure.ts";

const check = process.argv.includes("--check");
process.stdout.write(
  `node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? "unknown CPU"})\n\n`,
);
process.stdout.write("Evidence core\n");
const lines = await benchEvidence();
for (const line of lines) print(line);
const missed = lines.filter((line) => line.target && !line.target.met);
if (missed.length > 0) process.stdout.write(`\n${missed.length} target(s) missed.\n`);
if (check && missed.length > 0) process.exitCode = 1;
