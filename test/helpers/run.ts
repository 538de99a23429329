import { type BuiltChainscript, buildChainscript, type ChainStep } from "../../src/chainscript/build.ts";
import { cidFromSha256 } from "../../src/evidence/cid.ts";
import { createPacket, type SignedPacket } from "../../src/evidence/sign.ts";
import type { Signer } from "../../src/keys/signer.ts";
import { fixedSigner, hashOf, sampleFields } from "./fixtures.ts";

export interface Run {
  readonly packets: SignedPacket[];
  readonly steps: ChainStep[];
  /** Packet bytes by CID: what a gateway would serve. */
  readonly store: Map<string, Uint8Array>;
  readonly built: BuiltChainscript;
  readonly signer: Signer;
}

/**
 * A three-stage run with lineage: generate → upscale (consumes the image) → watermark (consumes the upscale),
 * its packets dated `startMs`, +5 s and +10 s (default: sampleFields' time).
 */
export async function threeStageRun(
  signer: Signer = fixedSigner(),
  packetSigner: Signer = signer,
  chainId = "7c9e6679-7425-40de-944b-e07fc1f90ae7",
  startMs?: number,
): Promise<Run> {
  const base = sampleFields(startMs === undefined ? {} : { timestamp: startMs });
  const stages = [
    { stageId: "generate", output: "lighthouse.png", inputs: [] as string[] },
    { stageId: "upscale", output: "lighthouse@4x.png", inputs: ["lighthouse.png"] },
    { stageId: "watermark", output: "lighthouse@4x-wm.png", inputs: ["lighthouse@4x.png"] },
  ];
  const packets: SignedPacket[] = [];
  for (const [i, stage] of stages.entries()) {
    packets.push(
      await createPacket(
        {
          ...base,
          packetId: `0f8fad5b-d9cb-469f-a165-70867728950${i}`,
          timestamp: (base.timestamp as number) + i * 5_000,
          inputs: { ...base.inputs, assetHashes: stage.inputs.map(hashOf) },
          outputs: { ...base.outputs, assetHash: hashOf(stage.output) },
        },
        packetSigner,
      ),
    );
  }
  const steps = packets.map((packet, i) => ({
    bytes: packet.bytes,
    stageId: (stages[i] as { stageId: string }).stageId,
  }));
  const store = new Map(packets.map((p) => [cidFromSha256(p.packetHash), p.bytes]));
  const built = await buildChainscript({ steps, signer, chainId });
  return { packets, steps, store, built, signer };
}
