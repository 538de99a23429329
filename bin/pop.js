#!/usr/bin/env node
// Runs the TypeScript sources directly: Node ≥ 22.18 strips types natively; older Node 22 loads tsx first.
if (!process.features.typescript) {
  const { register } = await import("tsx/esm/api");
  register();
}
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
