import { expect } from "chai";
import { toHex } from "../../src/bytes.ts";
import { cidFromSha256, contentCid, rawCid, sha256FromRawCid, UNIXFS_CHUNK_SIZE } from "../../src/evidence/cid.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

describe("CIDs", () => {
  // `ipfs add --cid-version 1 --raw-leaves` of these bytes, as IPFS documentation and tooling report them.
  const known: [string, Uint8Array, string][] = [
    ["hello world", utf8("hello world"), "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"],
    ["the empty file", new Uint8Array(), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"],
  ];
  for (const [name, bytes, cid] of known) {
    it(`gives ${name} its known raw CIDv1`, async () => {
      expect(rawCid(bytes)).to.equal(cid);
      expect(await contentCid(bytes)).to.equal(cid);
    });
  }

  it("puts the SHA-256 digest itself in the CID, so packetCid and packetHash name the same bytes", () => {
    const digest = sha256FromRawCid("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e") as Uint8Array;
    expect(toHex(digest)).to.equal("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
    expect(cidFromSha256(digest)).to.equal("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
  });

  it("reads a digest only from a canonical raw sha2-256 CIDv1", () => {
    expect(sha256FromRawCid("QmWATWQ7fVPP2EFGu71UkfnqhYXDYH566qy47CnJDgvs8u")).to.equal(undefined); // CIDv0, dag-pb
    expect(sha256FromRawCid("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi")).to.equal(undefined); // dag-pb
    expect(sha256FromRawCid("BAFKREIFZJUT3TE2NHYEKKLSS27NH3K72YSCO7Y32KOAO5EEI66WOF36N5E")).to.equal(undefined); // other base
    expect(sha256FromRawCid("not a cid")).to.equal(undefined);
  });

  it("addresses content larger than one chunk as a UnixFS (dag-pb) root, as Kubo does", async () => {
    expect(await contentCid(new Uint8Array(UNIXFS_CHUNK_SIZE))).to.match(/^bafkrei/);
    expect(await contentCid(new Uint8Array(UNIXFS_CHUNK_SIZE + 1))).to.match(/^bafybei/);
  });
});
