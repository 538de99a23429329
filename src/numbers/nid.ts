import { CID } from "multiformats/cid";

/** Whether `text` is a CIDv1 in its canonical string form: the shape of every NID (NUMBERS.md, "NID"). */
export function isCidV1(text: string): boolean {
  if (text.length === 0 || text.length > 128) return false;
  try {
    const cid = CID.parse(text);
    return cid.version === 1 && cid.toString() === text;
  } catch {
    return false;
  }
}
