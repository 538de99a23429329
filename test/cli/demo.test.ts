import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
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

  it("anchors the example manifest through the pipeline on the local chain and verifies it with only RPC and gateway", async () => {
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
    expect(stdout).to.match(/^anchored .*manifest\.jsonl: 3 packets, chain [0-9a-f-]{36}$/m);
    expect(stdout).to.match(/^ {2}tx 0x[0-9a-f]{64}, block \d+, gas \d+$/m);
    expect(stdout).to.include("npx pop verify --tenant studio-aurora");
    expect(stdout).to.include("npx pop anchor <your manifest.jsonl>");
    expect(stdout.match(/^ {2}recorded packets$/gm)).to.have.length(1);
    const receipt = JSON.parse(await readFile(join(dir, "run", "manifest.receipt.json"), "utf8"));
    expect(receipt.packetCids).to.have.length(3);
    expect(stdout).to.include(receipt.transaction.hash);
  });
});
