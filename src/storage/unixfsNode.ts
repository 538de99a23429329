/**
 * Reads the one kind of dag-pb node a file's DAG holds, a UnixFS file node,
 * with every size it declares. ipfs-unixfs's `UnixFS.unmarshal` drops the
 * `filesize` field, which a hostile DAG can set to anything, so the Data
 * message (UnixFS spec, `unixfs.proto`) is read here: it has six scalar fields.
 */
import * as dagPb from "@ipld/dag-pb";
import type { CID } from "multiformats/cid";

/** A UnixFS file node: its own bytes, then its children's, each child's size as the node declares it. */
export interface FileNode {
  readonly data: Uint8Array;
  readonly links: readonly CID[];
  /** `blocksizes`: the bytes under each link, in link order. */
  readonly sizes: readonly number[];
  /** `data` and every child's bytes: what this node assembles to. */
  readonly size: number;
}

/** Why the bytes are not a usable file node; the caller names the block and the source. */
export class FileNodeProblem extends Error {
  override name = "FileNodeProblem";
}

const UNIXFS_RAW = 0;
const UNIXFS_FILE = 2;
const TYPE_NAMES = ["raw", "directory", "file", "metadata", "symlink", "HAMT shard"];

/** Protobuf varint (up to 10 bytes). Values past 2^53 lose precision, and are past every limit anyway. */
function varint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 10; i++) {
    const byte = bytes[at + i];
    if (byte === undefined) throw new FileNodeProblem("its UnixFS data ends inside a number");
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return [value, at + i + 1];
  }
  throw new FileNodeProblem("its UnixFS data has a number longer than 10 bytes");
}

interface UnixfsData {
  type: number | undefined;
  data: Uint8Array;
  filesize: number | undefined;
  blocksizes: number[];
}

function readData(bytes: Uint8Array): UnixfsData {
  const out: UnixfsData = { type: undefined, data: new Uint8Array(0), filesize: undefined, blocksizes: [] };
  let at = 0;
  while (at < bytes.length) {
    const [key, afterKey] = varint(bytes, at);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    at = afterKey;
    if (wire === 0) {
      const [value, next] = varint(bytes, at);
      at = next;
      if (field === 1) out.type = value;
      else if (field === 3) out.filesize = value;
      else if (field === 4) out.blocksizes.push(value);
    } else if (wire === 2) {
      const [length, start] = varint(bytes, at);
      if (start + length > bytes.length) throw new FileNodeProblem("a field of its UnixFS data runs past the end");
      at = start + length;
      if (field === 2) out.data = bytes.subarray(start, at);
      // Packed `blocksizes`, which proto2 readers must accept although Kubo writes them unpacked.
      else if (field === 4) {
        const packed = bytes.subarray(start, at);
        for (let p = 0; p < packed.length; ) {
          const [value, next] = varint(packed, p);
          out.blocksizes.push(value);
          p = next;
        }
      }
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
    } else {
      throw new FileNodeProblem(`its UnixFS data uses protobuf wire type ${wire}`);
    }
  }
  if (at > bytes.length) throw new FileNodeProblem("its UnixFS data ends inside a fixed-size field");
  return out;
}

/**
 * The file node in a dag-pb block, with its declared sizes checked against
 * each other: `blocksizes` has one entry per link, and `filesize`, when
 * present, is the node's data plus all of them. Whether each child really
 * holds its declared size is checked when the child is read.
 *
 * @throws {FileNodeProblem} when the block is not dag-pb, not a UnixFS file, or its sizes disagree.
 */
export function readFileNode(bytes: Uint8Array): FileNode {
  let node: dagPb.PBNode;
  try {
    node = dagPb.decode(bytes);
  } catch (error) {
    throw new FileNodeProblem(`is not dag-pb (${(error as Error).message})`);
  }
  if (node.Data === undefined) throw new FileNodeProblem("is a dag-pb node without UnixFS data");
  const unixfs = readData(node.Data);
  const type = unixfs.type ?? UNIXFS_FILE; // proto2 `required`, but ipfs-unixfs reads a missing type as a file
  if (type !== UNIXFS_FILE && type !== UNIXFS_RAW)
    throw new FileNodeProblem(`is a UnixFS ${TYPE_NAMES[type] ?? `type ${type}`} node, not a file`);
  if (unixfs.blocksizes.length !== node.Links.length) {
    throw new FileNodeProblem(`declares ${unixfs.blocksizes.length} block sizes for ${node.Links.length} links`);
  }
  const size = unixfs.blocksizes.reduce((sum, n) => sum + n, unixfs.data.length);
  if (unixfs.filesize !== undefined && unixfs.filesize !== size) {
    throw new FileNodeProblem(
      `declares a filesize of ${unixfs.filesize} bytes but its data and block sizes add up to ${size}`,
    );
  }
  return { data: unixfs.data, links: node.Links.map((link) => link.Hash), sizes: unixfs.blocksizes, size };
}
