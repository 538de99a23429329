import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";

const root = new URL("../../", import.meta.url);
const check = new URL("scripts/node/check.cjs", root).pathname;
const json = (path: string) => JSON.parse(readFileSync(new URL(path, root), "utf8"));
const version = (text: string) => text.split(".").map(Number) as [number, number, number];
const atLeast = (a: number[], b: number[]) => {
  for (let i = 0; i < 3; i += 1) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
};

/** Runs the install-time check as if the machine's Node were `node`. */
async function runCheck(node: string, dir: string) {
  const preload = join(dir, `node-${node}.cjs`);
  await writeFile(
    preload,
    `Object.defineProperty(process, "versions", { value: { ...process.versions, node: ${JSON.stringify(node)} } });`,
  );
  return new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, ["-r", preload, check], (error, _stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stderr }),
    );
  });
}

describe("the Node version check (npm ci, npm start, npm test)", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-node-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("asks for no older Node than any installed package needs", () => {
    const ours = version((/^>=(.+)$/.exec(json("package.json").engines.node) as RegExpExecArray)[1] as string);
    const lock = json("package-lock.json") as { packages: Record<string, { engines?: { node?: string } }> };
    const tooOld: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      // Only plain lower bounds: ranges with alternatives ("^14 || >=16") are met by any recent Node.
      const bound = /^>=\s*v?(\d+(?:\.\d+){0,2})$/.exec(entry.engines?.node?.trim() ?? "");
      if (bound && !atLeast(ours, version(bound[1] as string))) tooOld.push(`${path} (${entry.engines?.node})`);
    }
    expect(tooOld).to.deep.equal([]);
  });

  it("stops an older Node with the fix in the message, and lets the minimum and newer pass", async () => {
    const old = await runCheck("20.20.2", dir);
    expect(old.code).to.equal(1);
    expect(old.stderr).to.include("needs Node ≥ 22.15; this is Node 20.20.2");
    expect(old.stderr).to.include("nvm install");
    expect(old.stderr).to.include("npx -y -p node@24");
    expect((await runCheck("22.14.9", dir)).code).to.equal(1);
    expect(await runCheck("22.15.0", dir)).to.deep.equal({ code: 0, stderr: "" });
    expect(await runCheck("24.0.0", dir)).to.deep.equal({ code: 0, stderr: "" });
  });

  it("names the same Node in .nvmrc and .node-version, one the engines range accepts", () => {
    const nvmrc = readFileSync(new URL(".nvmrc", root), "utf8").trim();
    expect(readFileSync(new URL(".node-version", root), "utf8").trim()).to.equal(nvmrc);
    expect(Number(nvmrc)).to.be.at.least(23);
  });
});
