import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PublicClient } from "viem";
import type { BenchLine } from "./measure.ts";

/** A local Base chain and gateway, with `anchor(size)` making and anchoring a chain of `size` signed packets. */
export async function anchoringWorld() {
  const { startLocalBase } = await import("../../test/helpers/localChain.ts");
  const { registerAndAnchor } = await import("../../test/helpers/anchorRun.ts");
  const { LocalStore } = await import("../../src/storage/local.ts");
  const { startGateway } = await import("../../src/storage/gateway.ts");
  const { buildChainscript } = await import("../../src/chainscript/build.ts");
  const { createPacket } = await import("../../src/evidence/sign.ts");
  const { fixedSigner, sampleFields } = await import("../../test/helpers/fixtures.ts");

  const dir = await mkdtemp(join(tmpdir(), "pop-bench-verify-"));
  const chain = await startLocalBase();
  const store = new LocalStore(dir);
  const gateway = await startGateway(store);
  const signer = fixedSigner();
  return {
    chain,
    gateway,
    /** Anchors a new chain of `size` entries; answers the ids a verifier starts from. */
    async anchor(size: number) {
      const packets = [];
      for (let i = 0; i < size; i++)
        packets.push(
          await createPacket(sampleFields({ packetId: randomUUID(), timestamp: 1_767_225_600_000 + i }), signer),
        );
      const built = await buildChainscript({
        steps: packets.map((p, i) => ({ bytes: p.bytes, stageId: `item-${i}` })),
        signer,
        chainId: randomUUID(),
      });
      await registerAndAnchor(chain, { packets, built, signer, steps: [], store: new Map() }, store);
      return { tenantId: built.chainscript.tenantId, chainId: built.chainscript.chainId };
    },
    async close() {
      await gateway.close();
      await chain.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The whole 4-step protocol in this process, as `pop verify` runs it; answers its seconds. */
export async function verifyInNode(
  world: Awaited<ReturnType<typeof anchoringWorld>>,
  ids: { tenantId: string; chainId: string },
) {
  const { createPublicClient, http } = await import("viem");
  const { verifyAnchor } = await import("../../src/verify/verifyAnchor.ts");
  const client = createPublicClient({ chain: world.chain.chain, transport: http(world.chain.url) });
  const start = performance.now();
  const report = await verifyAnchor([client as PublicClient], {
    ...ids,
    registry: world.chain.registry,
    gateways: [world.gateway.url],
  });
  const seconds = (performance.now() - start) / 1000;
  if (report.verdict !== "valid") throw new Error(`the chain did not verify: ${JSON.stringify(report.firstFailure)}`);
  return seconds;
}

/**
 * Verification latency of anchored chains of 10 to 10,000 entries: the whole
 * 4-step protocol against a local JSON-RPC chain and the local gateway.
 */
export async function benchVerify(): Promise<BenchLine[]> {
  const world = await anchoringWorld();
  const lines: BenchLine[] = [];
  try {
    for (const size of [10, 100, 1_000, 10_000]) {
      const seconds = await verifyInNode(world, await world.anchor(size));
      lines.push({
        name: `verify an anchored ${size.toLocaleString("en-US")}-entry chain (RPC + gateway)`,
        value: seconds,
        unit: "s",
        ...(size === 1_000 ? { target: { text: "≤ 1 s", met: seconds <= 1 } } : {}),
      });
    }
  } finally {
    await world.close();
  }
  return lines;
}
