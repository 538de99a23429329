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

  it("signs the example's three stages, stores, anchors on the local chain and verifies with only RPC and gateway", async () => {
    const script = new URL("../../scripts/demo.ts", import.meta.url).pathname;
    const tsx = new URL("../../node_modules/tsx/dist/cli.mjs", import.meta.url).pathname;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [tsx, script, "--exit"],
        { env: { ...process.env, POP_DEMO_DIR: dir, POP_KEY_PASSPHRASE: "" } },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      );
    });
    expect(stdout).to.match(/^verification \(4-step protocol, RPC \+ gateway only\): valid$/m);
    expect(stdout).to.match(/^anchored {6}block \d+, tx 0x[0-9a-f]{64}/m);
    expect(stdout).to.include("npx pop verify --tenant studio-aurora");
    expect(stdout.match(/^packet {2}/gm)).to.have.length(3);
    expect(await readdir(join(dir, "packets"))).to.have.length(3);
  });
});
