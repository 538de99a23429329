/**
 * `npm start`: the system end to end on embedded defaults. Builds the contracts
 * if needed, starts the local Base and Numbers chains and a gateway, deploys the
 * contracts with Ignition, registers a demo tenant, then anchors the example
 * manifest in examples/lighthouse (real output files) through the anchoring
 * pipeline and verifies it with only the RPC and the gateway (scripts/demo/run.ts).
 *
 * Options: --base-port, --numbers-port, --gateway-port (or POP_BASE_PORT,
 * POP_NUMBERS_PORT, POP_GATEWAY_PORT; defaults 8545, 8546, 8547, 0 takes a free
 * port) and --exit (stop once verified). Writes to .pop/demo/ (ignored by git),
 * or to POP_DEMO_DIR. A wrong option or a busy port is one sentence, exit 2,
 * checked before anything starts. docs/local-system.md describes it all.
 */
import { join } from "node:path";
import { EXIT, UsageError } from "../src/cli/errors.ts";
import { DEMO_USAGE, parseDemoOptions } from "./demo/options.ts";
import { checkPortsFree } from "./demo/ports.ts";

const out = process.env.POP_DEMO_DIR || join(new URL("..", import.meta.url).pathname, ".pop/demo");

async function main(): Promise<number> {
  const options = parseDemoOptions(process.argv.slice(2));
  if (options.help) {
    console.log(`Usage: ${DEMO_USAGE}\nThe local system end to end; see docs/local-system.md.`);
    return EXIT.ok;
  }
  await checkPortsFree(options.ports);
  // Loaded only now: Hardhat takes seconds to start, which a wrong option or a busy port should not wait for.
  const { runDemo } = await import("./demo/run.ts");
  return runDemo(options, out);
}

let code: number;
try {
  code = await main();
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(error.message);
  code = EXIT.usage;
}
// Hardhat's in-process chains keep handles open after their servers close: end the script explicitly.
process.exit(code);
