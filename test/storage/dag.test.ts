import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { assembleFile, dagCids } from "../../src/storage/dag.ts";
import { ContentTooLargeError, InvalidDagError } from "../../src/storage/errors.ts";
import { MAX_DAG_DEPTH, MAX_DAG_NODES } from "../../src/storage/limits.ts";
import { fileBlocks } from "../../src/storage/unixfs.ts";
import { rejection } from "../helpers/rejection.ts";
import { blockSource, deepChain, fileNode, rawLeaf, sharedLinkBomb } from "./standins/dagBuilder.ts";

describe("assembling a UnixFS DAG (bounded)", () => {
  it("assembles a real file exactly, a leaf it links many times included", async () => {
    const random = randomBytes(700_000);
    const file = await fileBlocks(random);
    expect(
      Buffer.from((await assembleFile(file.root, blockSource(file.blocks))) as Uint8Array).equals(random),
    ).to.equal(true);
    // 1 MiB of zeros: four links to one and the same leaf, as the importer makes it.
    const zeros = new Uint8Array(1024 * 1024);
    const repeated = await fileBlocks(zeros);
    expect(new Set(repeated.blocks.map((b) => b.cid.toString())).size).to.equal(2);
    expect((await assembleFile(repeated.root, blockSource(repeated.blocks)))?.length).to.equal(zeros.length);
  });

  describe("when the DAG links one block many times (a DAG bomb)", () => {
    it("refuses the file by its declared size before allocating it: 1.3 TB from 280 KiB of blocks", async () => {
      const bomb = sharedLinkBomb(new Uint8Array(256 * 1024), 174, 3);
      expect(bomb.size).to.be.greaterThan(1e12);
      const error = await rejection(assembleFile(bomb.root, blockSource(bomb.blocks), "a gateway"));
      expect(error).to.be.instanceOf(ContentTooLargeError);
      expect(error.message).to.match(/^The file under bafy\w+ from a gateway is larger than the limit of 16 MiB/);
      expect((error as ContentTooLargeError).size).to.equal(bomb.size);
    });

    it("stops after MAX_DAG_NODES visits when the shared block is empty, so no byte budget could catch it", async () => {
      // 256^3 = 16.7 M links to an empty leaf: zero bytes declared, unbounded work without a visit budget.
      const bomb = sharedLinkBomb(new Uint8Array(0), 256, 3);
      expect(bomb.size).to.equal(0);
      const error = await rejection(assembleFile(bomb.root, blockSource(bomb.blocks)));
      expect(error).to.be.instanceOf(InvalidDagError);
      expect(error.message).to.include(`links more than ${MAX_DAG_NODES} blocks`);
    });

    it("lists each block once for a CAR, however often it is linked", async () => {
      const bomb = sharedLinkBomb(new Uint8Array(10), 174, 3);
      const cids = await dagCids(bomb.root, blockSource(bomb.blocks));
      expect(cids?.map(String)).to.deep.equal(bomb.blocks.map((b) => b.cid.toString()));
    });
  });

  describe("when the declared sizes lie", () => {
    const leaf = rawLeaf(randomBytes(1000));

    it("refuses a child that holds fewer bytes than its parent's blocksize says", async () => {
      const root = fileNode([leaf.cid, leaf.cid], { blocksizes: [1000, 5_000_000], filesize: 5_001_000 });
      const error = await rejection(assembleFile(root.cid, blockSource([root, leaf]), "a gateway"));
      expect(error).to.be.instanceOf(InvalidDagError);
      expect(error.message).to.include(
        `declares 5000000 bytes under link 1 of ${root.cid}, whose block ${leaf.cid} holds 1000`,
      );
    });

    it("refuses a filesize that is not the node's data and blocksizes added up", async () => {
      const root = fileNode([leaf.cid], { blocksizes: [1000], filesize: 10 });
      const error = await rejection(assembleFile(root.cid, blockSource([root, leaf])));
      expect(error).to.be.instanceOf(InvalidDagError);
      expect(error.message).to.include("declares a filesize of 10 bytes but its data and block sizes add up to 1000");
    });

    it("refuses a node with fewer blocksizes than links", async () => {
      const root = fileNode([leaf.cid, leaf.cid], { blocksizes: [1000] });
      const error = await rejection(assembleFile(root.cid, blockSource([root, leaf])));
      expect(error).to.be.instanceOf(InvalidDagError);
      expect(error.message).to.include("declares 1 block sizes for 2 links");
    });

    it("checks every level: a middle node that lies about its leaf is caught below a root that believed it", async () => {
      const middle = fileNode([leaf.cid], { blocksizes: [3000], filesize: 3000 });
      const root = fileNode([middle.cid], { blocksizes: [3000], filesize: 3000 });
      const error = await rejection(assembleFile(root.cid, blockSource([root, middle, leaf])));
      expect(error).to.be.instanceOf(InvalidDagError);
      expect(error.message).to.include(
        `declares 3000 bytes under link 0 of ${middle.cid}, whose block ${leaf.cid} holds 1000`,
      );
    });
  });

  it(`refuses a DAG deeper than MAX_DAG_DEPTH (${MAX_DAG_DEPTH}) levels and assembles one exactly that deep`, async () => {
    const leaf = randomBytes(100);
    const deepest = deepChain(leaf, MAX_DAG_DEPTH);
    expect(
      Buffer.from((await assembleFile(deepest.root, blockSource(deepest.blocks))) as Uint8Array).equals(leaf),
    ).to.equal(true);
    const tooDeep = deepChain(leaf, MAX_DAG_DEPTH + 1);
    const error = await rejection(assembleFile(tooDeep.root, blockSource(tooDeep.blocks)));
    expect(error).to.be.instanceOf(InvalidDagError);
    expect(error.message).to.include(`is deeper than ${MAX_DAG_DEPTH} levels`);
    const listing = await rejection(dagCids(tooDeep.root, blockSource(tooDeep.blocks)));
    expect(listing).to.be.instanceOf(InvalidDagError);
  });

  it("refuses a UnixFS directory where a file belongs, naming the block", async () => {
    const directory = fileNode([], { type: 1 });
    const error = await rejection(assembleFile(directory.cid, blockSource([directory])));
    expect(error).to.be.instanceOf(InvalidDagError);
    expect(error.message).to.include(`has a block ${directory.cid} that is a UnixFS directory node, not a file`);
  });

  it("holds a real file to the caller's maxBytes", async () => {
    const file = await fileBlocks(randomBytes(700_000));
    expect(await assembleFile(file.root, blockSource(file.blocks), "x", { maxBytes: 700_000 })).to.have.length(700_000);
    const error = await rejection(assembleFile(file.root, blockSource(file.blocks), "x", { maxBytes: 699_999 }));
    expect(error).to.be.instanceOf(ContentTooLargeError);
    expect((error as ContentTooLargeError).limit).to.equal(699_999);
  });
});
