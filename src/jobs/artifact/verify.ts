/**
 * Verifies a job artifact: offline (the document proves itself under the key
 * it embeds) and, for each endpoint given, online (gateways, Numbers, Base).
 */
import { summarize, type VerificationReport } from "../../chainscript/report.ts";
import type { JobArtifact } from "./format.ts";
import { checkArtifactOffline } from "./offline.ts";
import { type ArtifactEndpoints, checkArtifactOnline, ONLINE_AVAILABILITY, onlineChecks } from "./online.ts";

export interface ArtifactVerificationReport extends VerificationReport {
  /** What the verdict does and does not say: the key's trust, a pending commit, "not anchored yet". */
  readonly notes: readonly string[];
  /** The job, when the document had the format's shape. */
  readonly jobId?: string;
  readonly tenantId?: string;
  readonly keyId?: string;
  /** True when the artifact carries a Base anchor. */
  readonly anchored?: boolean;
}

/**
 * Verifies an artifact given as its file's bytes (every byte is checked) or as a parsed JSON value.
 * Without endpoints only the offline checks run; the online ones are then reported as skipped and do
 * not make the verdict incomplete. Exit-code style verdict: valid, invalid, or incomplete (an endpoint
 * could not answer).
 *
 * @example
 * const report = await verifyJobArtifact(await readFile("job.json"), { gateways: ["https://ipfs.io"] });
 * if (report.verdict !== "valid") console.log(report.firstFailure); // { check, field, message }
 */
export async function verifyJobArtifact(
  input: Uint8Array | unknown,
  endpoints: ArtifactEndpoints = {},
): Promise<ArtifactVerificationReport> {
  const offline = checkArtifactOffline(input);
  const notes = [...offline.notes];
  const artifact: JobArtifact | undefined = offline.artifact;
  const offlineResults = Object.values(offline.checks).map((check) => check.result());
  const passedOffline = artifact !== undefined && offlineResults.every((result) => result.status !== "fail");
  let online = onlineChecks(endpoints);
  if (passedOffline) online = await checkArtifactOnline(artifact, endpoints, notes);
  else if (artifact !== undefined) notes.push("The online checks did not run: the document failed an offline check.");
  const report = summarize(
    [
      ...offlineResults,
      ...Object.values(online).map((check) => ({
        ...check.result(),
        ...(passedOffline ? {} : { optional: true as const }),
      })),
    ],
    ONLINE_AVAILABILITY,
  );
  return {
    ...report,
    notes,
    ...(artifact === undefined
      ? {}
      : {
          jobId: artifact.job.jobId,
          tenantId: artifact.job.tenantId,
          keyId: artifact.signature.keyId,
          anchored: artifact.proof.anchor !== null,
        }),
  };
}
