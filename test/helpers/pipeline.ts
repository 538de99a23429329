import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Hex } from "viem";
import { toOnchainId } from "../../src/anchor/ids.ts";
import type { AnchorPipelineContext } from "../../src/anchor/pipeline/pipeline.ts";
import type { Database } from "../../src/db/database.ts";
import type { Signer } from "../../src/keys/signer.ts";
import type { ContentProvider } from "../../src/storage/provider.ts";
import { accounts, clients } from "./anchorRun.ts";
import type { LocalChain } from "./localChain.ts";

export interface ManifestOptions {
  readonly tenantId?: string;
  readonly processId?: string;
  /** Steps in the run (default 3: generate → upscale → watermark, each consuming the previous output). */
  readonly steps?: number;
  /** Fix packetId and timestamp on every line, so packet bytes are reproducible. */
  readonly fixed?: boolean;
  /** Distinguishes the output files (and so the run) of manifests written to the same directory. */
  readonly label?: string;
  readonly name?: string;
}

const STAGES = ["generate", "upscale", "watermark"];

/** Writes real output files and a JSONL manifest describing a linear run over them; returns the manifest's path. */
export async function writeManifest(dir: string, options: ManifestOptions = {}): Promise<string> {
  const { tenantId = "studio-aurora", processId = "lighthouse-v1", steps = 3, label = "run" } = options;
  await mkdir(join(dir, "outputs"), { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < steps; i++) {
    const output = `outputs/${label}-${i}.bin`;
    await writeFile(join(dir, output), `${label} output ${i}\n`);
    const line = {
      stageId: STAGES[i % STAGES.length] ?? "step",
      output,
      ...(i > 0 ? { inputFiles: [`outputs/${label}-${i - 1}.bin`] } : {}),
      ...(options.fixed
        ? { packetId: `0f8fad5b-d9cb-469f-a165-${String(i).padStart(12, "0")}`, timestamp: 1_767_225_600_000 + i }
        : {}),
      tenantId,
      processId,
      inputs: { prompt: "a lighthouse at dusk", modelId: "sdxl@1", seed: String(1000 + i), parameters: { steps: 30 } },
      execution: { durationMs: 100 + i, deviceClass: "H100", pipelineHash: "ab".repeat(32) },
      outputs: { resolutionW: 64, resolutionH: 64 },
    };
    lines.push(JSON.stringify(line));
  }
  const path = join(dir, options.name ?? `${label}.jsonl`);
  await writeFile(path, `${lines.join("\n")}\n`);
  return path;
}

/** Registers the tenant (admin 1), allows anchor signer 2 and registers the Ed25519 key, unless already done. */
export async function registerTenantFor(chain: LocalChain, tenant: string, signer: Signer): Promise<void> {
  const { publicClient, send } = clients(chain);
  const tenantId = toOnchainId(tenant);
  const [admin] = await publicClient.readContract({
    address: chain.registry,
    abi: (await import("../../src/anchor/abi.ts")).processAnchorRegistryAbi,
    functionName: "tenantAdmin",
    args: [tenantId],
  });
  if (/^0x0+$/.test(admin)) {
    await send(accounts.registrar, "registerTenant", [tenantId, accounts.admin.address]);
    await send(accounts.admin, "setAnchorSigner", [tenantId, accounts.signer.address, true]);
  }
  const publicKey = `0x${Buffer.from(signer.publicKey).toString("hex")}` as Hex;
  await send(accounts.admin, "registerSigningKey", [tenantId, toOnchainId(signer.keyId), publicKey, 0n, 2n ** 40n]);
}

/** A pipeline context on the local chain: anchor signer 2, relayer 3. */
export function pipelineContext(
  chain: LocalChain,
  db: Database,
  providers: readonly ContentProvider[],
  packetSigner: Signer,
  overrides: Partial<AnchorPipelineContext> = {},
): AnchorPipelineContext {
  return {
    db,
    publicClient: clients(chain).publicClient,
    registry: chain.registry,
    evmChainId: chain.chain.id,
    packetSigner,
    anchorSigner: accounts.signer,
    relayer: accounts.relayer,
    providers,
    ...overrides,
  };
}
