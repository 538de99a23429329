/**
 * Loaded into each mocha worker (hardhat.config.ts). Hardhat starts the workers with its TypeScript loader
 * (tsx) in NODE_OPTIONS, and every process a test starts would inherit it: about 0.6 s of CPU per child
 * process, for nothing where Node strips types itself. Those children start without it.
 */
import module from "node:module";

const TSX_IMPORT = /--import\s+("[^"]*[/\\]tsx[/\\][^"]*"|\S*[/\\]tsx[/\\]\S*)/g;

if (process.features.typescript && process.env.NODE_OPTIONS !== undefined) {
  const options = process.env.NODE_OPTIONS.replace(TSX_IMPORT, "").trim();
  if (options.length === 0) delete process.env.NODE_OPTIONS;
  else process.env.NODE_OPTIONS = options;
}

/**
 * V8's compiled code for every module, kept on disk across processes: each `pop`, Ponder and fault child then
 * skips compiling what an earlier one compiled (decision 030). The workers' own later imports use it too.
 */
const COMPILE_CACHE = new URL("../../node_modules/.cache/proof-of-process/compile-cache", import.meta.url).pathname;
process.env.NODE_COMPILE_CACHE ??= COMPILE_CACHE;
module.enableCompileCache?.(process.env.NODE_COMPILE_CACHE);
