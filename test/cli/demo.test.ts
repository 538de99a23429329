import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";

describe("npm start (the example pipeline)", function () {
  this.timeout(30_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-demo-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("signs the example's three stages, chains them and verifies the chain", async () => {
    const script = new URL("../../scripts/demo.ts", import.meta.url).pathname;
    const tsx = new URL("../../node_modules/tsx/dist/cli.mjs", import.meta.url).pathname;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [tsx, script],
        { env: { ...process.env, POP_DEMO_DIR: dir, POP_KEY_PASSPHRASE: "" } },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      );
    });
    expect(stdout).to.match(/^verification: valid$/m);
    expect(stdout.match(/^packet {2}/gm)).to.have.length(3);
    expect(await readdir(join(dir, "packets"))).to.have.length(3);
  });
});
