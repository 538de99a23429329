/**
 * `npm test`: the linters and the contracts' build at once, then the type-check beside the Solidity and
 * TypeScript tests (the type-check needs the build's artifact types). On two cores the suites leave a fifth of
 * the CPU idle while they wait on children and chains, which the type-check fills (decision 030). Each parallel
 * step's output is printed whole once it ends, so outputs never interleave; the exit code is the first failure's.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const HARDHAT = fileURLToPath(new URL("../../node_modules/hardhat/dist/src/cli.js", import.meta.url));

/** Runs a command; `quiet` keeps its output until it ends. Answers its exit code and the kept output. */
function run(command, args, quiet) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: quiet ? ["ignore", "pipe", "pipe"] : "inherit" });
    let output = "";
    child.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    child.once("error", (error) => resolve({ code: 1, output: `${command}: ${error.message}\n` }));
    child.once("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const failed = (...results) => results.find((result) => result.code !== 0)?.code ?? 0;

const checks = await Promise.all([run(npm, ["run", "lint"], true), run(process.execPath, [HARDHAT, "build"], true)]);
for (const { output } of checks) process.stdout.write(output);
if (failed(...checks) !== 0) process.exit(failed(...checks));

const typecheck = run(npm, ["run", "--silent", "typecheck"], true);
const tests = await run(process.execPath, ["--liftoff-only", HARDHAT, "test"], false);
const types = await typecheck;
process.stdout.write(types.code === 0 ? "Type-check: no errors.\n" : `Type-check failed:\n${types.output}`);
process.exit(failed(types, tests));
