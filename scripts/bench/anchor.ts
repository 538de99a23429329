import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PublicClient } from "viem";
import type { BenchLine } from "./measure.ts";

const PIECES = 10_000;
/** `pop anchor`'s default: the transaction is looked up once a second until it is confirmed. */
const POLLING_INTERVAL_MS = 1_000;

/**
 * A 10,000-piece art batch: independent outputs (no lineage between them), one
 * small real file each, listed in one manifest, anchored by `anchorManifests`
 * on the local chain with PGlite state and the local store, as `pop anchor`
 * does. The split comes from the pipeline's own timings, the manifest's share
 * from the moment the run is recorded. Baseline, in the same run: the same
 * 10,000 packets created with no database (so the packets phase reads as a
 * multiple of bare packet creation: the cost of making them durable).
 */
export async function benchAnchor(): Promise<BenchLine[]> {
  const { createPublicClient, http } = await import("viem");
  const { startLocalBase } = await import("../../test/helpers/localChain.ts");
  const { pipelineContext, registerTenantFor } = await import("../../test/helpers/pipeline.ts");
  const { anchorManifests } = await import("../../src/anchor/pipeline/pipeline.ts");
  const { readManifest } = await import("../../src/anchor/pipeline/manifest.ts");
  const { openPglite } = await import("../../src/db/pglite.ts");
  const { LocalStore } = await import("../../src/storage/local.ts");
  const { startGateway } = await import("../../src/storage/gateway.ts");
  const { verifyAnchor } = await import("../../src/verify/verifyAnchor.ts");
  const { createPacket } = await import("../../src/evidence/sign.ts");
  const { signerFromSeed } = await import("../../src/keys/fileSigner.ts");

  const dir = await mkdtemp(join(tmpdir(), "pop-bench-anchor-"));
  const signer = signerFromSeed("bench-key", randomBytes(32));
  const manifestPath = await writeBatch(join(dir, "batch"));
  const chain = await startLocalBase();
  const db = await openPglite(join(dir, "state"));
  const store = new LocalStore(join(dir, "store"));
  let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
  try {
    await registerTenantFor(chain, "studio-aurora", signer);

    // Baseline: the same packets, created and signed with no database.
    const manifest = await readManifest(manifestPath);
    const bareStart = performance.now();
    for (const step of manifest.steps) await createPacket(step.fields, signer);
    const bareSeconds = (performance.now() - bareStart) / 1000;

    // The run is `registered` once the manifest is read and validated and the migrations are done.
    let registeredAt = Number.NaN;
    const onStep = (step: string) => {
      if (step === "registered") registeredAt = performance.now();
    };
    const start = performance.now();
    const result = await anchorManifests(pipelineContext(chain, db, [store], signer, { onStep }), {
      manifests: [manifestPath],
      confirmations: 1,
      pollingIntervalMs: POLLING_INTERVAL_MS,
    });
    const totalSeconds = (performance.now() - start) / 1000;
    const manifestSeconds = (registeredAt - start) / 1000;
    const [run] = result.runs;
    if (run?.status !== "anchored" || run.packets !== PIECES)
      throw new Error(`the batch was not anchored: ${JSON.stringify(run?.status)}`);
    const { packets, chainscript, storage, transaction } = result.timings;
    const phases = (packets + chainscript + storage + transaction) / 1000;
    // The EIP-712 signature and the receipt (with its look at the chain's logs): whatever else the call did.
    const otherSeconds = totalSeconds - manifestSeconds - phases;

    // Proof that the batch is what it claims: the 4-step protocol over the RPC and the local gateway.
    gateway = await startGateway(store);
    const client = createPublicClient({ chain: chain.chain, transport: http(chain.url) });
    const verifyStart = performance.now();
    const report = await verifyAnchor([client as PublicClient], {
      tenantId: run.tenantId,
      chainId: run.chainId,
      registry: chain.registry,
      gateways: [gateway.url],
    });
    const verifySeconds = (performance.now() - verifyStart) / 1000;
    if (report.verdict !== "valid")
      throw new Error(`the anchored batch did not verify: ${JSON.stringify(report.firstFailure)}`);

    const share = (seconds: number) => `${((100 * seconds) / totalSeconds).toFixed(0)}%`;
    const packetSeconds = packets / 1000;
    return [
      {
        name: "baseline: 10,000 packets created, no database (1 core)",
        value: bareSeconds,
        unit: `s = ${Math.round(PIECES / bareSeconds).toLocaleString("en-US")} packets/s`,
      },
      { name: "anchor a 10,000-piece batch, end to end (local chain)", value: totalSeconds, unit: "s" },
      {
        name: "  manifest: read, validate, hash 10,000 output files",
        value: manifestSeconds,
        unit: `s, ${share(manifestSeconds)} (with migrations)`,
      },
      {
        name: "  packets: create, sign, record in PGlite",
        value: packetSeconds,
        unit: `s = ${(packetSeconds / bareSeconds).toFixed(2)}× bare creation, ${share(packetSeconds)}`,
      },
      {
        name: "  chainscript: build and sign, record",
        value: chainscript / 1000,
        unit: `s, ${share(chainscript / 1000)}`,
      },
      { name: "  storage: one CAR to the local store", value: storage / 1000, unit: `s, ${share(storage / 1000)}` },
      {
        name: "  transaction: simulate, send, confirm",
        value: transaction / 1000,
        unit: `s, ${share(transaction / 1000)} (the local chain mines on arrival)`,
      },
      {
        name: "  rest: EIP-712 signature, receipt",
        value: otherSeconds,
        unit: `s, ${share(otherSeconds)}`,
      },
      {
        name: "verify the anchored 10,000-piece batch (RPC + gateway)",
        value: verifySeconds,
        unit: `s: ${report.verdict}`,
      },
    ];
  } finally {
    await gateway?.close();
    await db.close();
    await chain.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes 10,000 distinct small output files and the manifest listing them, one independent step each. */
async function writeBatch(dir: string): Promise<string> {
  await mkdir(join(dir, "outputs"), { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < PIECES; i++) {
    const output = `outputs/piece-${String(i).padStart(5, "0")}.png`;
    await writeFile(join(dir, output), randomBytes(512));
    lines.push(
      JSON.stringify({
        stageId: "generate",
        output,
        tenantId: "studio-aurora",
        processId: "genesis-collection-v1",
        inputs: {
          prompt: `a lighthouse at dusk, variation ${i}`,
          modelId: "stabilityai/sdxl-base-1.0@462165984030",
          seed: String(1_000_000 + i),
          parameters: { cfg: 7.5, steps: 30, sampler: "dpmpp_2m", width: 1024, height: 1024 },
        },
        execution: { durationMs: 4_210, deviceClass: "H100", pipelineHash: "ab".repeat(32) },
        outputs: { resolutionW: 1024, resolutionH: 1024 },
      }),
    );
  }
  const path = join(dir, "batch.jsonl");
  await writeFile(path, `${lines.join("\n")}\n`);
  return path;
}
