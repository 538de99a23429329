/**
 * `npm test`: linters, contracts, type-check, Solidity and TypeScript tests. The linters, the contracts' build
 * and the type-check each run on one thread, and the tests keep both cores busy only once they run: so the
 * linters and the build run side by side, and the type-check (about 25 s) from the end of the build, beside the
 * linters and then beside the tests (decision 030). A failed lint or build stops before the tests, as
 * `lint && build && test` did. Output comes whole per step, the tests' as they run and the type-check's after
 * them; the exit code is the first failure's.
 */
import { spawn } from "node:child_process";

/** @typedef {{ name: string, code: number, output: Buffer }} Outcome */

/** @param {string} name */
const bin = (name) => new URL(`../../node_modules/.bin/${name}`, import.meta.url).pathname;

/**
 * Runs a step with its output kept, or passed through as it comes when `live`.
 * @param {string} name @param {string} command @param {string[]} args @returns {Promise<Outcome>}
 */
function step(name, command, args, live = false) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", live ? "inherit" : "pipe", live ? "inherit" : "pipe"] });
    /** @type {Buffer[]} */
    const chunks = [];
    child.stdout?.on("data", (chunk) => chunks.push(chunk));
    child.stderr?.on("data", (chunk) => chunks.push(chunk));
    child.once("error", (error) => chunks.push(Buffer.from(`${name}: ${error.message}\n`)));
    child.once("close", (code) => resolve({ name, code: code ?? 1, output: Buffer.concat(chunks) }));
  });
}

/** @param {Outcome} outcome */
function report(outcome) {
  process.stdout.write(outcome.output);
  if (outcome.code !== 0) process.stderr.write(`npm test: ${outcome.name} failed (exit code ${outcome.code})\n`);
}

const lint = step("lint (npm run lint)", "npm", ["run", "--silent", "lint"]);
const build = step("contracts' build (hardhat build)", bin("hardhat"), ["build"]);
// After the build, which writes the contracts' TypeScript types (types/ethers-contracts) that tests import.
// The web app's sources are checked apart, with the browser's DOM types (web/tsconfig.json).
const typecheck = build.then(() => step("type-check (npm run typecheck)", "npm", ["run", "--silent", "typecheck"]));
const prepared = await Promise.all([lint, build]);
prepared.forEach(report);
const failed = prepared.find((outcome) => outcome.code !== 0);
if (failed !== undefined) {
  report(await typecheck);
  process.exit(failed.code);
}
// The runner on V8's baseline WebAssembly compiler, as the processes it starts (test/helpers/node.ts).
const tests = await step(
  "tests (hardhat test)",
  process.execPath,
  ["--liftoff-only", new URL("../../node_modules/hardhat/dist/src/cli.js", import.meta.url).pathname, "test"],
  true,
);
if (tests.code !== 0) process.stderr.write(`npm test: ${tests.name} failed (exit code ${tests.code})\n`);
const checked = await typecheck;
report(checked);
process.exitCode = tests.code || checked.code;
