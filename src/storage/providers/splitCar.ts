import { BaseError } from "../../errors.ts";
import { decodeCar, encodeCar } from "../car.ts";
import { dagCids } from "../dag.ts";
import { type Block, parseCid } from "../unixfs.ts";

/** The CAR lacks blocks of a root's DAG, so no provider could pin that root from it. */
export class IncompleteDagError extends BaseError {
  override name = "IncompleteDagError";
  readonly root: string;

  constructor(root: string) {
    super(`The CAR does not hold every block under root ${root}.`);
    this.root = root;
  }
}

/**
 * One single-root CAR per root, each holding exactly the blocks of that root's
 * DAG (depth first, as a DFS CAR), for a provider whose answer names only one
 * CID per upload. Every block is verified against its CID while reading.
 *
 * @throws {CidMismatchError} when a block of `car` does not match its CID.
 * @throws {MalformedCarError} when `car` is not a CARv1.
 * @throws {IncompleteDagError} when a root's DAG is not complete in `car`.
 */
export async function splitCar(
  car: Uint8Array,
  roots: readonly string[],
): Promise<{ root: string; car: Uint8Array }[]> {
  const { blocks } = decodeCar(car);
  const parts: { root: string; car: Uint8Array }[] = [];
  for (const root of roots) {
    const order = await dagCids(parseCid(root), (cid) => blocks.get(cid.toString()), "the CAR");
    if (order === undefined) throw new IncompleteDagError(root);
    // dagCids lists each block once, so a leaf a file links many times is in the CAR once.
    const dag: Block[] = [];
    for (const cid of order) {
      const key = cid.toString();
      const bytes = blocks.get(key);
      if (bytes === undefined) throw new IncompleteDagError(root);
      dag.push({ cid, bytes });
    }
    parts.push({ root, car: encodeCar([parseCid(root)], dag) });
  }
  return parts;
}
