/**
 * Loaded into each mocha worker (hardhat.config.ts). Hardhat starts the workers with its TypeScript loader
 * (tsx) in NODE_OPTIONS, and every process a test starts would inherit it: about 0.6 s of CPU per child
 * process, for nothing where Node strips types itself. Those children start without it.
 */
const TSX_IMPORT = /--import\s+("[^"]*[/\\]tsx[/\\][^"]*"|\S*[/\\]tsx[/\\]\S*)/g;

if (process.features.typescript && process.env.NODE_OPTIONS !== undefined) {
  const options = process.env.NODE_OPTIONS.replace(TSX_IMPORT, "").trim();
  if (options.length === 0) delete process.env.NODE_OPTIONS;
  else process.env.NODE_OPTIONS = options;
}
