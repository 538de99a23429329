#!/usr/bin/env node
import module from "node:module";

// V8's compiled code for the CLI's modules, kept across runs (in NODE_COMPILE_CACHE, else the system's temporary
// directory): `pop verify` refusing its arguments took 1.07 s of CPU, and 0.60–0.67 s from the cache (decision 030).
module.enableCompileCache?.();
// Runs the TypeScript sources directly: Node ≥ 22.18 strips types natively; older Node 22 loads tsx first.
if (!process.features.typescript) {
  const { register } = await import("tsx/esm/api");
  register();
}
// A reader that stops early (`pop … | head -1`) closes the pipe: output nobody reads any more is not a crash.
process.stdout.on("error", (error) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(process.exitCode ?? 0);
});
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
