import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { contentCid } from "../../src/evidence/cid.ts";
import { TEST_NODE_FLAGS } from "../helpers/node.ts";
import { POP, pop } from "../helpers/pop.ts";

describe("pop store and pop gateway", () => {
  let dir: string;
  let env: Record<string, string>;
  let server: ChildProcess | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-store-cli-"));
    env = { POP_STORE_DIR: join(dir, "store"), POP_CACHE_DIR: join(dir, "cache"), POP_STORE_PROVIDERS: "local" };
  });
  after(async () => {
    server?.kill("SIGTERM");
    await rm(dir, { recursive: true, force: true });
  });

  it("puts files, reports where they are held, and serves them to another store through the gateway", async () => {
    const small = randomBytes(600);
    const large = randomBytes(600_000);
    await writeFile(join(dir, "small.bin"), small);
    await writeFile(join(dir, "large.bin"), large);
    const put = await pop(dir, ["store", "put", "small.bin", "large.bin", "--json"], env);
    expect(put.code, put.stderr).to.equal(0);
    const { results } = JSON.parse(put.stdout) as { results: { cid: string; stored: boolean }[] };
    expect(results.map((r) => r.cid)).to.deep.equal([await contentCid(small), await contentCid(large)]);
    expect(results.every((r) => r.stored)).to.equal(true);

    const status = await pop(dir, ["store", "status", results[1]?.cid as string, "--json"], env);
    expect(JSON.parse(status.stdout)).to.include({ local: "held" });

    // A gateway process on a free port, then a second, empty store that reads through it.
    server = spawn(process.execPath, [...TEST_NODE_FLAGS, POP, "gateway", "--port", "0"], {
      cwd: dir,
      env: { ...process.env, ...env },
    });
    const url = await new Promise<string>((resolve, reject) => {
      server?.stdout?.on("data", (chunk: Buffer) => {
        const match = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(chunk.toString());
        if (match) resolve(match[1] as string);
      });
      server?.once("exit", (code) => reject(new Error(`gateway exited with ${code}`)));
    });
    const other = { ...env, POP_STORE_DIR: join(dir, "other-store"), POP_GATEWAYS: url };
    const got = await pop(dir, ["store", "get", results[1]?.cid as string, "--out", "copy.bin", "--json"], other);
    expect(got.code, got.stderr).to.equal(0);
    expect(JSON.parse(got.stdout)).to.include({ source: url, size: 600_000 });
    expect((await readFile(join(dir, "copy.bin"))).equals(large)).to.equal(true);
  });

  it("names a misconfigured provider list", async () => {
    const result = await pop(dir, ["store", "put", "small.bin"], { ...env, POP_STORE_PROVIDERS: "local,nowhere" });
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include('POP_STORE_PROVIDERS names "nowhere"');
  });

  it("rejects a CID that does not parse", async () => {
    const result = await pop(dir, ["store", "get", "not-a-cid", "--out", "x"], env);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include('"not-a-cid" is not a CID');
  });
});
