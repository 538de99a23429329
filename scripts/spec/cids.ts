/** Content CID vectors (spec/vectors/cids.json): where one raw block ends and UnixFS begins, and the DAG's shape. */
import * as dagPb from "@ipld/dag-pb";
import { toHex } from "../../src/bytes.ts";
import { contentCid, UNIXFS_CHUNK_SIZE } from "../../src/evidence/cid.ts";
import { fileBlocks } from "../../src/storage/unixfs.ts";

/** Content of a vector: `byte i = i mod 251` (a prime, so no chunk starts like another), or UTF-8 text. */
export type Content = { readonly pattern: "i mod 251"; readonly length: number } | { readonly text: string };

export function contentBytes(content: Content): Uint8Array {
  if ("text" in content) return new TextEncoder().encode(content.text);
  const bytes = new Uint8Array(content.length);
  for (let i = 0; i < bytes.length; i++) bytes[i] = i % 251;
  return bytes;
}

const CHUNK = UNIXFS_CHUNK_SIZE;
const CONTENTS: readonly { content: Content; note: string }[] = [
  { content: { text: "" }, note: "empty: one raw block (Kubo documents this CID)" },
  { content: { text: "hello world" }, note: "one raw block (Kubo documents this CID)" },
  { content: { pattern: "i mod 251", length: CHUNK }, note: "exactly one chunk: still one raw block" },
  { content: { pattern: "i mod 251", length: CHUNK + 1 }, note: "one byte over: dag-pb root over 2 raw leaves" },
  { content: { pattern: "i mod 251", length: 3 * CHUNK }, note: "three full leaves" },
  { content: { pattern: "i mod 251", length: 174 * CHUNK }, note: "174 leaves: the widest one-level tree" },
  {
    content: { pattern: "i mod 251", length: 174 * CHUNK + 1 },
    note: "175 leaves: two levels, the second child holds one leaf",
  },
];

export async function cidVectors() {
  const out = [];
  for (const { content, note } of CONTENTS) {
    const bytes = contentBytes(content);
    const cid = await contentCid(bytes);
    const { root, blocks } = await fileBlocks(bytes);
    const rootBlock = blocks.find((b) => b.cid.equals(root));
    const links = root.code === dagPb.code && rootBlock !== undefined ? dagPb.decode(rootBlock.bytes).Links.length : 0;
    out.push({
      content,
      note,
      cid,
      blocks: blocks.length,
      rootLinks: links,
      // The root node in full where it is short enough to compare by eye.
      ...(links > 0 && links <= 3 && rootBlock !== undefined ? { rootBlock: toHex(rootBlock.bytes) } : {}),
    });
  }
  return out;
}
