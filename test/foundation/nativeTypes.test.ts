import { readdirSync, readFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { join, relative } from "node:path";
import { expect } from "chai";

const root = join(import.meta.dirname, "../..");
/** Where Node itself loads the project's TypeScript (bin/pop.js, scripts, test children); types/ is generated and only ever imported as types. */
const FOLDERS = ["src", "scripts", "test", "indexer/src", "hardhat.config.ts"];

function typeScriptFiles(path: string): string[] {
  if (path.endsWith(".ts")) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() || entry.name.endsWith(".ts") ? typeScriptFiles(join(path, entry.name)) : [],
  );
}

describe("the project's TypeScript", () => {
  it("runs on Node's own type stripping: no parameter properties, enums or namespaces (Node ≥ 22.18 runs pop without tsx)", () => {
    const refused: string[] = [];
    for (const file of FOLDERS.flatMap((folder) => typeScriptFiles(join(root, folder))))
      try {
        stripTypeScriptTypes(readFileSync(file, "utf8"), { mode: "strip" });
      } catch (error) {
        refused.push(`${relative(root, file)}: ${(error as Error).message.split("\n")[0]}`);
      }
    expect(refused).to.deep.equal([]);
  });

  it("catches what Node refuses", () => {
    expect(() => stripTypeScriptTypes("class A { constructor(readonly a: number) {} }", { mode: "strip" })).to.throw();
  });
});
