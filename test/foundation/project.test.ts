import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { expect } from "chai";
import { SOLC_VERSION } from "../../hardhat.config.ts";

const root = new URL("../../", import.meta.url);
const json = (path: string) => JSON.parse(readFileSync(new URL(path, root), "utf8"));

describe("the project", () => {
  it("compiles with the solc npm package of exactly the configured version", () => {
    const solc = createRequire(root)("solc/package.json") as { version: string };
    expect(solc.version).to.equal(SOLC_VERSION);
    expect(json("package.json").devDependencies.solc).to.equal(SOLC_VERSION);
  });

  it("is ESM, needs Node 22.15 or later (the newest minimum of its dependencies), checked before install, and has the documented scripts", () => {
    const pkg = json("package.json");
    expect(pkg.type).to.equal("module");
    expect(pkg.engines.node).to.equal(">=22.15");
    expect(pkg.scripts.preinstall).to.equal("node scripts/node/check.cjs");
    for (const script of ["build", "test", "lint", "bench", "start"]) expect(pkg.scripts).to.have.property(script);
    expect(pkg.bin.pop).to.equal("bin/pop.js");
  });

  it("has a lockfile entry for every optional platform package, so `npm ci` accepts it", () => {
    const lock = json("package-lock.json") as {
      packages: Record<string, { optionalDependencies?: Record<string, string> }>;
    };
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        if (!lock.packages[`node_modules/${name}`] && !lock.packages[`${path}/node_modules/${name}`])
          missing.push(name);
      }
    }
    expect(missing, "run `npm run lockfile:fix`").to.deep.equal([]);
  });
});
