import { randomBytes } from "node:crypto";
import { CarBufferReader } from "@ipld/car/buffer-reader";
import * as dagPb from "@ipld/dag-pb";
import { expect } from "chai";
import fc from "fast-check";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { carRoots, decodeCar, encodeCar } from "../../src/storage/car.ts";
import { cidText, readCid } from "../../src/storage/cidBytes.ts";
import { CidMismatchError, MalformedCarError } from "../../src/storage/errors.ts";
import { fileBlocks, rawBlock } from "../../src/storage/unixfs.ts";

describe("CAR files", () => {
  it("print and read CIDs exactly as multiformats does (v1 raw, v1 dag-pb, v0)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.constantFrom(0x55, dagPb.code, 0x71),
        (digest, codec) => {
          const cid = CID.createV1(codec, Digest.create(0x12, digest));
          expect(cidText(cid.bytes)).to.equal(cid.toString());
          const v0 = CID.createV0(Digest.create(0x12, digest));
          expect(cidText(v0.bytes)).to.equal(v0.toString());
          const view = readCid(Uint8Array.from([9, ...cid.bytes, 7]), 1);
          expect([view.end, view.hashCode]).to.deep.equal([1 + cid.bytes.length, 0x12]);
        },
      ),
      { seed: 32, numRuns: 300 },
    );
  });

  it("round-trip: our encoder's CARs read back with @ipld/car and with ours, roots and blocks intact", async () => {
    const file = await fileBlocks(randomBytes(600_000));
    const packets = Array.from({ length: 30 }, () => rawBlock(randomBytes(600)));
    const roots = [file.root, ...packets.map((b) => b.cid)];
    const car = encodeCar(roots, [...file.blocks, ...packets]);
    const reference = CarBufferReader.fromBytes(car);
    expect(reference.getRoots().map(String)).to.deep.equal(roots.map(String));
    expect(reference.blocks().map((b) => b.cid.toString())).to.deep.equal(
      [...file.blocks, ...packets].map((b) => b.cid.toString()),
    );
    const ours = decodeCar(car);
    expect(ours.roots).to.deep.equal(roots.map(String));
    expect(carRoots(car)).to.deep.equal(roots.map(String));
    expect(ours.blocks.size).to.equal(file.blocks.length + packets.length);
  });

  it("rejects a block whose bytes do not match its CID", () => {
    const block = rawBlock(randomBytes(100));
    const car = encodeCar([block.cid], [{ cid: block.cid, bytes: randomBytes(100) }]);
    expect(() => decodeCar(car, "a gateway")).to.throw(CidMismatchError, /a gateway answered/);
  });

  it("rejects truncated and malformed CARs as malformed, never as valid", () => {
    const block = rawBlock(randomBytes(100));
    const car = encodeCar([block.cid], [block]);
    let validPrefixes = 0;
    for (let cut = 1; cut < car.length; cut++) {
      let blocks: number | undefined;
      try {
        blocks = decodeCar(car.subarray(0, cut)).blocks.size;
      } catch (error) {
        expect(error, `cut at ${cut}`).to.be.instanceOf(MalformedCarError);
      }
      // Only the header alone is a complete CAR (with no blocks); every other prefix is malformed.
      if (blocks !== undefined) {
        expect(blocks, `cut at ${cut}`).to.equal(0);
        validPrefixes += 1;
      }
    }
    expect(validPrefixes).to.equal(1);
    const garbage = Uint8Array.from([...car.subarray(0, car.length - 137), 3, 0x09, 0x09, 0x09]);
    expect(() => decodeCar(garbage)).to.throw(MalformedCarError);
  });
});
