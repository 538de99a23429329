import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import config from "../../hardhat.config.ts";
import { buildContracts, buildProfileOf, sourcesToCompile } from "../../scripts/demo/build.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

describe("npm start and npm run deploy build the contracts they need", function () {
  this.timeout(120_000);

  it("finds every contract to compile where there are no artifacts yet (a fresh clone)", async () => {
    // A second runtime environment on empty artifacts and cache directories: the shared ones are left alone.
    const dir = await mkdtemp(join(tmpdir(), "pop-build-"));
    try {
      const fresh = await createHardhatRuntimeEnvironment(
        { ...config, paths: { ...config.paths, artifacts: join(dir, "artifacts"), cache: join(dir, "cache") } },
        {},
        root,
      );
      const pending = await sourcesToCompile(fresh, "default");
      expect(pending).to.include(join(root, "contracts/ProcessAnchorRegistry.sol"));
      expect(pending).to.include(join(root, "contracts/CommitRegister.sol"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("says nothing and compiles nothing once the contracts are built", async () => {
    await buildContracts(hre, () => {}); // whatever this worktree lacks, if anything
    const said: string[] = [];
    expect(await buildContracts(hre, (line) => said.push(line))).to.equal(0);
    expect(said).to.deep.equal([]);
    expect(await sourcesToCompile(hre, buildProfileOf(hre))).to.deep.equal([]);
  });

  it("announces a build before running it quietly, naming the profile given to `hardhat run`", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pop-build-"));
    try {
      const fresh = await createHardhatRuntimeEnvironment(
        { ...config, paths: { ...config.paths, artifacts: join(dir, "artifacts"), cache: join(dir, "cache") } },
        { buildProfile: "production" },
        root,
      );
      expect(buildProfileOf(fresh)).to.equal("production");
      expect(buildProfileOf(hre)).to.equal("default");
      // The build task itself is stood in for: compiling for real takes a minute.
      const events: unknown[] = [];
      const task = { run: async (args: unknown) => events.push({ build: args }) };
      const stand = Object.assign(Object.create(fresh), { tasks: { getTask: () => task } }) as typeof fresh;
      const pending = await buildContracts(stand, (line) => events.push(line));
      expect(pending).to.be.greaterThan(1);
      expect(events).to.deep.equal([
        "Compiling contracts with the production profile (takes a minute or two the first time)…",
        { build: { quiet: true, noTests: false, defaultBuildProfile: "production" } },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
