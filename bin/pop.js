#!/usr/bin/env node
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
