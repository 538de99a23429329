import { createHash } from "node:crypto";
import { expect } from "chai";
import { toHex } from "../../src/bytes.ts";
import { fileSha256 } from "../../web/src/hashFile.ts";

describe("the origin page's file hash (web/src/hashFile.ts)", () => {
  const bytes = Buffer.alloc(40 * 1024 * 1024 + 17);
  for (let i = 0; i < bytes.length; i += 4099) bytes[i] = i & 0xff;
  const expected = createHash("sha256").update(bytes).digest("hex");

  it("gives the SHA-256 of a file hashed whole (WebCrypto) and of one streamed in chunks, with progress", async () => {
    const file = new Blob([bytes]);
    expect(toHex(await fileSha256(file))).to.equal(expected);
    const reports: number[] = [];
    expect(toHex(await fileSha256(file, (done) => reports.push(done), 0))).to.equal(expected);
    // At most every 16 MiB (chunks are as large as the runtime makes them), each further than the last.
    expect(reports.length).to.be.within(1, 2);
    expect(reports).to.deep.equal([...reports].sort((x, y) => x - y));
    expect(reports.every((done) => done >= 16 * 1024 * 1024 && done <= bytes.length)).to.equal(true);
  });

  it("hashes an empty file both ways", async () => {
    const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    expect(toHex(await fileSha256(new Blob([])))).to.equal(empty);
    expect(toHex(await fileSha256(new Blob([]), () => {}, -1))).to.equal(empty);
  });
});
