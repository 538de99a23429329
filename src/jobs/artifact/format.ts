/**
 * The job artifact, version 1 (`pop-job-artifact/1`): a JSON document with a
 * job's results and the whole proof of them, signed by the tenant's key over
 * its RFC 8785 bytes (decision 027). The schema here is what a verifier accepts:
 * strict (no unknown fields), lowercase hex, so each value has one text form
 * and a changed byte that still parses is named by its field.
 */
import { z } from "zod";

export const ARTIFACT_FORMAT = "pop-job-artifact/1";
/** The label of the signing context (`POP-ARTIFACT-V1\0`, src/evidence/context.ts). */
export const ARTIFACT_CONTEXT_LABEL = "POP-ARTIFACT-V1";

const hex = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `must be ${bytes * 2} lowercase hex digits`);
const txHash = z.string().regex(/^0x[0-9a-f]{64}$/, "must be 0x and 64 lowercase hex digits");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be 0x and 40 hex digits");
const decimal = z.string().regex(/^(0|[1-9][0-9]{0,19})$/, "must be a decimal integer as a string");
const text = z.string().min(1, "must not be empty");
const iso = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, "must be an ISO 8601 UTC time with ms");
const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/, "must be unpadded base64url");

const FileDescription = z
  .object({
    fileName: text,
    mimeType: text,
    sha256: hex(32),
    size: z.number().int().min(0),
    resolution: z
      .object({ width: z.number().int().min(1), height: z.number().int().min(1) })
      .strict()
      .nullable(),
  })
  .strict();

/** What the job was: all of it read from the signed JobSubmitted packet (summary.ts). */
export const ArtifactJob = z
  .object({
    jobId: text,
    tenantId: text,
    processId: text,
    taskType: text,
    executor: text,
    /** The packet's `execution.deviceClass`. */
    deviceClass: text,
    /** The accelerator's name (`inputs.parameters.gpu`). */
    gpu: text,
    modelId: text,
    simulated: z.boolean(),
    submittedAt: iso,
    /** The job specification (the JobSubmitted packet's output). */
    specification: FileDescription,
  })
  .strict();

/** What the job produced: all of it read from the signed JobCompleted packet; null while the job runs. */
export const ArtifactResults = z
  .object({
    status: z.enum(["succeeded", "failed"]),
    completedAt: iso,
    exitCode: z.number().int().min(0).max(255),
    failureReason: text.nullable(),
    durationMs: z.number().int().min(0),
    gpuUtilization: z.number().int().min(0).max(100).nullable(),
    memoryUsedGb: z.number().min(0).nullable(),
    /** The output file, or the error log of a failed job. */
    file: FileDescription,
  })
  .strict();

export const ArtifactCommit = z
  .object({
    status: z.enum(["pending", "committed"]),
    /** The NID Numbers knows the packet by: its CID, or what the Capture API answered (`nidMatchesCid`). */
    nid: text,
    nidMatchesCid: z.boolean(),
    committer: text.nullable(),
    txHash: txHash.nullable(),
    blockNumber: decimal.nullable(),
    explorerUrl: text.nullable(),
  })
  .strict();

export const ArtifactPacket = z
  .object({
    eventType: z.enum(["JobSubmitted", "JobCompleted"]),
    /** CIDv1 (raw, sha2-256) of `bytes`: the Numbers commit's assetCid. */
    cid: text,
    /** SHA-256 of `bytes`, hex. */
    packetHash: hex(32),
    /** The signed evidence packet (deterministic CBOR), base64url. */
    bytes: base64url,
    numbers: ArtifactCommit,
  })
  .strict();

/** Where the job's packets were anchored on Base; null until they are (the anchoring pipeline's, issue 12 item 7). */
export const ArtifactAnchor = z
  .object({
    /** The EVM chain: 8453 Base, 84532 Base Sepolia, 31337 the local stand-in. */
    chain: z.object({ id: z.number().int().min(1), name: text }).strict(),
    registry: address,
    txHash,
    blockNumber: decimal,
    /** The tenant's string id, as the chainscript names it. */
    tenantId: text,
    /** The chainscript's UUID (the run's chain id), which the registry's anchor is keyed by. */
    chainId: text,
    /** CID of the anchored chainscript. */
    chainscriptCid: text,
  })
  .strict();

export const ArtifactSignature = z
  .object({
    algorithm: z.literal("Ed25519"),
    context: z.literal(ARTIFACT_CONTEXT_LABEL),
    /** The tenant key's id (packets name it as `signingKeyId`; the registry by keccak256 of it). */
    keyId: text,
    publicKey: hex(32),
    /** Ed25519 over `POP-ARTIFACT-V1\0` ‖ RFC 8785 of the artifact without this field. */
    value: hex(64),
  })
  .strict();

export const JobArtifact = z
  .object({
    format: z.literal(ARTIFACT_FORMAT),
    issuedAt: iso,
    job: ArtifactJob,
    results: ArtifactResults.nullable(),
    proof: z
      .object({
        packets: z
          .array(ArtifactPacket)
          .min(1, "must hold the JobSubmitted packet")
          .max(2, "holds at most two packets"),
        anchor: ArtifactAnchor.nullable(),
      })
      .strict(),
    signature: ArtifactSignature,
  })
  .strict();

export type JobArtifact = z.infer<typeof JobArtifact>;
export type ArtifactJob = z.infer<typeof ArtifactJob>;
export type ArtifactResults = z.infer<typeof ArtifactResults>;
export type ArtifactPacket = z.infer<typeof ArtifactPacket>;
export type ArtifactAnchor = z.infer<typeof ArtifactAnchor>;
export type ArtifactCommit = z.infer<typeof ArtifactCommit>;
/** An artifact before its signature's value is known: what the signature covers. */
export type UnsignedArtifact = Omit<JobArtifact, "signature"> & {
  readonly signature: Omit<JobArtifact["signature"], "value">;
};

/** `proof.packets.1.cid` as a reader writes it: `proof.packets[1].cid`. */
export function fieldPath(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (out, part) => (typeof part === "number" ? `${out}[${part}]` : out === "" ? part : `${out}.${part}`),
    "",
  );
}
