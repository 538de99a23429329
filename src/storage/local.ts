import type { CID } from "multiformats/cid";
import { decodeCar, encodeCar } from "./car.ts";
import { assembleFile, type DagLimits, dagCids } from "./dag.ts";
import { CidMismatchError } from "./errors.ts";
import { FsBlockstore } from "./fsBlockstore.ts";
import type { ContentProvider } from "./provider.ts";
import { fileBlocks, parseCid } from "./unixfs.ts";

/**
 * The embedded default store: a filesystem block store, no account, no
 * network. Every read is verified; `exportCar` and `getBlock` feed the local
 * trustless gateway.
 */
export class LocalStore implements ContentProvider {
  readonly name = "local";
  readonly blocks: FsBlockstore;

  constructor(dir: string) {
    this.blocks = new FsBlockstore(dir);
  }

  /** Stores `bytes`; returns its CID. */
  async add(bytes: Uint8Array): Promise<string> {
    const { root, blocks } = await fileBlocks(bytes);
    for (const block of blocks) await this.blocks.put(block.cid, block.bytes);
    return root.toString();
  }

  async put(bytes: Uint8Array, cid: string): Promise<void> {
    const { root, blocks } = await fileBlocks(bytes);
    if (root.toString() !== cid) throw new CidMismatchError("the local store", cid, root.toString());
    for (const block of blocks) await this.blocks.put(block.cid, block.bytes);
  }

  /** @throws {MalformedCarError | CidMismatchError | ContentTooLargeError} for a CAR that is not a CARv1 of verified blocks. */
  async putCar(car: Uint8Array, roots: readonly string[]): Promise<void> {
    const decoded = decodeCar(car);
    for (const [key, bytes] of decoded.blocks) await this.blocks.put(parseCid(key), bytes);
    for (const root of roots) {
      if (!(await this.has(root))) throw new CidMismatchError("the CAR", root, "(a DAG with missing blocks)");
    }
  }

  /** Whether every block of the DAG under `cid` is here. */
  async has(cid: string): Promise<boolean> {
    const root = parseCid(cid);
    const order = await dagCids(root, (c) => this.blocks.get(c), "the local store");
    if (order === undefined) return false;
    for (const block of order) if (!(await this.blocks.has(block))) return false;
    return true;
  }

  /**
   * The content under `cid`, verified block by block, within `limits` (default
   * 16 MiB, as retrieval); undefined when not (completely) here.
   */
  async get(cid: string, limits: DagLimits = {}): Promise<Uint8Array | undefined> {
    return assembleFile(parseCid(cid), (c) => this.blocks.get(c), "the local store", limits);
  }

  async getBlock(cid: CID): Promise<Uint8Array | undefined> {
    return this.blocks.get(cid);
  }

  /** A CARv1 of the whole DAG under `cid`, depth first, each block once; undefined when a block is missing. */
  async exportCar(cid: CID): Promise<Uint8Array | undefined> {
    const order = await dagCids(cid, (c) => this.blocks.get(c), "the local store");
    if (order === undefined) return undefined;
    const blocks = [];
    for (const block of order) {
      const bytes = await this.blocks.get(block);
      if (bytes === undefined) return undefined;
      blocks.push({ cid: block, bytes });
    }
    return encodeCar([cid], blocks);
  }
}
