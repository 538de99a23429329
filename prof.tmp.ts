import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { buildChainscript } from "./src/chainscript/build.ts";
import { createPacket } from "./src/evidence/sign.ts";
import { signerFromSeed } from "./src/keys/fileSigner.ts";
import { storeBatch } from "./src/storage/batch.ts";
import { createKuboProvider } from "./src/storage/providers/kubo.ts";
import { startKuboStandin } from "./test/storage/standins/kuboStandin.ts";

const signer = signerFromSeed("k", randomBytes(32));
const h = () => new Uint8Array(randomBytes(32));
const packets: Uint8Array[] = [];
for (let i = 0; i < 10000; i++)
  packets.push(
    (
      await createPacket(
        {
          tenantId: "t",
          processId: "p",
          inputs: { promptHash: h(), modelId: "m", seed: BigInt(i), parameters: {} },
          execution: { durationMs: 1, deviceClass: "H100", pipelineHash: h() },
          outputs: { assetHash: h(), assetSize: 1, mimeType: "image/png" },
        },
        signer,
      )
    ).bytes,
  );
const chain = await buildChainscript({ steps: packets.map((bytes, i) => ({ bytes, stageId: `s${i}` })), signer });
for (let r = 0; r < 2; r++) {
  const node = await startKuboStandin();
  await storeBatch([createKuboProvider({ url: node.url })], { packets, chainscript: chain.bytes });
  await node.close();
}
const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 100 });
await session.post("Profiler.start");
for (let r = 0; r < 5; r++) {
  const node = await startKuboStandin();
  const t = performance.now();
  await storeBatch([createKuboProvider({ url: node.url })], { packets, chainscript: chain.bytes });
  console.log("car", Math.round(performance.now() - t));
  await node.close();
}
const { profile } = await session.post("Profiler.stop");
writeFileSync("/tmp/cpuprof/x.cpuprofile", JSON.stringify(profile));
