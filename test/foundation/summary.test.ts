import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";

const root = new URL("../../", import.meta.url).pathname;
const hardhat = new URL("../../node_modules/hardhat/dist/src/cli.js", import.meta.url).pathname;

describe("the test summary", function () {
  this.timeout(120_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-summary-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("does not count pending tests as passing", async () => {
    const file = join(dir, "mixed.test.ts");
    await writeFile(
      file,
      `describe("mixed", () => {\n  it("passes", () => {});\n  it("is pending");\n  it("is skipped", function () {\n    this.skip();\n  });\n});\n`,
    );
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [hardhat, "test", "--no-compile", file],
        { cwd: root, env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" } },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${out}\n${err}`)) : resolve(out)),
      ),
    );
    expect(stdout).to.match(/^1 passing \(1 mocha\)$/m);
    expect(stdout).to.match(/^2 skipped \(2 mocha\)$/m);
  });
});
