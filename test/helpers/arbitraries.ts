import fc from "fast-check";
import type { CborMap } from "../../src/evidence/cbor/types.ts";
import { MAX_TIMESTAMP_MS } from "../../src/evidence/packet.ts";
import type { PacketFields } from "../../src/evidence/sign.ts";

const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
const text = fc.string({ unit: "grapheme", minLength: 1, maxLength: 24 });

/** Parameter values: the data model without tags, and without −0 (which cborg, the cross-check oracle, folds to 0). */
const parameterValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true }).filter((x) => !Object.is(x, -0)),
    fc.string({ unit: "grapheme" }),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 16 }),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.string({ unit: "grapheme", maxLength: 8 }), tie("value"), { maxKeys: 3 }),
  ),
})).value;

/** Arbitrary valid packet fields (packetId and timestamp included). */
export const packetFields: fc.Arbitrary<PacketFields> = fc.record(
  {
    packetId: fc.uuid({ version: 4 }),
    timestamp: fc.integer({ min: 0, max: MAX_TIMESTAMP_MS }),
    tenantId: text,
    processId: text,
    inputs: fc.record(
      {
        promptHash: hash,
        modelId: text,
        seed: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        parameters: fc.dictionary(fc.string({ unit: "grapheme", maxLength: 12 }), parameterValue, {
          maxKeys: 6,
        }) as fc.Arbitrary<CborMap>,
        assetHashes: fc.array(hash, { maxLength: 3 }),
      },
      { requiredKeys: ["promptHash", "modelId", "seed", "parameters"] },
    ),
    execution: fc.record(
      {
        durationMs: fc.maxSafeNat(),
        deviceClass: fc.constantFrom("A100", "H100", "H200", "MI300X", "TPU-v5e", "RTX-4090"),
        pipelineHash: hash,
        gpuUtilization: fc.integer({ min: 0, max: 100 }),
      },
      { requiredKeys: ["durationMs", "deviceClass", "pipelineHash"] },
    ),
    outputs: fc.record(
      {
        assetHash: hash,
        assetSize: fc.maxSafeNat(),
        mimeType: fc.constantFrom("image/png", "text/plain; charset=utf-8", "application/pdf", "video/mp4"),
        resolutionW: fc.integer({ min: 0, max: 0xffffffff }),
        resolutionH: fc.integer({ min: 0, max: 0xffffffff }),
      },
      { requiredKeys: ["assetHash", "assetSize", "mimeType"] },
    ),
  },
  { requiredKeys: ["packetId", "timestamp", "tenantId", "processId", "inputs", "execution", "outputs"] },
) as fc.Arbitrary<PacketFields>;
