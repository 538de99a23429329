/** Artifacts of simulated jobs built without a database, for the artifact tests. */
import { toBase64Url, toHex } from "../../src/bytes.ts";
import { rawCid } from "../../src/evidence/cid.ts";
import type { SignedPacket } from "../../src/evidence/sign.ts";
import { assembleArtifact } from "../../src/jobs/artifact/build.ts";
import type { ArtifactAnchor, ArtifactCommit, ArtifactPacket, JobArtifact } from "../../src/jobs/artifact/format.ts";
import { canonicalArtifactBytes } from "../../src/jobs/artifact/sign.ts";
import { createJobPacket } from "../../src/jobs/packets.ts";
import { type SimulateJobParameters, simulateJob } from "../../src/jobs/simulator.ts";
import type { Signer } from "../../src/keys/signer.ts";
import { fixedSigner } from "../helpers/fixtures.ts";

export const TENANT = "fleet-north";
export const signer = fixedSigner();

export function artifactPacket(
  eventType: ArtifactPacket["eventType"],
  signed: SignedPacket,
  numbers: Partial<ArtifactCommit> = {},
): ArtifactPacket {
  const cid = rawCid(signed.bytes);
  return {
    eventType,
    cid,
    packetHash: toHex(signed.packetHash),
    bytes: toBase64Url(signed.bytes),
    numbers: {
      status: "pending",
      nid: cid,
      nidMatchesCid: true,
      committer: "direct",
      txHash: null,
      blockNumber: null,
      explorerUrl: null,
      ...numbers,
    },
  };
}

/** A simulated job's signed packets (both, or only JobSubmitted with `completed: false`). */
export async function jobPackets(
  options: { completed?: boolean; job?: Partial<SimulateJobParameters>; signer?: Signer } = {},
) {
  let clock = 1_767_225_600_000;
  const key = options.signer ?? signer;
  const job = simulateJob({
    seed: 8n,
    executor: "worker-7",
    timeScale: 0,
    failureRate: 0,
    now: () => clock++,
    ...options.job,
  });
  const context = { tenantId: TENANT, processId: "gpu-jobs-v1" };
  const packets = [await createJobPacket(job.submitted, job.submitted, context, key)];
  if (options.completed !== false)
    packets.push(await createJobPacket(job.submitted, await job.complete(), context, key));
  return packets;
}

/** A signed artifact of a simulated job; `commits` fills each packet's Numbers section. */
export async function artifactOf(
  options: {
    completed?: boolean;
    anchor?: ArtifactAnchor | null;
    commits?: Partial<ArtifactCommit>[];
    job?: Partial<SimulateJobParameters>;
    signer?: Signer;
    /** Packets signed before (each signing draws a new packet id). */
    packets?: SignedPacket[];
  } = {},
): Promise<{ artifact: JobArtifact; bytes: Uint8Array; packets: SignedPacket[] }> {
  const packets = options.packets ?? (await jobPackets(options));
  const artifact = await assembleArtifact({
    packets: packets.map((packet, i) =>
      artifactPacket(i === 0 ? "JobSubmitted" : "JobCompleted", packet, options.commits?.[i]),
    ),
    anchor: options.anchor ?? null,
    signer: options.signer ?? signer,
    now: 1_767_225_700_000,
  });
  return { artifact, bytes: canonicalArtifactBytes(artifact), packets };
}

/** A JSON copy of `artifact` for tampering. */
export const copy = (artifact: JobArtifact): JobArtifact => JSON.parse(JSON.stringify(artifact));
