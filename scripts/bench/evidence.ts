import { generateKeyPairSync, randomBytes, randomUUID, sign, verify } from "node:crypto";
import { buildChainscript } from "../../src/chainscript/build.ts";
import { verifyChainscript } from "../../src/chainscript/verify.ts";
import { cidFromSha256 } from "../../src/evidence/cid.ts";
import { decodePacket } from "../../src/evidence/codec.ts";
import { packetToJson } from "../../src/evidence/json.ts";
import { createPacket, type PacketFields, type SignedPacket, verifyPacket } from "../../src/evidence/sign.ts";
import { signerFromSeed } from "../../src/keys/fileSigner.ts";
import { type BenchLine, rate, timeOnce } from "./measure.ts";

const hash = () => new Uint8Array(randomBytes(32));

/** A typical image-generation packet. */
function typicalFields(i = 0): PacketFields {
  return {
    tenantId: "studio-aurora",
    processId: "sdxl-batch-v3",
    inputs: {
      promptHash: hash(),
      modelId: "stabilityai/sdxl-base-1.0@462165984030",
      seed: BigInt(1_000_000 + i),
      parameters: { cfg: 7.5, steps: 30, sampler: "dpmpp_2m", scheduler: "karras", width: 1024, height: 1024 },
    },
    execution: { durationMs: 4_210 + i, deviceClass: "H100", pipelineHash: hash(), gpuUtilization: 93 },
    outputs: { assetHash: hash(), assetSize: 1_874_223, mimeType: "image/png", resolutionW: 1024, resolutionH: 1024 },
  };
}

export async function benchEvidence(): Promise<BenchLine[]> {
  const signer = signerFromSeed("bench-key", randomBytes(32));
  const fields = typicalFields();
  const sample = await createPacket(fields, signer);
  // Bare node:crypto on exactly what a packet signature covers.
  const message = decodePacket(sample.bytes).signingMessage;
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const bareSignature = sign(null, message, privateKey);
  const bareSign = await rate(() => sign(null, message, privateKey));
  const bareVerify = await rate(() => verify(null, message, publicKey, bareSignature));

  const produced = await rate(() => createPacket({ ...fields, packetId: randomUUID() }, signer));
  const verified = await rate(() => verifyPacket(sample.bytes, signer.publicKey));

  const chainTime = await verifyLargeChain(signer);
  const cborSize = sample.bytes.length;
  const jsonSize = Buffer.byteLength(JSON.stringify(packetToJson(sample.packet)));

  return [
    { name: "bare node:crypto Ed25519 sign (1 core)", value: bareSign, unit: "sig/s" },
    { name: "bare node:crypto Ed25519 verify (1 core)", value: bareVerify, unit: "verify/s" },
    {
      name: "packets produced (validate, encode, hash, sign; 1 core)",
      value: produced,
      unit: `packets/s = ${(produced / bareSign).toFixed(2)}× bare sign`,
      target: { text: "≥ 0.6× bare sign", met: produced / bareSign >= 0.6 },
    },
    {
      name: "packets verified (strict decode, hash, verify; 1 core)",
      value: verified,
      unit: `packets/s = ${(verified / bareVerify).toFixed(2)}× bare verify`,
      target: { text: "≥ 0.8× bare verify", met: verified / bareVerify >= 0.8 },
    },
    {
      name: "10,000-entry chainscript + 10,000 packets verified",
      value: chainTime,
      unit: "s",
      target: { text: "< 4 s", met: chainTime < 4 },
    },
    {
      name: "typical packet: CBOR vs compact JSON",
      value: cborSize,
      unit: `bytes vs ${jsonSize} bytes JSON = ${(100 * (1 - cborSize / jsonSize)).toFixed(0)}% smaller`,
    },
  ];
}

async function verifyLargeChain(signer: ReturnType<typeof signerFromSeed>): Promise<number> {
  const packets: SignedPacket[] = [];
  for (let i = 0; i < 10_000; i++) packets.push(await createPacket(typicalFields(i), signer));
  const built = await buildChainscript({
    steps: packets.map((p, i) => ({ bytes: p.bytes, stageId: `item-${i}` })),
    signer,
  });
  const store = new Map(packets.map((p) => [cidFromSha256(p.packetHash), p.bytes]));
  const resolveKey = () => signer.publicKey;
  let verdict = "";
  const seconds = await timeOnce(async () => {
    verdict = (await verifyChainscript({ bytes: built.bytes, packets: store, resolveKey, cid: built.cid })).verdict;
  });
  if (verdict !== "valid") throw new Error(`the benchmark chain did not verify: ${verdict}`);
  process.stderr.write(`  (chainscript: ${(built.bytes.length / 1e6).toFixed(2)} MB, ${built.cid})\n`);
  return seconds;
}
