import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { WebBuildError, writeStaticWebApp } from "../../src/web/static.ts";
import { pop } from "../helpers/pop.ts";

describe("the web app as static files (pop web build)", function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-site-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("writes the pages, the bundle and a config.json with the endpoints checked", async () => {
    await writeStaticWebApp(join(dir, "site"), {
      rpcUrl: "https://mainnet.base.org",
      gateways: ["https://trustless-gateway.link"],
      registry: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
      receiptsApiUrl: "https://receipts.example.org/",
    });
    expect((await readdir(join(dir, "site"))).sort()).to.deep.equal(["app.css", "app.js", "config.json", "index.html"]);
    expect(JSON.parse(await readFile(join(dir, "site", "config.json"), "utf8"))).to.deep.equal({
      rpcUrl: "https://mainnet.base.org",
      gateways: ["https://trustless-gateway.link"],
      registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      receiptsApiUrl: "https://receipts.example.org/",
    });
    expect(await readFile(join(dir, "site", "index.html"), "utf8")).to.include('<script type="module" src="app.js">');
  });

  it("names a setting it cannot use and writes nothing", async () => {
    const target = join(dir, "site");
    for (const [defaults, field] of [
      [{ rpcUrl: "ftp://node" }, "rpcUrl"],
      [{ gateways: ["https://ok.example", "javascript:alert(1)"] }, "gateways[1]"],
      [{ registry: "0x1234" }, "registry"],
      [{ receiptsApiUrl: "receipts" }, "receiptsApiUrl"],
    ] as const) {
      const error = await writeStaticWebApp(target, defaults).catch((e: unknown) => e);
      expect(error, field).to.be.instanceOf(WebBuildError).with.property("field", field);
    }
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it("is a pop command: the files written, or exit 2 naming the option", async () => {
    const target = join(dir, "out");
    const built = await pop(dir, ["web", "build", target, "--gateway", "http://127.0.0.1:8080", "--json"]);
    expect(built.code, built.stderr).to.equal(0);
    expect(JSON.parse(built.stdout).files).to.have.length(4);
    const refused = await pop(dir, ["web", "build", target, "--registry", "nope"]);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.include("--registry: must be a 0x address");
  });
});
