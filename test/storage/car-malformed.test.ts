import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { BaseError } from "../../src/errors.ts";
import { encodeCanonical } from "../../src/evidence/cbor/encode.ts";
import { Tagged } from "../../src/evidence/cbor/types.ts";
import { carRoots, decodeCar, encodeCar } from "../../src/storage/car.ts";
import { CidMismatchError, ContentTooLargeError, MalformedCarError } from "../../src/storage/errors.ts";
import { MAX_BLOCK_BYTES } from "../../src/storage/limits.ts";
import { LocalStore } from "../../src/storage/local.ts";
import { assertCarRoots, CarRootsError } from "../../src/storage/providers/cids.ts";
import { splitCar } from "../../src/storage/providers/splitCar.ts";
import { rawBlock } from "../../src/storage/unixfs.ts";
import { rejection } from "../helpers/rejection.ts";

const block = rawBlock(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
const car = encodeCar([block.cid], [block]);
const root = block.cid.toString();

/** A CAR whose header is `header` encoded as canonical CBOR (the project's encoder writes DAG-CBOR links as tag 42). */
function withHeader(header: unknown): Uint8Array {
  const bytes = encodeCanonical(header as Parameters<typeof encodeCanonical>[0]);
  return Uint8Array.from([bytes.length, ...bytes]);
}

/** The one case past the header, which carRoots (it reads only the header) does not see. */
const SECTION_CUT = "a section cut inside its block";

/** Each way of cutting a CAR short that a hostile gateway or a broken upload produces, with the sentence it gets. */
const TRUNCATED: readonly [name: string, bytes: Uint8Array, sentence: RegExp][] = [
  ["a CAR of 1 byte", car.subarray(0, 1), /^Malformed CAR at byte 1: the header claims \d+ bytes but 0 follow\.$/],
  ["a CAR of 3 bytes", car.subarray(0, 3), /^Malformed CAR at byte 1: the header claims \d+ bytes but 2 follow\.$/],
  ["a CAR of 10 bytes", car.subarray(0, 10), /^Malformed CAR at byte 1: the header claims \d+ bytes but 9 follow\.$/],
  ["an empty CAR", new Uint8Array(0), /^Malformed CAR at byte 0: the CAR ends inside the header length\.$/],
  [
    "a header length varint claiming 2^28 bytes",
    Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x01, 0xa2),
    /^Malformed CAR at byte 5: the header claims 268435456 bytes but 1 follow\.$/,
  ],
  [
    "a varint that never ends",
    new Uint8Array(12).fill(0xff),
    /^Malformed CAR at byte 0: the CAR ends inside the header length\.$/,
  ],
  [
    SECTION_CUT,
    car.subarray(0, car.length - 3),
    /^Malformed CAR at byte \d+: a section claims 46 bytes but 43 follow\.$/,
  ],
  [
    "a header root whose CID is cut short",
    withHeader({ roots: [new Tagged(42, Uint8Array.of(0, 1, 0x55, 0x12, 0x20, 1, 2))], version: 1 }),
    /^Malformed CAR at byte 1: root 0 of the header is not a CID \(truncated CID at byte 1\)\.$/,
  ],
  ["a header that is CBOR null", withHeader(null), /^Malformed CAR at byte 1: the header is not a map\.$/],
  [
    "a header of another CAR version",
    withHeader({ roots: [], version: 2 }),
    /^Malformed CAR at byte 1: the header does not say version 1\.$/,
  ],
];

describe("CAR readers and malformed input", () => {
  describe("decodeCar and carRoots", () => {
    for (const [name, bytes, sentence] of TRUNCATED) {
      it(`answer ${name} with MalformedCarError and a sentence, never a RangeError`, () => {
        const readers = name === SECTION_CUT ? [decodeCar] : [decodeCar, carRoots];
        for (const read of readers) {
          expect(() => read(bytes), `${read.name}: ${name}`)
            .to.throw(MalformedCarError)
            .with.property("shortMessage")
            .that.matches(sentence);
        }
      });
    }

    it("throw only the typed CAR errors for any truncated or corrupted CAR (property, seed pinned)", () => {
      const seeds = [car, encodeCar([block.cid, rawBlock(randomBytes(40)).cid], [block])];
      fc.assert(
        fc.property(
          fc.constantFrom(...seeds),
          fc.nat(),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
          (source, cut, flips) => {
            const bytes = Uint8Array.from(source.subarray(0, cut % (source.length + 1)));
            for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
            for (const read of [() => decodeCar(bytes), () => carRoots(bytes)]) {
              try {
                read();
              } catch (error) {
                expect(error).to.satisfy(
                  (e: unknown) =>
                    e instanceof MalformedCarError ||
                    e instanceof CidMismatchError ||
                    e instanceof ContentTooLargeError,
                  `${(error as Error).name}: ${(error as Error).message}`,
                );
              }
            }
          },
        ),
        { seed: 13, numRuns: 3000 },
      );
    });

    it("refuse a block over MAX_BLOCK_BYTES and a CAR over the caller's budget", () => {
      const big = rawBlock(new Uint8Array(MAX_BLOCK_BYTES + 1));
      const bigCar = encodeCar([big.cid], [big]);
      expect(() => decodeCar(bigCar, "a gateway")).to.throw(
        ContentTooLargeError,
        /in the CAR from a gateway is larger than the limit of 2 MiB/,
      );
      expect(() => decodeCar(car, "a gateway", { maxBytes: car.length - 1 })).to.throw(
        ContentTooLargeError,
        /^The CAR from a gateway is larger than the limit/,
      );
      expect(decodeCar(car, "a gateway", { maxBytes: car.length }).blocks.size).to.equal(1);
    });
  });

  describe("every other reader of CAR bytes", () => {
    const cuts = TRUNCATED.filter(([name]) => name.startsWith("a CAR of"));

    it("LocalStore.putCar rejects with MalformedCarError", async () => {
      const dir = await mkdtemp(join(tmpdir(), "pop-car-malformed-"));
      try {
        const store = new LocalStore(dir);
        for (const [name, bytes] of cuts) {
          expect(await rejection(store.putCar(bytes, [root])), name).to.be.instanceOf(MalformedCarError);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("splitCar (Pinata's multi-root uploads) rejects with MalformedCarError", async () => {
      for (const [name, bytes] of cuts)
        expect(await rejection(splitCar(bytes, [root])), name).to.be.instanceOf(MalformedCarError);
    });

    it("assertCarRoots (Kubo and Pinata before any upload) rejects with CarRootsError caused by MalformedCarError", async () => {
      for (const [name, bytes] of cuts) {
        const error = await rejection(assertCarRoots(bytes, [root]));
        expect(error, name).to.be.instanceOf(CarRootsError);
        expect(error.cause, name).to.be.instanceOf(MalformedCarError);
        expect(error).to.be.instanceOf(BaseError);
      }
    });
  });
});
