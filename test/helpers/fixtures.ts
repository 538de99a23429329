import { createHash } from "node:crypto";
import type { PacketFields } from "../../src/evidence/sign.ts";
import { signerFromSeed } from "../../src/keys/fileSigner.ts";

/** RFC 8032 §7.1 test 1 seed: a fixed key makes every signature, and so every packet byte, reproducible. */
export const RFC8032_SEED_1 = Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex");
export const RFC8032_PUBLIC_1 = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

export const fixedSigner = (keyId = "studio-key-2026") => signerFromSeed(keyId, RFC8032_SEED_1);

/** SHA-256 of a label, as a stand-in for a real asset's hash. */
export const hashOf = (label: string): Uint8Array => new Uint8Array(createHash("sha256").update(label).digest());

/** A realistic image-generation step. */
export function sampleFields(overrides: Partial<PacketFields> = {}): PacketFields {
  return {
    packetId: "0f8fad5b-d9cb-469f-a165-70867728950e",
    timestamp: 1_767_225_600_123,
    tenantId: "studio-aurora",
    processId: "sdxl-batch-v3",
    inputs: {
      promptHash: hashOf("a lighthouse at dusk, oil on canvas"),
      modelId: "stabilityai/sdxl-base-1.0@462165984030",
      seed: 1_234_567_890_123n,
      parameters: { cfg: 7.5, steps: 30, sampler: "dpmpp_2m", width: 1024, height: 1024 },
    },
    execution: { durationMs: 4_210, deviceClass: "H100", pipelineHash: hashOf("pipeline.yaml v3"), gpuUtilization: 93 },
    outputs: {
      assetHash: hashOf("lighthouse.png"),
      assetSize: 1_874_223,
      mimeType: "image/png",
      resolutionW: 1024,
      resolutionH: 1024,
    },
    ...overrides,
  };
}
