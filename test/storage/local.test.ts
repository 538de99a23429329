import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { contentCid, rawCid } from "../../src/evidence/cid.ts";
import { decodeCar } from "../../src/storage/car.ts";
import { CidMismatchError } from "../../src/storage/errors.ts";
import { startGateway } from "../../src/storage/gateway.ts";
import { LocalStore } from "../../src/storage/local.ts";
import { parseCid } from "../../src/storage/unixfs.ts";

describe("LocalStore and its trustless gateway", () => {
  let dir: string;
  let store: LocalStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-store-"));
    store = new LocalStore(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("stores a small object as one raw block and a large one as a UnixFS DAG, under the CIDs Kubo reports", async () => {
    const small = randomBytes(600);
    const large = randomBytes(700_000);
    expect(await store.add(small))
      .to.equal(rawCid(small))
      .and.match(/^bafkrei/);
    const largeCid = await store.add(large);
    expect(largeCid)
      .to.equal(await contentCid(large))
      .and.match(/^bafybei/);
    expect(Buffer.from((await store.get(largeCid)) as Uint8Array).equals(large)).to.equal(true);
    expect(await store.has(largeCid)).to.equal(true);
    expect(await store.has(rawCid(randomBytes(8)))).to.equal(false);
  });

  it("refuses to store bytes under another CID", async () => {
    const error = await store.put(randomBytes(10), rawCid(randomBytes(10))).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(CidMismatchError);
  });

  it("verifies every read: a block changed on disk is dropped, not served", async () => {
    const bytes = randomBytes(600);
    const cid = await store.add(bytes);
    const shard = (await readdir(dir))[0] as string;
    const file = join(dir, shard, (await readdir(join(dir, shard)))[0] as string);
    await writeFile(file, randomBytes(600));
    expect(await store.get(cid)).to.equal(undefined);
    expect(await store.has(cid)).to.equal(false);
  });

  describe("gateway", () => {
    it("serves ?format=raw and ?format=car with the trustless content types", async () => {
      const bytes = randomBytes(600_000);
      const cid = await store.add(bytes);
      const gateway = await startGateway(store);
      try {
        const car = await fetch(`${gateway.url}/ipfs/${cid}?format=car`);
        expect(car.status).to.equal(200);
        expect(car.headers.get("content-type")).to.match(/^application\/vnd\.ipld\.car; version=1/);
        const decoded = decodeCar(new Uint8Array(await car.arrayBuffer()));
        expect(decoded.roots.map(String)).to.deep.equal([cid]);
        expect(decoded.blocks.size).to.equal(4); // root + 3 leaves

        const raw = await fetch(`${gateway.url}/ipfs/${cid}`, { headers: { accept: "application/vnd.ipld.raw" } });
        expect(raw.status).to.equal(200);
        expect(raw.headers.get("content-type")).to.equal("application/vnd.ipld.raw");
        expect(
          Buffer.from(await raw.arrayBuffer()).equals(Buffer.from(decoded.blocks.get(cid) as Uint8Array)),
        ).to.equal(true);
        expect(raw.headers.get("etag")).to.equal(`"${cid}.raw"`);
      } finally {
        await gateway.close();
      }
    });

    it("answers 400 for a bad CID, 404 for a missing one, 406 without a verifiable format, 405 for POST", async () => {
      const gateway = await startGateway(store);
      try {
        const missing = rawCid(randomBytes(4));
        expect((await fetch(`${gateway.url}/ipfs/not-a-cid?format=raw`)).status).to.equal(400);
        expect((await fetch(`${gateway.url}/ipfs/${missing}?format=raw`)).status).to.equal(404);
        expect((await fetch(`${gateway.url}/ipfs/${missing}`)).status).to.equal(406);
        expect((await fetch(`${gateway.url}/ipfs/${missing}?format=tar`)).status).to.equal(406);
        expect((await fetch(`${gateway.url}/ipfs/${missing}?format=raw`, { method: "POST" })).status).to.equal(405);
        const head = await fetch(`${gateway.url}/ipfs/${await store.add(Buffer.from("hello world"))}?format=raw`, {
          method: "HEAD",
        });
        expect(head.status).to.equal(200);
        expect(head.headers.get("content-length")).to.equal("11");
      } finally {
        await gateway.close();
      }
    });
  });

  it("parses CIDs strictly", () => {
    expect(() => parseCid("bafy-not-base32")).to.throw(/is not a CID/);
  });
});
