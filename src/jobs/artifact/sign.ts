/** The artifact's signature: Ed25519 over `POP-ARTIFACT-V1\0` ‖ RFC 8785 of the artifact without `signature.value`. */
import { verifyEd25519 } from "#crypto";
import { concatBytes, fromHex, toHex } from "../../bytes.ts";
import { jcs } from "../../chainscript/jcs.ts";
import { ARTIFACT_CONTEXT } from "../../evidence/context.ts";
import type { Signer } from "../../keys/signer.ts";
import { ARTIFACT_CONTEXT_LABEL, type JobArtifact, type UnsignedArtifact } from "./format.ts";

const utf8 = new TextEncoder();

/** The artifact as it is served and signed: its RFC 8785 (JCS) bytes, no whitespace, no trailing newline. */
export function canonicalArtifactBytes(artifact: JobArtifact | UnsignedArtifact): Uint8Array {
  return utf8.encode(jcs(artifact));
}

/**
 * The signed message: the context, then the JCS of the artifact with `signature` less its `value`, so the
 * key id, the public key and the context's name are signed too.
 */
export function artifactSigningMessage(artifact: JobArtifact | UnsignedArtifact): Uint8Array {
  const { value: _value, ...signature } = artifact.signature as JobArtifact["signature"];
  return concatBytes(ARTIFACT_CONTEXT, canonicalArtifactBytes({ ...artifact, signature }));
}

/**
 * Signs an artifact with the tenant's key.
 *
 * @example
 * const artifact = await signArtifact({ format: ARTIFACT_FORMAT, issuedAt, job, results, proof }, signer);
 */
export async function signArtifact(artifact: Omit<JobArtifact, "signature">, signer: Signer): Promise<JobArtifact> {
  const signature = {
    algorithm: "Ed25519" as const,
    context: ARTIFACT_CONTEXT_LABEL as typeof ARTIFACT_CONTEXT_LABEL,
    keyId: signer.keyId,
    publicKey: toHex(signer.publicKey),
  };
  const value = await signer.sign(artifactSigningMessage({ ...artifact, signature }));
  return { ...artifact, signature: { ...signature, value: toHex(value) } };
}

/** Whether the artifact's signature verifies under the public key it embeds. */
export function artifactSignatureValid(artifact: JobArtifact): boolean {
  const publicKey = fromHex(artifact.signature.publicKey);
  const value = fromHex(artifact.signature.value);
  if (publicKey?.length !== 32 || value?.length !== 64) return false;
  return verifyEd25519(publicKey, artifactSigningMessage(artifact), value);
}
