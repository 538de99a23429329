import { sha256 } from "#crypto";
import { toBase64Url, toHex } from "../bytes.ts";
import { BaseError } from "../errors.ts";
import { cidFromSha256, contentCid } from "../evidence/cid.ts";
import { decodePacket } from "../evidence/codec.ts";
import type { EvidencePacket } from "../evidence/packet.ts";
import { randomUuidV4 } from "../evidence/uuid.ts";
import type { Signer } from "../keys/signer.ts";
import {
  CHAINSCRIPT_VERSION,
  type ChainEntry,
  type Chainscript,
  serializeChainscript,
  validateChainscript,
} from "./chainscript.ts";
import { checkLineage } from "./lineage.ts";
import { chainSigningMessage, computeChainHash, entrySigningMessage } from "./signing.ts";

/** The packets cannot form one chain (mixed tenants, broken lineage, …). */
export class ChainBuildError extends BaseError {
  override name = "ChainBuildError";
}

export interface ChainStep {
  /** Deterministic CBOR of a signed packet. */
  readonly bytes: Uint8Array;
  readonly stageId: string;
}

export interface BuildChainscriptParameters {
  /** The run's packets in execution order. */
  readonly steps: readonly ChainStep[];
  /** Signs every entry and the chain; its key id becomes the chain's signingKeyId. */
  readonly signer: Signer;
  /** Defaults to a fresh UUIDv4. */
  readonly chainId?: string;
  /** SHA-256 of input assets that come from outside this run. */
  readonly externalInputs?: readonly Uint8Array[];
}

export interface BuiltChainscript {
  readonly chainscript: Chainscript;
  /** RFC 8785 bytes: what is stored and what `cid` addresses. */
  readonly bytes: Uint8Array;
  readonly chainHash: Uint8Array;
  readonly cid: string;
}

/**
 * Links a run's packets into a signed chainscript.
 *
 * @example
 * const { cid, chainHash } = await buildChainscript({ steps, signer });
 * @throws {ChainBuildError} when the packets do not belong to one run or their lineage is broken.
 */
export async function buildChainscript(parameters: BuildChainscriptParameters): Promise<BuiltChainscript> {
  const { steps, signer } = parameters;
  if (steps.length === 0) throw new ChainBuildError("A chainscript needs at least one packet.");
  const packets: EvidencePacket[] = steps.map((step, i) => {
    try {
      return decodePacket(step.bytes).packet;
    } catch (error) {
      throw new ChainBuildError(`Packet ${i} (stage "${step.stageId}") is not a valid packet.`, {
        cause: error,
        details: (error as Error).message,
      });
    }
  });
  const first = packets[0] as EvidencePacket;
  packets.forEach((packet, i) => {
    if (packet.tenantId !== first.tenantId || packet.processId !== first.processId) {
      throw new ChainBuildError(
        `Packet ${i} belongs to tenant "${packet.tenantId}", process "${packet.processId}"; packet 0 to tenant "${first.tenantId}", process "${first.processId}": one chain holds one run.`,
      );
    }
  });
  const externalInputs = (parameters.externalInputs ?? []).map(toHex);
  const problems = checkLineage(
    packets.map((p) => ({ inputs: p.inputs.assetHashes ?? [], output: p.outputs.assetHash })),
    new Set(externalInputs),
  );
  if (problems.length > 0) {
    const problem = problems[0] as (typeof problems)[number];
    throw new ChainBuildError(`Entry ${problem.entry}: ${problem.message}.`, {
      details: "Declare inputs that come from outside the run as external inputs.",
    });
  }

  const hashes = steps.map((step) => sha256(step.bytes));
  const entries: ChainEntry[] = [];
  for (let i = 0; i < steps.length; i++) {
    const unsigned = {
      sequence: i,
      packetCid: cidFromSha256(hashes[i] as Uint8Array),
      packetHash: toHex(hashes[i] as Uint8Array),
      previousHash: i === 0 ? null : toHex(hashes[i - 1] as Uint8Array),
      timestamp: (packets[i] as EvidencePacket).timestamp,
      stageId: (steps[i] as ChainStep).stageId,
    };
    entries.push({ ...unsigned, eddsaSignature: toBase64Url(await signer.sign(entrySigningMessage(unsigned))) });
  }
  const chainHash = computeChainHash(hashes);
  const chainscript = validateChainscript({
    version: CHAINSCRIPT_VERSION,
    chainId: parameters.chainId ?? randomUuidV4(),
    tenantId: first.tenantId,
    processId: first.processId,
    signingKeyId: signer.keyId,
    entries,
    ...(externalInputs.length > 0 ? { externalInputs: [...new Set(externalInputs)].sort() } : {}),
    chainHash: toHex(chainHash),
    chainSignature: toBase64Url(await signer.sign(chainSigningMessage(chainHash))),
  });
  const bytes = serializeChainscript(chainscript);
  return { chainscript, bytes, chainHash, cid: await contentCid(bytes) };
}
