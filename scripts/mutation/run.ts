/**
 * `npm run mutation [-- <file>...] [--list] [--timeout <seconds>]`: a mutation
 * pass over the verifier's rules. For src/verify/*.ts and
 * src/chainscript/verify.ts it applies each mutant of mutants.ts alone, runs
 * the tests that cover the file, and puts the original back (always: after
 * each mutant, on an error, on Ctrl-C). A mutant the tests still pass is a
 * survivor: a rule a test does not pin down, unless equivalent.ts says why it
 * cannot change any outcome. Prints the figures and every survivor with
 * file:line; exits 1 when an unexplained survivor is left. Slow (every mutant
 * is a test run), so it is not part of `npm test`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { EQUIVALENT } from "./equivalent.ts";
import { type Mutant, mutantsOf } from "./mutants.ts";

const root = new URL("../..", import.meta.url).pathname;
const mocha = join(root, "node_modules/mocha/bin/mocha.js");

/** Tests the `pop` CLI through child processes: slow, and they add nothing the library tests do not check. */
const CLI_TESTS = "`pop ";
const onChain = ["test/verify/rpcAgreement.test.ts", "test/verify/verifyAnchor.test.ts", "test/verify/relay.test.ts"];

/** The tests that cover each file. Every file of src/verify must be listed: a new one fails the run. */
const TESTS: Record<string, readonly string[]> = {
  "src/chainscript/verify.ts": [
    "test/chainscript/verify.test.ts",
    "test/chainscript/dates.test.ts",
    "test/chainscript/packets.test.ts",
  ],
  "src/verify/keys.ts": ["test/verify/keys.test.ts"],
  "src/verify/agreement.ts": ["test/verify/agreement.test.ts", "test/verify/checkAnchored.test.ts"],
  "src/verify/describe.ts": ["test/verify/agreement.test.ts", "test/verify/checkAnchored.test.ts"],
  "src/verify/signer.ts": ["test/verify/checkAnchored.test.ts"],
  "src/verify/registryView.ts": ["test/verify/checkAnchored.test.ts"],
  "src/verify/verifyAnchored.ts": ["test/verify/checkAnchored.test.ts"],
  "src/verify/findAsset.ts": ["test/verify/findAsset.test.ts"],
  "src/verify/anchorRecord.ts": onChain,
  "src/verify/verifyAnchor.ts": onChain,
};

type Outcome = "killed" | "timed out" | "survived" | "equivalent";

let running: ChildProcess | undefined;
let restore: (() => void) | undefined;

/** Puts the file under mutation back and stops its test run: on exit, Ctrl-C or termination. */
function cleanUp() {
  if (running?.pid !== undefined && running.exitCode === null) {
    try {
      process.kill(-running.pid, "SIGKILL"); // the test run's own process group: mocha and what it started
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
  }
  restore?.();
}
process.on("exit", cleanUp);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    cleanUp();
    process.exit(130);
  });
}

/** Runs `tests` with mocha; true when they all pass. A run past `timeoutMs` is stopped and counts as failing. */
function testsPass(
  tests: readonly string[],
  timeoutMs: number,
): Promise<{ pass: boolean; timedOut: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    const args = [
      mocha,
      "--bail",
      "--reporter",
      "dot",
      "--timeout",
      "120000",
      "--grep",
      CLI_TESTS,
      "--invert",
      ...tests,
    ];
    const child = spawn(process.execPath, args, { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    running = child;
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    }, timeoutMs);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      running = undefined;
      resolve({ pass: code === 0 && !timedOut, timedOut, output });
    });
  });
}

/** The reason equivalent.ts gives for a mutant, if it lists it. */
function equivalence(mutant: Mutant): string | undefined {
  return EQUIVALENT.find((e) => e.file === mutant.file && mutant.code.includes(e.code) && e.change === mutant.change)
    ?.reason;
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { list: { type: "boolean" }, timeout: { type: "string" } },
  });
  const given = values.timeout === undefined ? undefined : Number(values.timeout) * 1000;
  if (given !== undefined && !(given > 0))
    throw new Error(`--timeout must be a positive number of seconds, got "${values.timeout}".`);
  const files = [
    "src/chainscript/verify.ts",
    ...readdirSync(join(root, "src/verify"))
      .filter((name) => name.endsWith(".ts"))
      .map((name) => `src/verify/${name}`),
  ];
  const unmapped = files.filter((file) => TESTS[file] === undefined);
  if (unmapped.length > 0)
    throw new Error(`No tests are listed for ${unmapped.join(", ")} in scripts/mutation/run.ts.`);
  const chosen = positionals.length === 0 ? files : files.filter((file) => positionals.includes(file));
  if (chosen.length === 0)
    throw new Error(`None of ${positionals.join(", ")} is a file the pass covers: ${files.join(", ")}.`);

  const counts: Record<Outcome, number> = { killed: 0, "timed out": 0, survived: 0, equivalent: 0 };
  const survivors: Mutant[] = [];
  const explained: { mutant: Mutant; reason: string }[] = [];
  for (const file of chosen) {
    const path = join(root, file);
    const original = readFileSync(path, "utf8");
    const mutants = mutantsOf(file, original);
    const tests = TESTS[file] ?? [];
    if (values.list) {
      for (const m of mutants) console.log(`${m.file}:${m.line}  ${m.change}  ${m.code}`);
      continue;
    }
    console.log(`\n${file}: ${mutants.length} mutants, tests ${tests.join(" ")}`);
    const baselineStarted = Date.now();
    const baseline = await testsPass(tests, given ?? 30 * 60_000);
    if (!baseline.pass) throw new Error(`The tests of ${file} fail without any mutation:\n${baseline.output}`);
    // A mutant that makes the tests loop for ever counts as killed once it takes five times as long as they do.
    const timeoutMs = given ?? Math.max(60_000, 5 * (Date.now() - baselineStarted));
    for (const [i, mutant] of mutants.entries()) {
      const started = Date.now();
      restore = () => writeFileSync(path, original);
      let outcome: Outcome;
      try {
        writeFileSync(path, mutant.text);
        const run = await testsPass(tests, timeoutMs);
        outcome = run.timedOut ? "timed out" : run.pass ? "survived" : "killed";
      } finally {
        writeFileSync(path, original);
        restore = undefined;
      }
      const reason = outcome === "survived" ? equivalence(mutant) : undefined;
      if (reason !== undefined) {
        outcome = "equivalent";
        explained.push({ mutant, reason });
      } else if (outcome === "survived") {
        survivors.push(mutant);
      }
      counts[outcome] += 1;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        `  [${i + 1}/${mutants.length}] ${outcome.padEnd(10)} ${file}:${mutant.line}  ${mutant.change}  (${seconds} s)`,
      );
    }
  }
  if (values.list) return;

  const tried = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(
    `\n${tried} mutants: ${counts.killed} killed, ${counts["timed out"]} timed out (killed), ` +
      `${counts.equivalent} equivalent, ${counts.survived} survived`,
  );
  for (const { mutant, reason } of explained) {
    console.log(`  equivalent ${mutant.file}:${mutant.line}  ${mutant.change}  ${mutant.code}\n    ${reason}`);
  }
  for (const mutant of survivors)
    console.log(`  SURVIVED ${mutant.file}:${mutant.line}  ${mutant.change}  ${mutant.code}`);
  process.exitCode = survivors.length > 0 ? 1 : 0;
}

await main();
