/**
 * The pipeline's entry point for runs whose packets already exist, signed and
 * recorded elsewhere (the receipts service's job events): no manifest, no
 * packets made here. From there on it is the same pipeline as `pop anchor`'s
 * (pipeline.ts): the packets are recorded with the run, the chainscript is
 * built and signed with the tenant's key, packets and chainscript are stored
 * (CAR, quorum), the EIP-712 `Anchor` signed, and one transaction (`anchor`,
 * or `anchorBatch` for several) sent through the transaction engine. Every
 * step is recorded in the same tables, so calling again with the same runs
 * after a crash finishes the work and never anchors twice. No receipt file is
 * written: the caller keeps what it needs (AnchorResult) in its own tables.
 */
import { createHash } from "node:crypto";
import type { Address } from "viem";
import { migrate } from "../../db/migrate.ts";
import { rawCid } from "../../evidence/cid.ts";
import type { Signer } from "../../keys/signer.ts";
import {
  type AnchorResult,
  Pipeline,
  type PipelineContext,
  type PipelineParameters,
  sendAndFinish,
} from "./pipeline.ts";
import { ANCHOR_MIGRATIONS, ANCHOR_SCHEMA } from "./schema.ts";
import { findOrCreateRun, type RunRecord, recordPackets } from "./state.ts";

/** One run made of packets that exist already. */
export interface StoredRun {
  /** Names the run in the state and in messages where a manifest's run has its path, e.g. `job:<jobId>`. */
  readonly label: string;
  readonly tenantId: string;
  readonly processId: string;
  /** The chainscript's UUID; a run recorded by an earlier call keeps the one it was recorded with. */
  readonly chainId: string;
  /** Deterministic CBOR of the signed packets, in execution order, each with its stage's name. */
  readonly packets: readonly { readonly stageId: string; readonly bytes: Uint8Array }[];
  /** SHA-256 of the input assets from outside the run. */
  readonly externalInputs?: readonly Uint8Array[];
  /** The tenant's Ed25519 key, the one that signed the packets: it signs the chainscript. */
  readonly signer: Signer;
}

export interface AnchorStoredRunsParameters extends PipelineParameters {
  readonly runs: readonly StoredRun[];
}

const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** The packets' hashes, one a line: what `manifest_sha256` holds for a run without a manifest. */
function packetsDigest(run: StoredRun): string {
  return createHash("sha256")
    .update(run.packets.map((packet) => `${sha256Hex(packet.bytes)}\n`).join(""))
    .digest("hex");
}

/**
 * The run key of a stored run: its label and packets, for this registry on this chain. The same run asked
 * again (after a restart) is the same recorded run.
 */
export function storedRunKey(run: StoredRun, evmChainId: number, registry: Address): string {
  return createHash("sha256")
    .update(`stored\n${evmChainId}\n${registry.toLowerCase()}\n${run.label}\n${packetsDigest(run)}\n`)
    .digest("hex");
}

/**
 * Anchors runs whose packets already exist, resuming whatever an earlier call recorded for them.
 *
 * @example
 * const { runs, transaction } = await anchorStoredRuns(context, { runs: [{ label: "job:42", tenantId, processId,
 *   chainId: randomUuidV4(), packets, signer }], confirmations: 1 });
 * @throws {ChainBuildError} when a run's packets do not form one chain (mixed tenants, broken lineage);
 *   {RegistryError}, {AnchorConflictError}, {AnchorPipelineError} / {AnchorTransactionError} as anchorManifests.
 */
export async function anchorStoredRuns(
  context: PipelineContext,
  parameters: AnchorStoredRunsParameters,
): Promise<AnchorResult> {
  const { db, evmChainId, registry } = context;
  await migrate(db, ANCHOR_SCHEMA, ANCHOR_MIGRATIONS);
  const pipeline = new Pipeline(context, parameters);
  const prepared: RunRecord[] = [];
  for (const [index, input] of parameters.runs.entries()) {
    const { run, created } = await findOrCreateRun(db, {
      runKey: storedRunKey(input, evmChainId, registry),
      evmChainId,
      registry,
      manifestPath: input.label,
      manifestSha256: packetsDigest(input),
      tenantId: input.tenantId,
      processId: input.processId,
      chainId: input.chainId,
      packetCount: input.packets.length,
    });
    if (created) await context.onStep?.("registered");
    const packets = input.packets.map((packet, sequence) => ({
      sequence,
      stageId: packet.stageId,
      cid: rawCid(packet.bytes),
      bytes: packet.bytes,
    }));
    const current = await pipeline.advance(run, index, {
      // All of a run's packets in one database transaction: a job has two.
      packets: async (registered) => {
        await recordPackets(db, registered, packets, true);
        await context.onStep?.("packets");
      },
      externalInputs: input.externalInputs ?? [],
      signer: input.signer,
    });
    if (!prepared.some((p) => p.runKey === current.runKey)) prepared.push(current);
  }
  return sendAndFinish(pipeline, prepared, { writeReceipt: false });
}
