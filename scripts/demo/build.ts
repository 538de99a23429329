/**
 * Builds the contracts before a script needs their artifacts: `npm start` runs
 * under tsx, outside `hardhat run`, so nothing else would (a fresh clone has no
 * artifacts/), and `npm run deploy` builds here, after saying so, rather than
 * letting `hardhat run` compile in silence for a minute or two.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

/** The build profile in force: `--build-profile` of `hardhat run`, else Hardhat's `default`. */
export function buildProfileOf(hre: HardhatRuntimeEnvironment): string {
  return hre.globalOptions.buildProfile || "default";
}

/**
 * The Solidity root files the build would compile under `profile` (none when the artifacts
 * and Hardhat's cache are up to date). Asks the build system, so it agrees with the build.
 */
export async function sourcesToCompile(hre: HardhatRuntimeEnvironment, profile: string): Promise<string[]> {
  const roots = await hre.solidity.getRootFilePaths();
  const jobs = await hre.solidity.getCompilationJobs(roots, { buildProfile: profile, quiet: true });
  // No job could be made (a pragma no compiler fits): the build itself reports why.
  if (!jobs.success) return roots;
  return [...jobs.compilationJobsPerFile.keys()];
}

/**
 * Runs Hardhat's `build` task quietly; when it has work to do, `say` is told first, since the
 * first build (the WASM compiler, 10,000 optimizer runs) takes a minute or two with no output.
 * Returns the number of root files that needed compiling.
 */
export async function buildContracts(hre: HardhatRuntimeEnvironment, say: (line: string) => void): Promise<number> {
  const profile = buildProfileOf(hre);
  const pending = await sourcesToCompile(hre, profile);
  if (pending.length > 0)
    say(`Compiling contracts with the ${profile} profile (takes a minute or two the first time)…`);
  // As `hardhat run` does: tests are built with the contracts unless Hardhat compiles them separately.
  await hre.tasks
    .getTask("build")
    .run({ quiet: true, noTests: hre.config.solidity.splitTestsCompilation, defaultBuildProfile: profile });
  return pending.length;
}
