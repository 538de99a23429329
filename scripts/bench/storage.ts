import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalStore } from "../../src/storage/local.ts";
import type { BenchLine } from "./measure.ts";

const OBJECT_SIZE = 600; // a typical packet
const OBJECTS = 10_000;

/** Local store: put and verified get of packet-sized objects, each awaited in turn. */
export async function benchLocalStore(): Promise<BenchLine[]> {
  const dir = await mkdtemp(join(tmpdir(), "pop-bench-store-"));
  try {
    const store = new LocalStore(dir);
    const objects = Array.from({ length: OBJECTS }, () => randomBytes(OBJECT_SIZE));
    let start = performance.now();
    const cids: string[] = [];
    for (const bytes of objects) cids.push(await store.add(bytes));
    const putSeconds = (performance.now() - start) / 1000;
    start = performance.now();
    for (const cid of cids) {
      if ((await store.get(cid)) === undefined) throw new Error(`the bench store lost ${cid}`);
    }
    const getSeconds = (performance.now() - start) / 1000;
    const mb = (OBJECTS * OBJECT_SIZE) / 1e6;
    const gets = OBJECTS / getSeconds;
    return [
      {
        name: `local store put (${OBJECT_SIZE} B objects)`,
        value: OBJECTS / putSeconds,
        unit: `objects/s = ${(mb / putSeconds).toFixed(1)} MB/s`,
      },
      {
        name: `local store verified get (${OBJECT_SIZE} B objects)`,
        value: gets,
        unit: `objects/s = ${(mb / getSeconds).toFixed(1)} MB/s`,
        target: { text: "≥ 5,000/s", met: gets >= 5_000 },
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
