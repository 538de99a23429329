import * as dagPb from "@ipld/dag-pb";
import type { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { rawCid } from "../evidence/cid.ts";
import { CidMismatchError, ContentTooLargeError, InvalidCidError, InvalidDagError } from "./errors.ts";
import { DEFAULT_MAX_CONTENT_BYTES, MAX_BLOCK_BYTES, MAX_DAG_DEPTH, MAX_DAG_NODES } from "./limits.ts";
import { blockMatches } from "./unixfs.ts";
import { type FileNode, FileNodeProblem, readFileNode } from "./unixfsNode.ts";

/** Looks a block up by CID; the caller of {@link assembleFile} need not verify it. */
export type BlockSource = (cid: CID) => Promise<Uint8Array | undefined> | Uint8Array | undefined;

/** Bounds on one DAG walk; each defaults to the constant of the same name in limits.ts. */
export interface DagLimits {
  /** Largest file assembled; default DEFAULT_MAX_CONTENT_BYTES. */
  readonly maxBytes?: number;
  /** Deepest level below the root; default MAX_DAG_DEPTH. */
  readonly maxDepth?: number;
  /** Most blocks visited, a block linked twice counting twice; default MAX_DAG_NODES. */
  readonly maxNodes?: number;
}

type Node = { readonly kind: "raw"; readonly bytes: Uint8Array; readonly size: number } | (FileNode & { kind: "file" });

/**
 * Rebuilds a file from its DAG, verifying every block against its CID before
 * using it, so a source that returns wrong bytes is caught at the first block.
 * Bounded whatever the DAG says: the root's declared size must be within
 * `maxBytes` before anything is allocated, every child must hold exactly the
 * size its parent declares for it (so the file cannot outgrow what the root
 * declared, however often a block is linked), each block is hashed and
 * decoded once, and the walk stops past `maxDepth` levels or `maxNodes` visits.
 * Returns undefined when a block is missing.
 *
 * @throws {CidMismatchError} when a block does not hash to its CID.
 * @throws {ContentTooLargeError} when the file or a block is larger than its limit.
 * @throws {InvalidDagError} when the DAG is not a UnixFS file, its sizes disagree, or it is too deep or too wide.
 * @throws {InvalidCidError} when a CID in it is neither raw nor dag-pb.
 */
export async function assembleFile(
  root: CID,
  getBlock: BlockSource,
  source = "the block source",
  limits: DagLimits = {},
): Promise<Uint8Array | undefined> {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_CONTENT_BYTES;
  const maxDepth = limits.maxDepth ?? MAX_DAG_DEPTH;
  const maxNodes = limits.maxNodes ?? MAX_DAG_NODES;
  const rootText = root.toString();
  const known = new Map<string, Node>();
  let visits = 0;

  const load = async (cid: CID, depth: number): Promise<Node | undefined> => {
    if (depth > maxDepth) throw new InvalidDagError(source, rootText, `is deeper than ${maxDepth} levels`);
    if (++visits > maxNodes) {
      throw new InvalidDagError(
        source,
        rootText,
        `links more than ${maxNodes} blocks (a block linked twice counts twice)`,
      );
    }
    const key = cid.toString();
    const seen = known.get(key);
    if (seen !== undefined) return seen;
    const bytes = await getBlock(cid);
    if (bytes === undefined) return undefined;
    if (bytes.length > MAX_BLOCK_BYTES) {
      throw new ContentTooLargeError(`Block ${key} from ${source}`, MAX_BLOCK_BYTES, bytes.length);
    }
    if (!blockMatches(cid, bytes)) throw new CidMismatchError(source, key, rawCid(bytes));
    let node: Node;
    if (cid.code === raw.code) node = { kind: "raw", bytes, size: bytes.length };
    else if (cid.code === dagPb.code) {
      try {
        node = { kind: "file", ...readFileNode(bytes) };
      } catch (error) {
        if (!(error instanceof FileNodeProblem)) throw error;
        throw new InvalidDagError(source, rootText, `has a block ${key} that ${error.message}`);
      }
    } else throw new InvalidCidError(key, `has codec 0x${cid.code.toString(16)}, not raw or dag-pb`);
    known.set(key, node);
    return node;
  };

  const top = await load(root, 0);
  if (top === undefined) return undefined;
  if (top.size > maxBytes)
    throw new ContentTooLargeError(`The file under ${rootText} from ${source}`, maxBytes, top.size);
  if (top.kind === "raw") return top.bytes;
  const out = new Uint8Array(top.size);

  /** Writes `node`'s bytes at `offset`; returns where they end, or undefined when a block is missing. */
  const write = async (node: FileNode, cid: CID, depth: number, offset: number): Promise<number | undefined> => {
    out.set(node.data, offset);
    let at = offset + node.data.length;
    for (let i = 0; i < node.links.length; i++) {
      const link = node.links[i] as CID;
      const child = await load(link, depth + 1);
      if (child === undefined) return undefined;
      if (child.size !== node.sizes[i]) {
        throw new InvalidDagError(
          source,
          rootText,
          `declares ${node.sizes[i]} bytes under link ${i} of ${cid}, whose block ${link} holds ${child.size}`,
        );
      }
      if (child.kind === "raw") out.set(child.bytes, at);
      else if ((await write(child, link, depth + 1, at)) === undefined) return undefined;
      at += child.size;
    }
    return at;
  };
  return (await write(top, root, 0, 0)) === undefined ? undefined : out;
}

/**
 * The CIDs of every block under `root`, each once, root first, depth first:
 * the order of a DFS CAR without duplicates. Bounded by `maxDepth` and
 * `maxNodes` as {@link assembleFile} is; blocks are not verified here (the
 * local store and a decoded CAR verify them as they are read). Returns
 * undefined when a block is missing.
 *
 * @throws {InvalidDagError} when a dag-pb block does not decode, or the DAG is too deep or has too many blocks.
 */
export async function dagCids(
  root: CID,
  getBlock: BlockSource,
  source = "the block source",
  limits: DagLimits = {},
): Promise<CID[] | undefined> {
  const maxDepth = limits.maxDepth ?? MAX_DAG_DEPTH;
  const maxNodes = limits.maxNodes ?? MAX_DAG_NODES;
  const rootText = root.toString();
  const order: CID[] = [];
  const seen = new Set<string>();
  const visit = async (cid: CID, depth: number): Promise<boolean> => {
    const key = cid.toString();
    if (seen.has(key)) return true;
    if (depth > maxDepth) throw new InvalidDagError(source, rootText, `is deeper than ${maxDepth} levels`);
    if (seen.size >= maxNodes) throw new InvalidDagError(source, rootText, `has more than ${maxNodes} blocks`);
    seen.add(key);
    order.push(cid);
    if (cid.code !== dagPb.code) return true;
    const bytes = await getBlock(cid);
    if (bytes === undefined) return false;
    // Any dag-pb node, not only files: this lists what a CAR of the DAG holds, whatever the DAG is.
    let links: readonly CID[];
    try {
      links = dagPb.decode(bytes).Links.map((link) => link.Hash);
    } catch (error) {
      throw new InvalidDagError(
        source,
        rootText,
        `has a block ${key} that is not dag-pb (${(error as Error).message})`,
      );
    }
    for (const link of links) if (!(await visit(link, depth + 1))) return false;
    return true;
  };
  return (await visit(root, 0)) ? order : undefined;
}
