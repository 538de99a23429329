import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { decodeCar } from "../../src/storage/car.ts";
import { type GatewayServer, startGateway } from "../../src/storage/gateway.ts";
import { LocalStore } from "../../src/storage/local.ts";

/** GET with the request target sent exactly as given (fetch would normalise some of these). */
function getRaw(base: string, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base);
    const req = request({ host: hostname, port, path: target, method: "GET" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the local trustless gateway and malformed requests", () => {
  let dir: string;
  let store: LocalStore;
  let gateway: GatewayServer;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-gateway-input-"));
    store = new LocalStore(dir);
    gateway = await startGateway(store);
  });
  afterEach(async () => {
    await gateway.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const segment of ["%E0%A4%A", "%ff", "%", "bafy%zz"]) {
    it(`answers /ipfs/${segment} (percent-encoding that does not decode) with 400 and a sentence`, async () => {
      const answer = await getRaw(gateway.url, `/ipfs/${segment}?format=raw`);
      expect(answer.status).to.equal(400);
      expect(answer.body).to.equal(`The CID in the path, "${segment}", is not valid percent-encoding.\n`);
    });
  }

  it("answers a request target that is no URL path with 400 and a sentence", async () => {
    const answer = await getRaw(gateway.url, "//");
    expect(answer).to.deep.equal({ status: 400, body: "The request target is not a URL path.\n" });
  });

  it("still decodes percent-encoding that is valid: %62 is the b of a CIDv1", async () => {
    const cid = await store.add(new TextEncoder().encode("hello"));
    const answer = await getRaw(gateway.url, `/ipfs/%62${cid.slice(1)}?format=raw`);
    expect(answer).to.deep.equal({ status: 200, body: "hello" });
  });

  it("serves each block of a DAG once (dups=n), however often the file links it", async () => {
    const cid = await store.add(new Uint8Array(1024 * 1024)); // four links to one zero leaf
    const response = await fetch(`${gateway.url}/ipfs/${cid}?format=car`);
    expect(response.headers.get("content-type")).to.equal("application/vnd.ipld.car; version=1; order=dfs; dups=n");
    const car = new Uint8Array(await response.arrayBuffer());
    expect(decodeCar(car).blocks.size).to.equal(2);
    expect(car.length).to.be.lessThan(256 * 1024 + 1024); // the leaf once, not four times
  });
});
