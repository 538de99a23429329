/**
 * The artifact routes: download builds and signs a job's artifact from the
 * database; verify checks one offline and against the chains this service is
 * configured with (POP_RPC_URL, POP_NUMBERS_RPC_URL). Its verdict is the
 * service's: one that trusts no server comes from `pop verify-artifact` or the
 * library run with one's own endpoints.
 */
import { createPublicClient, http, type PublicClient } from "viem";
import type { Database } from "../../db/database.ts";
import type { Signer } from "../../keys/signer.ts";
import type { JobAnchorLookup } from "../artifact/anchor.ts";
import { buildJobArtifact } from "../artifact/build.ts";
import type { ArtifactEndpoints } from "../artifact/online.ts";
import { canonicalArtifactBytes } from "../artifact/sign.ts";
import { type ArtifactVerificationReport, verifyJobArtifact } from "../artifact/verify.ts";
import { tenantSigner } from "./errors.ts";

export interface ArtifactDeps {
  readonly db: Database;
  readonly signers: ReadonlyMap<string, Signer>;
  readonly now: () => number;
  readonly baseRpcUrl?: string | undefined;
  readonly numbersRpcUrl?: string | undefined;
  /** Where a job's Base anchor is read; default: none is anchored yet (src/jobs/artifact/anchor.ts). */
  readonly anchorLookup?: JobAnchorLookup;
}

/** The artifact of a job of `tenantId` as its exact signed bytes. */
export async function downloadArtifact(deps: ArtifactDeps, tenantId: string, jobId: string): Promise<Uint8Array> {
  const signer = tenantSigner(deps.signers, tenantId);
  const artifact = await buildJobArtifact(deps.db, {
    tenantId,
    jobId,
    signer,
    now: deps.now(),
    ...(deps.anchorLookup === undefined ? {} : { anchor: deps.anchorLookup }),
  });
  return canonicalArtifactBytes(artifact);
}

const client = (url: string) =>
  createPublicClient({ transport: http(url, { retryCount: 1, timeout: 10_000 }) }) as PublicClient;

/** Verifies `content` (the file's text, or its parsed object) offline and against the configured chains. */
export async function verifyArtifactContent(
  deps: ArtifactDeps,
  content: string | Record<string, unknown>,
): Promise<ArtifactVerificationReport> {
  const endpoints: ArtifactEndpoints = {
    ...(deps.baseRpcUrl ? { base: [client(deps.baseRpcUrl)] } : {}),
    ...(deps.numbersRpcUrl ? { numbers: client(deps.numbersRpcUrl) } : {}),
  };
  const input = typeof content === "string" ? new TextEncoder().encode(content) : content;
  return verifyJobArtifact(input, endpoints);
}
