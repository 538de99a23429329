/**
 * `contentCid` must give the CID Kubo reports for the same bytes under its CIDv1 defaults
 * (`ipfs add --cid-version 1`: raw leaves, 262144-byte chunks, balanced layout of at most
 * 174 links). See docs/decisions/006-unixfs-cids.md.
 *
 * Part 1 compares against CIDs that Kubo's own test suite asserts for inputs we can
 * regenerate byte for byte here. Part 2 checks the DAG around every chunk and layout
 * boundary against the UnixFS/dag-pb rules directly, decoding every block ourselves.
 */
import { createCipheriv, createHash } from "node:crypto";
import * as dagPb from "@ipld/dag-pb";
import { expect } from "chai";
import { UnixFS } from "ipfs-unixfs";
import { type ImporterOptions, importBytes } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import type { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { contentCid, rawCid, UNIXFS_CHUNK_SIZE } from "../../src/evidence/cid.ts";

const CHUNK = UNIXFS_CHUNK_SIZE;
const MAX_LINKS = 174;
const SHA2_256 = 0x12;
const utf8 = (text: string) => new TextEncoder().encode(text);
const sha256 = (bytes: Uint8Array) => new Uint8Array(createHash("sha256").update(bytes).digest());
const sha1Hex = (bytes: Uint8Array) => createHash("sha1").update(bytes).digest("hex");
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

/** Kubo's CIDv1 defaults, spelled out for the importer (the same settings as src/evidence/cid.ts). */
const kuboCidV1: ImporterOptions = {
  cidVersion: 1,
  rawLeaves: true,
  reduceSingleLeafToSelf: true,
  chunker: fixedSize({ chunkSize: CHUNK }),
  layout: balanced({ maxChildrenPerNode: MAX_LINKS }),
};

/** A put-only blockstore that keeps every block, so the test can walk the DAG afterwards. */
class MemoryBlocks {
  readonly blocks = new Map<string, Uint8Array>();
  async put(cid: CID, bytes: Uint8Array): Promise<CID> {
    this.blocks.set(cid.toString(), bytes);
    return cid;
  }
  get(cid: CID): Uint8Array {
    const bytes = this.blocks.get(cid.toString());
    if (bytes === undefined) throw new Error(`block ${cid} was not stored`);
    return bytes;
  }
}

async function importedCid(bytes: Uint8Array, options: ImporterOptions): Promise<string> {
  return (await importBytes(bytes, new MemoryBlocks(), options)).cid.toString();
}

// ---------------------------------------------------------------------------------------------
// Generators Kubo's tests use, reimplemented from their published algorithms.
// ---------------------------------------------------------------------------------------------

/**
 * kubo test/cli/testutils/random_deterministic.go `DeterministicRandomReaderBytes(size, seed)`:
 * the ChaCha20 (RFC 8439) keystream under key = sha256(seed), 12-byte zero nonce, counter 0.
 * OpenSSL's "chacha20" takes a 16-byte IV = 32-bit little-endian counter ‖ 96-bit nonce.
 */
function kuboDeterministicBytes(size: number, seed: string): Uint8Array {
  const cipher = createCipheriv("chacha20", sha256(utf8(seed)), new Uint8Array(16));
  return new Uint8Array(cipher.update(new Uint8Array(size)));
}

/*
 * Go's math/rand (v1) `rand.New(rand.NewSource(seed))` followed by `Read`, which is what
 * `random-data -size=N -seed=S` (github.com/ipfs/go-test cli/random-data, math/rand era) writes.
 *
 * The source is an additive lagged Fibonacci generator over 607 words mod 2^64
 * (x[n] = x[n-607] + x[n-273]); Seed fills the words from a Park–Miller LCG XORed with
 * `rngCooked`, which golang/go src/math/rand/gen_cooked.go defines as the generator's state
 * after 7.8e12 steps from srand(1). Those steps are taken here in one jump, by computing
 * x^7.8e12 modulo the characteristic polynomial x^607 - x^334 - 1. Read emits the low 7 bytes
 * (little-endian) of each Int63. 64-bit words are kept as separate high/low 32-bit halves.
 */
const GO_LEN = 607;
const GO_TAP = 273;
const GO_COOKED_STEPS = 7_800_000_000_000;
const TWO32 = 4_294_967_296;

const u32 = (a: Uint32Array, i: number) => a[i] as number;

function goSeedrand(x: number): number {
  // x[n+1] = 48271 * x[n] mod (2^31 - 1), Schrage's method as in Go.
  const next = 48_271 * (x % 44_488) - 3_399 * Math.trunc(x / 44_488);
  return next < 0 ? next + 2_147_483_647 : next;
}

/** Low and high 32 bits of the 64-bit product of two 32-bit words. */
function mul32(a: number, b: number): [number, number] {
  const a1 = a >>> 16;
  const a0 = a & 0xffff;
  const b1 = b >>> 16;
  const b0 = b & 0xffff;
  const low = a0 * b0;
  const mid = a1 * b0 + a0 * b1 + Math.floor(low / 65_536);
  return [Math.imul(a, b) >>> 0, (a1 * b1 + Math.floor(mid / 65_536)) >>> 0];
}

/** Polynomial over Z/2^64: coefficient i is hi[i]·2^32 + lo[i]. */
interface Poly {
  hi: Uint32Array;
  lo: Uint32Array;
}

function addAt(p: Poly, i: number, hi: number, lo: number): void {
  const sum = u32(p.lo, i) + lo;
  p.lo[i] = sum;
  p.hi[i] = u32(p.hi, i) + hi + (sum >= TWO32 ? 1 : 0);
}

/** Reduces modulo x^607 - x^334 - 1 (x^607 ≡ x^334 + 1). */
function reduce(p: Poly): Poly {
  for (let d = p.hi.length - 1; d >= GO_LEN; d--) {
    const hi = u32(p.hi, d);
    const lo = u32(p.lo, d);
    if (hi === 0 && lo === 0) continue;
    addAt(p, d - GO_TAP, hi, lo);
    addAt(p, d - GO_LEN, hi, lo);
  }
  return { hi: p.hi.slice(0, GO_LEN), lo: p.lo.slice(0, GO_LEN) };
}

function square(p: Poly): Poly {
  const size = 2 * GO_LEN - 1;
  const accLo = new Float64Array(size); // sums of low words: < 607 · 2^32, exact
  const accHi = new Int32Array(size); // sums of high words, mod 2^32
  for (let i = 0; i < GO_LEN; i++) {
    const ahi = u32(p.hi, i);
    const alo = u32(p.lo, i);
    if (ahi === 0 && alo === 0) continue;
    const a1 = alo >>> 16;
    const a0 = alo & 0xffff;
    for (let j = 0; j < GO_LEN; j++) {
      // mul32 inlined: this loop runs ~16 million times.
      const bhi = u32(p.hi, j);
      const blo = u32(p.lo, j);
      const b1 = blo >>> 16;
      const b0 = blo & 0xffff;
      const low = a0 * b0;
      const mid = a1 * b0 + a0 * b1 + Math.floor(low / 65_536);
      const hi = a1 * b1 + Math.floor(mid / 65_536);
      accLo[i + j] = (accLo[i + j] as number) + (Math.imul(alo, blo) >>> 0);
      accHi[i + j] = ((accHi[i + j] as number) + hi + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
    }
  }
  const out: Poly = { hi: new Uint32Array(size), lo: new Uint32Array(size) };
  for (let k = 0; k < size; k++) {
    const lo = accLo[k] as number;
    out.lo[k] = lo;
    out.hi[k] = (accHi[k] as number) + Math.floor(lo / TWO32);
  }
  return reduce(out);
}

function timesX(p: Poly): Poly {
  const out: Poly = { hi: new Uint32Array(GO_LEN + 1), lo: new Uint32Array(GO_LEN + 1) };
  out.hi.set(p.hi, 1);
  out.lo.set(p.lo, 1);
  return reduce(out);
}

/** Σ c_i·z_i mod 2^64 as [hi, lo]. */
function dot(c: Poly, z: Poly): [number, number] {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < GO_LEN; i++) {
    const [plo, phi] = mul32(u32(c.lo, i), u32(z.lo, i));
    lo += plo;
    hi = (hi + phi + Math.imul(u32(c.lo, i), u32(z.hi, i)) + Math.imul(u32(c.hi, i), u32(z.lo, i))) | 0;
  }
  return [(hi + Math.floor(lo / TWO32)) >>> 0, lo >>> 0];
}

/** golang/go src/math/rand/gen_cooked.go: the state vector after srand(1) and 7.8e12 vrand() calls. */
function goRngCooked(): Poly {
  // srand(1): rngVec[i] = x<<20 ^ x<<10 ^ x from three LCG steps, after 20 discarded ones.
  const vec: Poly = { hi: new Uint32Array(GO_LEN), lo: new Uint32Array(GO_LEN) };
  let x = 1;
  for (let i = -20; i < GO_LEN; i++) {
    x = goSeedrand(x);
    if (i < 0) continue;
    let hi = x >>> 12;
    let lo = x << 20;
    x = goSeedrand(x);
    hi ^= x >>> 22;
    lo ^= x << 10;
    x = goSeedrand(x);
    vec.hi[i] = hi;
    vec.lo[i] = lo ^ x;
  }
  // With tap = 0 and feed = 334, step k (1-based) writes y_k = y_{k-607} + y_{k-273} into
  // vec[(334 - k) mod 607], where y_j = vec[(334 - j) mod 607] for -606 ≤ j ≤ 0. With
  // z_n = y_{n-606}, z_0..z_606 is the initial window and z_n = Σ c_i z_i for x^n ≡ Σ c_i x^i.
  const z: Poly = { hi: new Uint32Array(GO_LEN), lo: new Uint32Array(GO_LEN) };
  for (let n = 0; n < GO_LEN; n++) {
    const from = (((333 - n) % GO_LEN) + GO_LEN) % GO_LEN;
    z.hi[n] = u32(vec.hi, from);
    z.lo[n] = u32(vec.lo, from);
  }
  let c: Poly = { hi: new Uint32Array(GO_LEN), lo: new Uint32Array(GO_LEN) };
  c.lo[0] = 1;
  for (const bit of GO_COOKED_STEPS.toString(2)) {
    c = square(c);
    if (bit === "1") c = timesX(c);
  }
  // The last 607 values y_{N-606..N} are the final vector, each at the index it was written to.
  const cooked: Poly = { hi: new Uint32Array(GO_LEN), lo: new Uint32Array(GO_LEN) };
  for (let j = 0; j < GO_LEN; j++) {
    if (j > 0) c = timesX(c);
    const k = GO_COOKED_STEPS - 606 + j;
    const at = (((334 - k) % GO_LEN) + GO_LEN) % GO_LEN;
    [cooked.hi[at], cooked.lo[at]] = dot(c, z);
  }
  return cooked;
}

let cookedCache: Poly | undefined;
const cookedOnce = (): Poly => {
  cookedCache ??= goRngCooked();
  return cookedCache;
};

/** The first `size` bytes of Go's `rand.New(rand.NewSource(seed)).Read`, for 0 < seed < 2^31 - 1. */
function goMathRandBytes(seed: number, size: number): Uint8Array {
  const cooked = cookedOnce();
  const hi = new Uint32Array(GO_LEN);
  const lo = new Uint32Array(GO_LEN);
  let x = seed;
  for (let i = -20; i < GO_LEN; i++) {
    x = goSeedrand(x);
    if (i < 0) continue;
    let h = x << 8; // x << 40
    x = goSeedrand(x);
    h ^= x >>> 12; // x << 20
    let l = x << 20;
    x = goSeedrand(x);
    l ^= x;
    hi[i] = h ^ u32(cooked.hi, i);
    lo[i] = l ^ u32(cooked.lo, i);
  }
  const out = new Uint8Array(size);
  let tap = 0;
  let feed = GO_LEN - GO_TAP;
  for (let n = 0; n < size; n += 7) {
    if (--tap < 0) tap += GO_LEN;
    if (--feed < 0) feed += GO_LEN;
    const sum = u32(lo, feed) + u32(lo, tap);
    const h = u32(hi, feed) + u32(hi, tap) + (sum >= TWO32 ? 1 : 0);
    lo[feed] = sum;
    hi[feed] = h;
    // Int63 = the word with its top bit cleared; Read takes its low 7 bytes, little-endian.
    if (n + 7 <= size) {
      out[n] = sum;
      out[n + 1] = sum >>> 8;
      out[n + 2] = sum >>> 16;
      out[n + 3] = sum >>> 24;
      out[n + 4] = h;
      out[n + 5] = h >>> 8;
      out[n + 6] = h >>> 16;
    } else {
      for (let b = 0; n + b < size; b++) out[n + b] = b < 4 ? sum >>> (8 * b) : h >>> (8 * (b - 4));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Part 1: CIDs Kubo is documented to produce.
// ---------------------------------------------------------------------------------------------

describe("contentCid equals the CIDs Kubo documents for `ipfs add --cid-version 1`", () => {
  const small: [string, Uint8Array, string][] = [
    // ipfs/kubo test/cli/add_test.go, TestAdd: shortString = "hello world", shortStringCidV1
    // ("cidv1 - raw - sha2-256"), asserted by "produced cid version: follows user-set
    // configuration Import.CidVersion=1".
    ["hello world", utf8("hello world"), "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"],
    // ipfs/kubo test/sharness/t0040-add-and-cat.sh, test_add_cat_raw: "zero length file has
    // correct hash" (`ipfs add -q --raw-leaves zero-length-file`).
    ["the empty file", new Uint8Array(), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"],
    // ipfs/kubo test/sharness/t0040-add-and-cat.sh, `add_directory '--cid-version=1'`: MARS and
    // VENUS, the CIDs `ipfs add -r --cid-version=1` prints for planets/mars.txt and venus.txt
    // (written with `echo`, so newline-terminated).
    ["mars.txt", utf8("Hello Mars!\n"), "bafkreibmlvvgdyihetgocpof6xk64kjjzdeq2e4c7hqs3krdheosk4tgj4"],
    ["venus.txt", utf8("Hello Venus!\n"), "bafkreihfsphazrk2ilejpekyltjeh5k4yvwgjuwg26ueafohqioeo3sdca"],
  ];
  for (const [name, bytes, cid] of small) {
    it(`${name}: ${cid}`, async () => {
      expect(await contentCid(bytes)).to.equal(cid);
    });
  }

  it("reproduces Go's math/rand stream that Kubo's random-data fixtures are made of", () => {
    const cooked = cookedOnce();
    // golang/go src/math/rand/rng.go: the last rngCooked entry (63-bit form 4152330101494654406).
    const last = (BigInt(u32(cooked.hi, GO_LEN - 1)) << 32n) | BigInt(u32(cooked.lo, GO_LEN - 1));
    expect(last & ((1n << 63n) - 1n)).to.equal(4_152_330_101_494_654_406n);
    // rand.New(rand.NewSource(1)).Int63() starts 5577006791947779410, 8674665223082153551: the
    // low 7 bytes of each, little-endian, are what Read emits.
    const le7 = (n: bigint) => Array.from({ length: 7 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
    expect([...goMathRandBytes(1, 14)]).to.deep.equal([
      ...le7(5_577_006_791_947_779_410n),
      ...le7(8_674_665_223_082_153_551n),
    ]);
  });

  // ipfs/kubo test/sharness/t0040-add-and-cat.sh at commit affb1482814cd18c4ffb348030c29b0b062fca41
  // (the parent of 4d210882c; the same lines are in release tag v0.42.0). These fixtures date from
  // 2ca5637c4 (Feb 2025, v0.34.0) and were replaced in 4d210882c (v0.43.0-rc1), when go-test's
  // random-data moved to math/rand/v2 and so produced different bytes:
  //   test_add_cat_5MB: `random-data -size=5242880 -seed=41 >mountdir/bigfile`, "sha1 of the file
  //   looks ok" = 11145b8c4bc8f87ea2fcfc3d55708b8cac2aadf12862 (multihash sha1), and
  //   `test_add_cat_5MB --cid-version=1 "bafybeifwdkm32fmukqwh3jofm6ma76bcqvn6opxstsnzmya7utboi4cb2m"`.
  //   test_add_cat_expensive: `random-data -size=104857600 -seed=42`, sha1 multihash
  //   11141e8c04d7cd019cc0acf0311a8ca6cf2c18413c96, and
  //   `test_add_cat_expensive "--cid-version=1" "bafybeibdfw7nsmb3erhej2k6v4eopaswsf5yfv2ikweqa3qsc5no4jywqu"`.
  it("5 MiB of random-data seed 41 (20 chunks, one level): bafybeifwdkm…", async () => {
    const bytes = goMathRandBytes(41, 5_242_880);
    expect(sha1Hex(bytes)).to.equal("5b8c4bc8f87ea2fcfc3d55708b8cac2aadf12862");
    expect(await contentCid(bytes)).to.equal("bafybeifwdkm32fmukqwh3jofm6ma76bcqvn6opxstsnzmya7utboi4cb2m");
  });

  it("100 MiB of random-data seed 42 (400 chunks, two levels): bafybeibdfw7…", async () => {
    const bytes = goMathRandBytes(42, 104_857_600);
    expect(sha1Hex(bytes)).to.equal("1e8c04d7cd019cc0acf0311a8ca6cf2c18413c96");
    expect(await contentCid(bytes)).to.equal("bafybeibdfw7nsmb3erhej2k6v4eopaswsf5yfv2ikweqa3qsc5no4jywqu");
  });
});

describe("the same importer matches Kubo's other documented profiles (IPIP-499)", () => {
  // ipfs/kubo test/cli/cid_profiles_test.go, var unixfsV02015 (also Kubo's implicit default):
  // CIDv0, dag-pb leaves, and otherwise our chunker and layout (256 KiB, balanced, 174 links).
  // Inputs are IPFSAddDeterministicBytes(size, seed). Only cidVersion and rawLeaves differ from
  // ours, so these pin Kubo's chunk and 174-link boundaries, including the rebalance to two levels.
  const v0: ImporterOptions = { ...kuboCidV1, cidVersion: 0, rawLeaves: false, leafType: "file" };

  it("unixfs-v0-2015: FileAtChunkSizeCID / FileOverChunkSizeCID (seed chunk-v0-seed)", async () => {
    const bytes = kuboDeterministicBytes(CHUNK + 1, "chunk-v0-seed");
    expect(await importedCid(bytes.subarray(0, CHUNK), v0)).to.equal("QmWmRj3dFDZdb6ABvbmKhEL6TmPbAfBZ1t5BxsEyJrcZhE");
    expect(await importedCid(bytes, v0)).to.equal("QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ");
  });

  it("unixfs-v0-2015: FileAtMaxLinksCID / FileOverMaxLinksCID (174 chunks, +1 byte; seed v0-seed)", async () => {
    const bytes = kuboDeterministicBytes(MAX_LINKS * CHUNK + 1, "v0-seed");
    expect(await importedCid(bytes.subarray(0, MAX_LINKS * CHUNK), v0)).to.equal(
      "QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2",
    );
    expect(await importedCid(bytes, v0)).to.equal("QmV81WL765sC8DXsRhE5fJv2rwhS4icHRaf3J9Zk5FdRnW");
  });

  // ipfs/kubo test/cli/cid_profiles_test.go, var unixfsV12025 (opt-in: `ipfs init --profile
  // unixfs-v1-2025`): CIDv1 raw leaves like ours, but 1 MiB chunks and 1024 links. Not our
  // setting; kept to show the switch is two numbers. (Its 1 GiB max-links vectors are too slow here.)
  it("unixfs-v1-2025: FileAtChunkSizeCID / FileOverChunkSizeCID (seed chunk-v1-seed)", async () => {
    const v1: ImporterOptions = {
      ...kuboCidV1,
      chunker: fixedSize({ chunkSize: 1_048_576 }),
      layout: balanced({ maxChildrenPerNode: 1024 }),
    };
    const bytes = kuboDeterministicBytes(1_048_577, "chunk-v1-seed");
    expect(await importedCid(bytes.subarray(0, 1_048_576), v1)).to.equal(
      "bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta",
    );
    expect(await importedCid(bytes, v1)).to.equal("bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64");
  });
});

// ---------------------------------------------------------------------------------------------
// Part 2: the DAG shape at every chunk and layout boundary, decoded block by block.
// ---------------------------------------------------------------------------------------------

interface Subtree {
  /** Content bytes under this node. */
  size: number;
  /** Leaves under this node. */
  leaves: number;
  /** Encoded bytes of this node and everything under it: what its parent's link Tsize says. */
  tsize: number;
  /** 0 for a leaf. */
  height: number;
}

/**
 * Walks the DAG from `cid`, checking it block by block against the UnixFS file rules and the
 * content: leaf `next.leaf` must be the raw block of content slice [leaf·CHUNK, (leaf+1)·CHUNK).
 */
function walk(store: MemoryBlocks, cid: CID, content: Uint8Array, next: { leaf: number }): Subtree {
  const block = store.get(cid);
  expect(cid.version).to.equal(1);
  expect(cid.multihash.code).to.equal(SHA2_256);
  expect(sameBytes(cid.multihash.digest, sha256(block)), "block bytes hash to their CID").to.equal(true);

  if (cid.code === raw.code) {
    const start = next.leaf * CHUNK;
    const slice = content.subarray(start, Math.min(start + CHUNK, content.length));
    expect(slice.length, `leaf ${next.leaf} starts inside the content`).to.be.greaterThan(0);
    expect(sameBytes(block, slice), `leaf ${next.leaf} is content slice ${start}…`).to.equal(true);
    next.leaf++;
    return { size: block.length, leaves: 1, tsize: block.length, height: 0 };
  }

  expect(cid.code, "an interior node is dag-pb").to.equal(dagPb.code);
  const node = dagPb.decode(block);
  expect(node.Links.length).to.be.within(1, MAX_LINKS);
  expect(node.Data, "an interior node carries UnixFS data").to.not.equal(undefined);
  const data = node.Data as Uint8Array;
  const unixfs = UnixFS.unmarshal(data);
  expect(unixfs.type).to.equal("file");
  expect(unixfs.data ?? new Uint8Array(), "content lives only in leaves").to.have.length(0);
  // Re-encoding writes filesize = sum(blocksizes); identical bytes prove the stored one agrees.
  expect(unixfs.marshal()).to.deep.equal(data);

  const children = node.Links.map((link) => {
    expect(link.Name ?? "").to.equal("");
    const child = walk(store, link.Hash, content, next);
    expect(link.Tsize).to.equal(child.tsize);
    return child;
  });
  expect(unixfs.blockSizes).to.deep.equal(children.map((child) => BigInt(child.size)));

  const height = (children[0] as Subtree).height + 1;
  const capacity = MAX_LINKS ** (height - 1);
  for (const [i, child] of children.entries()) {
    expect(child.height, "balanced: all leaves at one depth").to.equal(height - 1);
    if (i < children.length - 1)
      expect(child.leaves, "balanced: every subtree but the last is full").to.equal(capacity);
  }
  const size = children.reduce((sum, child) => sum + child.size, 0);
  expect(unixfs.fileSize()).to.equal(BigInt(size));
  return {
    size,
    leaves: children.reduce((sum, child) => sum + child.leaves, 0),
    tsize: block.length + children.reduce((sum, child) => sum + child.tsize, 0),
    height,
  };
}

describe("contentCid DAG shape at every chunk and layout boundary", () => {
  // One buffer for every size (views of its prefix). Each chunk starts with its index so no two
  // leaves are alike and a misplaced leaf would show; the rest stays zero, which is cheap.
  const largest = 2 * MAX_LINKS * CHUNK + 1;
  let content = new Uint8Array();
  before(() => {
    content = new Uint8Array(largest);
    const view = new DataView(content.buffer);
    for (let start = 0; start + 4 <= largest; start += CHUNK) view.setUint32(start, start / CHUNK + 1);
    content[largest - 1] = 0xff; // the lone byte of the last chunk
    content[CHUNK - 1] = 0xff; // and a byte at a chunk's very end
  });

  const single = [0, 1, CHUNK - 1, CHUNK];
  for (const size of single) {
    it(`${size} bytes: one raw block, the raw CIDv1 of the bytes`, async () => {
      const bytes = content.subarray(0, size);
      const cid = await contentCid(bytes);
      expect(cid).to.equal(rawCid(bytes));
      expect(cid).to.match(/^bafkrei/);
    });
  }

  const multi: [string, number, number][] = [
    // label, size, expected leaf depth
    ["one byte over a chunk", CHUNK + 1, 1],
    ["one byte short of two chunks", 2 * CHUNK - 1, 1],
    ["exactly two chunks", 2 * CHUNK, 1],
    ["one byte over two chunks", 2 * CHUNK + 1, 1],
    ["one byte short of 174 chunks", MAX_LINKS * CHUNK - 1, 1],
    ["exactly 174 chunks (a full root)", MAX_LINKS * CHUNK, 1],
    ["one byte over 174 chunks (second level)", MAX_LINKS * CHUNK + 1, 2],
    ["exactly 175 chunks", (MAX_LINKS + 1) * CHUNK, 2],
    ["exactly 348 chunks (two full subtrees)", 2 * MAX_LINKS * CHUNK, 2],
    ["one byte over 348 chunks", 2 * MAX_LINKS * CHUNK + 1, 2],
  ];
  for (const [label, size, depth] of multi) {
    it(`${label} (${size} bytes): dag-pb root over raw leaves, depth ${depth}`, async () => {
      const bytes = content.subarray(0, size);
      const store = new MemoryBlocks();
      const root = (await importBytes(bytes, store, kuboCidV1)).cid;
      expect(root.code, "the root is dag-pb").to.equal(dagPb.code);
      expect(root.toString()).to.match(/^bafybei/);
      expect(root.toString()).to.equal(await contentCid(bytes));

      const next = { leaf: 0 };
      const tree = walk(store, root, bytes, next);
      const chunks = Math.ceil(size / CHUNK);
      expect(tree.size).to.equal(size);
      expect(tree.leaves).to.equal(chunks);
      expect(next.leaf).to.equal(chunks);
      expect(tree.height).to.equal(depth);
      expect(dagPb.decode(store.get(root)).Links).to.have.length(Math.ceil(chunks / MAX_LINKS ** (depth - 1)));
    });
  }
});
